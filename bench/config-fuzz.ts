/* biome-ignore-all lint/suspicious/noTemplateCurlyInString: keepalived's ${NAME} syntax is generated here */
// Mutation fuzzer for the config parser. Seeds are real configs; each input
// applies byte-level, token-level and line-level mutations, the last adding
// include / $NAME / ~SEQ / ~LST / @id lines. Includes resolve in a small
// in-memory tree, so the fuzz never reads the disk. The parser must return a
// result for every input (never throw), and every diagnostic must carry a
// file:line:column. Inputs taking more than a second of CPU are reported.
// Run: npm run fuzz:config [-- COUNT [SEED]]   (default 1,000,000)
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { KEYWORD_ROWS } from '../src/config/compat.js';
import { type ConfigResult, parseConfigText } from '../src/config/index.js';

/** xorshift32: the same inputs for the same seed, on any machine. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 1;
  }
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s;
  }
  int(n: number): number {
    return n <= 0 ? 0 : this.next() % n;
  }
  pick<T>(list: readonly T[]): T {
    return list[this.int(list.length)]!;
  }
}

const HERE = new URL('.', import.meta.url).pathname;
const ROOT = join(HERE, HERE.includes('/dist/') ? '../..' : '..');

/** Items a parse produced: seeds that expand to thousands (a ~SEQ over a template) stay out. */
function size(r: ConfigResult): number {
  const c = r.config;
  if (!c) return 0;
  return c.vrrpInstances.length + c.virtualServers.reduce((n, v) => n + 1 + v.realServers.length, 0);
}

/** Seed texts: the corpus and the parser's fixtures that expand to at most 500 items, cut to 6 kB. */
export function loadSeeds(): string[] {
  const dirs = ['test/fixtures/config/corpus', 'test/fixtures/config/agreement', 'test/fixtures/config'];
  const out: string[] = [];
  for (const d of dirs) {
    const dir = join(ROOT, d);
    for (const f of readdirSync(dir).sort()) {
      if (!f.endsWith('.conf')) continue;
      const text = readFileSync(join(dir, f), 'utf8').slice(0, 6000);
      if (size(parseConfigText(text, { file: '/f/k.conf', configId: 'a', ...FUZZ_ACCESS })) <= 500)
        out.push(text);
    }
  }
  return out;
}

const KEYWORDS = [...new Set(KEYWORD_ROWS.map((r) => r[1]))];
const SPECIAL = [
  '{',
  '}',
  '"',
  "'",
  '\\',
  '$',
  '${',
  '~',
  '@',
  '#',
  '!',
  '\n',
  '\t',
  '\0',
  '\r',
  ' ',
  'é',
  '\u{1F600}',
];
const WORDS = [
  ...SPECIAL,
  '0',
  '-1',
  '256',
  '4294967296',
  '99999999999999999999',
  '1.5',
  '10.0.0.1',
  '10.0.0.1/33',
  '10.0.0.1-300',
  'fe80::1',
  '::/0',
  'brd',
  '+',
  '-',
  'on',
  'off',
  '1',
  '${_PWD}',
  '${_RANDOM 1 5}',
  '$A',
  '${A}',
  '$((1+2))',
  '"quoted word"',
];

const VFS: Record<string, string> = {
  '/f/a.conf': 'vrrp_script a {\n script /bin/true\n}\n',
  '/f/d/1.conf': 'include ../a.conf\nglobal_defs {\n router_id one\n}\n',
  '/f/d/2.conf': 'include 2.conf\n',
  '/f/loop.conf': 'include /f/k.conf\n',
  '/f/1692/x.conf': '$A=1\n~SEQ(I, 1, $A) vrrp_script s$I {\n script x\n}\n',
};
const DIRS: Record<string, string[]> = {
  '/f': ['a.conf', 'd', 'loop.conf', '1692'],
  '/f/d': ['1.conf', '2.conf'],
  '/f/1692': ['x.conf'],
};
export const FUZZ_ACCESS = {
  readFile: (p: string): string => {
    const t = VFS[p];
    if (t === undefined) throw new Error('ENOENT: no such file');
    return t;
  },
  listDir: (d: string): string[] | null => DIRS[d] ?? null,
};

function generatedLine(rng: Rng): string {
  const v = rng.pick(['A', 'B', 'I', '_PWD', 'X1']);
  switch (rng.int(9)) {
    case 0:
      return `${rng.pick(['include', 'include!', 'includer', 'includem', 'includew', 'includeb', 'includea'])} ${rng.pick(['${_PWD}/1692/*.conf', 'd/*.conf', '{a,d/1}.conf', 'missing', '"a.conf"', '/f/loop.conf', '', '[', '*/*/*', '{,,}'])}`;
    case 1:
      return `$${v}=${rng.pick(['1', '10.0.0.', '$A', '${B}', 'vrrp_script s { \\', '}', '', '$((A+1))'])}`;
    case 2:
      return `$${v}= \\\n  ${rng.pick(KEYWORDS)} ${rng.pick(WORDS)} \\\n  ${rng.pick(WORDS)}`;
    case 3:
      return `~SEQ${rng.pick(['', 'x'])}(${v}, ${rng.pick(['$A', '1', '-3', '0x10', '${B}', ''])}, ${rng.pick(['$B', '5', '0', '-1', '300'])}) ${rng.pick(KEYWORDS)} $${v}`;
    case 4:
      return `~LST(${rng.pick([v, '{A,B}', '{'])}, ${rng.pick(['1', '{1,2}', '{x}', '$A'])}, ${rng.pick(['2', '{3,4}', ''])}) ${rng.pick(KEYWORDS)} $${v}`;
    case 5:
      return `@${rng.pick(['a', '^a', 'b', '^b', '', '^'])} ${rng.pick(KEYWORDS)} ${rng.pick(WORDS)}`;
    case 6:
      return `${rng.pick(KEYWORDS)} ${rng.pick(WORDS)} ${rng.pick(WORDS)}`;
    case 7:
      return `${rng.pick(KEYWORDS)} {`;
    default:
      return `$${v}${rng.pick(['', ' ', '}', ',', ')'])}`;
  }
}

/** One mutated input from a seed. */
export function mutate(seed: string, rng: Rng): string {
  let text = seed;
  const rounds = 1 + rng.int(6);
  for (let k = 0; k < rounds; k++) {
    const kind = rng.int(3);
    if (kind === 0) {
      // byte level
      const at = rng.int(text.length + 1);
      const op = rng.int(4);
      if (op === 0) text = text.slice(0, at) + text.slice(at + 1 + rng.int(8));
      else if (op === 1) text = text.slice(0, at) + rng.pick(SPECIAL) + text.slice(at);
      else if (op === 2) text = text.slice(0, at) + String.fromCharCode(rng.int(256)) + text.slice(at + 1);
      else {
        const len = rng.int(40);
        text = text.slice(0, at) + text.slice(at, at + len) + text.slice(at);
      }
    } else if (kind === 1) {
      // token level
      const tokens = text.split(/(\s+)/);
      const i = rng.int(tokens.length);
      const op = rng.int(4);
      if (op === 0) tokens[i] = rng.pick(WORDS);
      else if (op === 1) tokens[i] = rng.pick(KEYWORDS);
      else if (op === 2) tokens.splice(i, 1);
      else tokens.splice(i, 0, tokens[rng.int(tokens.length)] ?? '', ' ');
      text = tokens.join('');
    } else {
      // line level: generated include / $NAME / ~SEQ / ~LST / @ lines
      const lines = text.split('\n');
      lines.splice(rng.int(lines.length + 1), 0, generatedLine(rng));
      text = lines.join('\n');
    }
  }
  return text;
}

export interface FuzzReport {
  inputs: number;
  exceptions: Array<{ input: string; error: string }>;
  /** Diagnostics without a usable file:line:column, or results without a config. */
  malformed: Array<{ input: string; why: string }>;
  slow: Array<{ input: string; ms: number }>;
  maxMs: number;
  totalMs: number;
  withErrors: number;
  withWarnings: number;
}

function malformed(r: ConfigResult): string | null {
  if (!r.config) return 'no config and no reason';
  for (const d of r.diagnostics) {
    if (!d.file || !(d.line >= 1) || !(d.column >= 1)) return `diagnostic without position: ${d.message}`;
    if (!d.message) return 'diagnostic without message';
  }
  if (r.ok === r.diagnostics.some((d) => d.severity === 'error')) return 'ok disagrees with the errors';
  return null;
}

export function fuzz(
  count: number,
  seed = 1,
  onProgress?: (done: number, so: FuzzReport) => void,
): FuzzReport {
  const seeds = loadSeeds();
  const rng = new Rng(seed);
  const report: FuzzReport = {
    inputs: 0,
    exceptions: [],
    malformed: [],
    slow: [],
    maxMs: 0,
    totalMs: 0,
    withErrors: 0,
    withWarnings: 0,
  };
  for (let i = 0; i < count; i++) {
    const input = mutate(rng.pick(seeds), rng);
    // CPU time, not wall time: on a loaded machine the wall clock measures the neighbours.
    const t0 = process.cpuUsage();
    let r: ConfigResult | null = null;
    try {
      r = parseConfigText(input, { file: '/f/k.conf', configId: 'a', ...FUZZ_ACCESS });
    } catch (err) {
      report.exceptions.push({
        input,
        error: err instanceof Error ? (err.stack ?? err.message) : String(err),
      });
    }
    const used = process.cpuUsage(t0);
    const ms = (used.user + used.system) / 1000;
    report.inputs++;
    report.totalMs += ms;
    if (ms > report.maxMs) report.maxMs = ms;
    if (ms > 1000) report.slow.push({ input: input.slice(0, 2000), ms });
    if (r) {
      const why = malformed(r);
      if (why) report.malformed.push({ input, why });
      if (!r.ok) report.withErrors++;
      else if (r.diagnostics.length > 0) report.withWarnings++;
    }
    if (onProgress && (i + 1) % 50_000 === 0) onProgress(i + 1, report);
  }
  return report;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const count = Number(process.argv[2] ?? 1_000_000);
  const seed = Number(process.argv[3] ?? 1);
  const t0 = performance.now();
  const r = fuzz(count, seed, (n, so) =>
    process.stderr.write(
      `${n} inputs, ${so.exceptions.length} exceptions, ${so.malformed.length} malformed, ` +
        `${so.slow.length} over 1 s, max ${r0(so.maxMs)} ms CPU, ${r0((performance.now() - t0) / 1000)} s\n`,
    ),
  );
  const summary = {
    inputs: r.inputs,
    seed,
    exceptions: r.exceptions.length,
    malformed: r.malformed.length,
    over1s: r.slow.length,
    maxCpuMs: r0(r.maxMs),
    meanCpuMs: Number((r.totalMs / r.inputs).toFixed(3)),
    refused: r.withErrors,
    acceptedWithWarnings: r.withWarnings,
    wallSeconds: r0((performance.now() - t0) / 1000),
  };
  process.stdout.write(`${JSON.stringify(summary)}\n`);
  for (const e of [...r.exceptions, ...r.malformed].slice(0, 5))
    process.stdout.write(`${JSON.stringify(e)}\n`);
  for (const s of r.slow.slice(0, 5)) process.stdout.write(`${JSON.stringify(s)}\n`);
  if (r.exceptions.length || r.malformed.length || r.slow.length) process.exitCode = 1;
}

function r0(n: number): number {
  return Math.round(n);
}

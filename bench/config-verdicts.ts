// Verdict differential against keepalived 2.2.7. Takes the corpus's real
// configs (and keepalived's own samples when present), applies one operator
// mutation to each (bench/verdict-mutations.ts), and asks both `keepalived -t`
// (in a namespace holding every interface the file names) and floatlb's
// `config check` whether the file is usable. Disagreements are grouped by
// mutation category and by the first message, and written as JSON.
// Run: npm run fuzz:verdicts [-- COUNT [SEED] [OUT.json]]   (root; default 3000)

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CONFIG_ID, CORPUS_DIR, corpusFiles, interfacesNamed, verdictOf } from '../lab/config-oracle.js';
import { Netns } from '../lab/netns.js';
import { checkReport } from '../src/cli/commands/config.js';
import { KEYWORD_ROWS } from '../src/config/compat.js';
import { loadConfigSync, parseConfigText } from '../src/config/index.js';
import { CATEGORIES, type Mutant, mutateSeed, Rng } from './verdict-mutations.js';

export const SAMPLES_DIR = '/work/shared/keepalived-samples';

export interface Seed {
  name: string;
  text: string;
}

/** Items a file expands to: the few corpus files whose ~SEQ loops make thousands are left out. */
function size(text: string): number {
  const c = parseConfigText(text, {
    file: '/verdicts/keepalived.conf',
    configId: CONFIG_ID,
    readFile: noFiles,
  }).config;
  if (!c) return 0;
  return c.vrrpInstances.length + c.virtualServers.reduce((n, v) => n + 1 + v.realServers.length, 0);
}
const noFiles = (p: string): string => {
  throw new Error(`${p}: not read while sizing seeds`);
};

/** The corpus files, then keepalived's samples when that directory exists; each expanding to at most 500 items. */
export function verdictSeeds(): Seed[] {
  const seeds = corpusFiles().map((f) => ({ name: f, text: readFileSync(join(CORPUS_DIR, f), 'utf8') }));
  if (existsSync(SAMPLES_DIR))
    for (const f of readdirSync(SAMPLES_DIR).sort())
      if (f.startsWith('keepalived.conf'))
        seeds.push({ name: `samples/${f}`, text: readFileSync(join(SAMPLES_DIR, f), 'utf8') });
  return seeds.filter((s) => size(s.text) <= 500);
}

/**
 * agree; deliberate: floatlb refuses by a keyword its table marks refused;
 * keepalived-crash: keepalived died of a signal (it would not run either, and
 * floatlb does not copy a crash); the other two are disagreements.
 */
export type Outcome =
  | 'agree'
  | 'deliberate'
  | 'keepalived-crash'
  | 'keepalived-accepts'
  | 'keepalived-refuses'
  | 'exception';

export interface Disagreement {
  category: string;
  seed: string;
  outcome: Outcome;
  keepalived: { rc: number; said: string[] };
  floatlb: string[];
  /** Short key for grouping: the direction and floatlb's or keepalived's first message, numbers blanked. */
  signature: string;
  /** The mutated file, for reproducing. */
  text: string;
  extra: Record<string, string>;
}

export interface CategoryCount {
  tried: number;
  disagree: number;
  deliberate: number;
  crash: number;
}

export interface VerdictReport {
  mutants: number;
  seeds: number;
  rngSeed: number;
  byCategory: Record<string, CategoryCount>;
  disagreements: Disagreement[];
}

const REFUSED = KEYWORD_ROWS.filter((r) => r[2] === 'refused').map((r) => r[1]);
/**
 * Refusals docs/compat.md lists as deliberate that are not a keyword's: keepalived -t
 * passes a vrrp_strict instance without a virtual_ipaddress, but its VRRP process
 * exits on it at start.
 */
const DELIBERATE = [/strict mode needs at least one virtual_ipaddress/];
const byRefusedKeyword = (line: string): boolean =>
  REFUSED.some((k) => line.split(': error: ')[1]?.startsWith(`${k} `)) ||
  DELIBERATE.some((re) => re.test(line));

/** keepalived's lines worth reading: its config complaints, without the start-up chatter. */
function complaints(output: string): string[] {
  return output
    .split('\n')
    .filter((l) =>
      /\(.*Line \d+\)|line|Unknown|invalid|Invalid|missing|Missing|Extra|Unterminated|VIOLATION/i.test(l),
    )
    .map((l) => l.replace(/^.*?Keepalived(_\w+)?\[\d+\]: /, '').trim())
    .filter((l) => l && !/^Starting|^Running on|^Command line|^Configuration file|^Opening file/.test(l))
    .slice(0, 4);
}

const blank = (s: string): string =>
  s
    .replace(/^[^:]*:\d+:\d+: /, '')
    .replace(/'[^']*'|"[^"]*"|`[^`]*`/g, 'Q')
    .replace(/\d+/g, 'N')
    .slice(0, 90);

/** The differential's world: one namespace whose interfaces grow as files name them, and a scratch directory. */
export class VerdictBench {
  private readonly ns: Netns;
  private readonly dir: string;
  private readonly links = new Set<string>();

  constructor(nsName: string) {
    this.ns = Netns.create(nsName);
    this.dir = mkdtempSync(join(tmpdir(), 'floatlb-verdicts-'));
  }

  close(): void {
    this.ns.delete();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private ensureInterfaces(text: string): void {
    for (const name of interfacesNamed(text)) {
      if (this.links.has(name)) continue;
      this.links.add(name);
      try {
        this.ns.ip('link', 'add', name, 'type', 'veth', 'peer', 'name', `vdp${this.links.size}`);
        this.ns.ip('link', 'set', name, 'up');
      } catch {
        // a name the kernel refuses: keepalived reports it, as it would on a real host
      }
    }
  }

  /** Both verdicts on one mutant. */
  judge(m: Mutant, seed: string): Disagreement {
    for (const f of readdirSync(this.dir)) rmSync(join(this.dir, f), { recursive: true, force: true });
    const main = join(this.dir, 'keepalived.conf');
    writeFileSync(main, m.text);
    for (const [name, text] of Object.entries(m.extra)) writeFileSync(join(this.dir, name), text);
    this.ensureInterfaces([m.text, ...Object.values(m.extra)].join('\n'));
    const p = (n: string) => join(this.dir, n);
    const args = ['netns', 'exec', this.ns.name, 'keepalived', '-t', '-l', '-D', '-i', CONFIG_ID, '-f', main];
    args.push('-p', p('k.pid'), '-r', p('v.pid'), '-c', p('c.pid'), '-b', p('b.pid'));
    const res = spawnSync('ip', args, { encoding: 'utf8', timeout: 60_000, cwd: this.dir });
    const output = `${res.stdout}${res.stderr}`;
    const rc = res.status ?? -1;
    const ka = verdictOf(rc, output);
    const crashed = res.signal !== null && res.error === undefined;
    let lines: string[];
    let ours: 'accept' | 'refuse';
    let outcome: Outcome;
    try {
      const report = checkReport(main, loadConfigSync(main, { configId: CONFIG_ID }));
      lines = report.lines;
      ours = report.exitCode === 0 ? 'accept' : 'refuse';
      const errors = lines.filter((l) => l.includes(': error: '));
      if (crashed) outcome = 'keepalived-crash';
      else if (ours === ka) outcome = 'agree';
      else if (ours === 'refuse' && errors.length > 0 && errors.every(byRefusedKeyword))
        outcome = 'deliberate';
      else outcome = ka === 'accept' ? 'keepalived-accepts' : 'keepalived-refuses';
    } catch (err) {
      lines = [`exception: ${err instanceof Error ? err.message : String(err)}`];
      outcome = 'exception';
    }
    const said = crashed ? [`killed by ${res.signal}`, ...complaints(output)] : complaints(output);
    const first =
      outcome === 'keepalived-accepts'
        ? (lines.find((l) => l.includes(': error: ')) ?? '')
        : (said[0] ?? `rc ${rc}`);
    return {
      category: m.category,
      seed,
      outcome,
      keepalived: { rc, said },
      floatlb: lines.filter((l) => /: (error|warning): /.test(l) || l.startsWith('exception')).slice(0, 4),
      signature: `${outcome}: ${blank(first)}`,
      text: m.text,
      extra: m.extra,
    };
  }
}

/** Runs count mutants, round-robin over the categories, seeds picked by rngSeed. */
export async function runVerdictDiff(opts: {
  count: number;
  rngSeed: number;
  nsName: string;
  progress?: (done: number) => void;
}): Promise<VerdictReport> {
  const seeds = verdictSeeds();
  const rng = new Rng(opts.rngSeed);
  const bench = new VerdictBench(opts.nsName);
  const byCategory: Record<string, CategoryCount> = {};
  for (const c of CATEGORIES) byCategory[c] = { tried: 0, disagree: 0, deliberate: 0, crash: 0 };
  const disagreements: Disagreement[] = [];
  let mutants = 0;
  try {
    for (let i = 0; mutants < opts.count && i < opts.count * 4; i++) {
      const seed = rng.pick(seeds);
      const m = mutateSeed(seed.text, rng, CATEGORIES[i % CATEGORIES.length]);
      if (!m) continue;
      mutants++;
      const d = bench.judge(m, seed.name);
      const c = byCategory[m.category]!;
      c.tried++;
      if (d.outcome === 'deliberate') c.deliberate++;
      else if (d.outcome === 'keepalived-crash') c.crash++;
      else if (d.outcome !== 'agree') {
        c.disagree++;
        disagreements.push(d);
      }
      if (mutants % 50 === 0) opts.progress?.(mutants);
      // Each check blocks (spawnSync): let a test worker answer its runner between mutants.
      await new Promise((resolve) => setImmediate(resolve));
    }
  } finally {
    bench.close();
  }
  return { mutants, seeds: seeds.length, rngSeed: opts.rngSeed, byCategory, disagreements };
}

/** The report as text: per category, then the disagreement groups with one example each. */
export function formatVerdictReport(r: VerdictReport): string {
  const out = [`${r.mutants} mutants of ${r.seeds} seeds (rng seed ${r.rngSeed})`];
  out.push('category               tried  disagree  deliberate  keepalived-crash');
  const cell = (n: number, w: number) => String(n).padStart(w);
  for (const [c, n] of Object.entries(r.byCategory))
    out.push(
      `${c.padEnd(22)} ${cell(n.tried, 5)}  ${cell(n.disagree, 8)}  ${cell(n.deliberate, 10)}  ${cell(n.crash, 16)}`,
    );
  const groups = new Map<string, Disagreement[]>();
  for (const d of r.disagreements) {
    const key = `${d.category} | ${d.signature}`;
    groups.set(key, [...(groups.get(key) ?? []), d]);
  }
  out.push(`${r.disagreements.length} disagreements in ${groups.size} groups`);
  for (const [key, list] of [...groups].sort((a, b) => b[1].length - a[1].length)) {
    const d = list[0]!;
    out.push(`  ${list.length}x ${key}`);
    out.push(
      `     e.g. ${d.seed}: keepalived rc ${d.keepalived.rc} ${d.keepalived.said.slice(0, 2).join(' | ')}`,
    );
    out.push(`          floatlb ${d.floatlb.slice(0, 2).join(' | ')}`);
  }
  return out.join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const count = Number(process.argv[2] ?? 3000);
  const rngSeed = Number(process.argv[3] ?? 1);
  const out = process.argv[4] ?? '/tmp/floatlb-verdicts.json';
  const report = await runVerdictDiff({
    count,
    rngSeed,
    nsName: process.env.FLOATLB_VERDICT_NS ?? `fltverdict-${process.pid}`,
    progress: (n) => process.stderr.write(`${n} mutants\r`),
  });
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`${formatVerdictReport(report)}\nfull report: ${out}\n`);
}

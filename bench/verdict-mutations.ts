/* biome-ignore-all lint/suspicious/noTemplateCurlyInString: keepalived's ${NAME} syntax is generated here */
// Operator-style mutations of keepalived.conf files for the verdict
// differential (bench/config-verdicts.ts). Each mutation is one thing a person
// editing a config by hand really does: a line deleted or doubled, a value
// dropped, a typo'd keyword, a value in the wrong unit, a brace lost, a file
// saved with CRLF or a BOM. Each has a category name; the differential counts
// disagreements with keepalived per category.
import { Rng } from './config-fuzz.js';

export interface Mutant {
  category: string;
  /** The main file's text. */
  text: string;
  /** Files next to it, by bare name, that include lines may name. */
  extra: Record<string, string>;
}

type Mutator = (lines: string[], rng: Rng) => Mutant | null;

const words = (l: string): string[] => l.trim().split(/\s+/).filter(Boolean);
const isComment = (l: string): boolean => /^\s*([#!]|$)/.test(l);
/** Lines holding a keyword and at least one value, no brace: `priority 100`. */
const valueLines = (lines: string[]): number[] =>
  lines.flatMap((l, i) => (!isComment(l) && !/[{}]/.test(l) && words(l).length >= 2 ? [i] : []));
const blockOpeners = (lines: string[]): number[] =>
  lines.flatMap((l, i) => (!isComment(l) && /^\s*\S+.*\{\s*$/.test(l) ? [i] : []));
const nonEmpty = (lines: string[]): number[] => lines.flatMap((l, i) => (l.trim() ? [i] : []));

const mk = (category: string, lines: string[], extra: Record<string, string> = {}): Mutant => ({
  category,
  text: lines.join('\n'),
  extra,
});

function pickIndex(rng: Rng, list: number[]): number | null {
  return list.length ? list[rng.int(list.length)]! : null;
}

/** Index of the line that closes the block opened at line i (brace counting outside quotes). */
export function blockEnd(lines: string[], i: number): number {
  let depth = 0;
  for (let k = i; k < lines.length; k++) {
    const l = lines[k]!.replace(/"[^"]*"/g, '').replace(/[#!].*$/, '');
    for (const c of l) {
      if (c === '{') depth++;
      else if (c === '}' && --depth === 0) return k;
    }
  }
  return lines.length - 1;
}

/** Replaces the n-th token matching re on line i with what f returns. */
function replaceToken(lines: string[], i: number, re: RegExp, f: (tok: string) => string): boolean {
  const parts = lines[i]!.split(/(\s+)/);
  const hits = parts.flatMap((p, k) => (k > 0 && re.test(p) ? [k] : []));
  if (!hits.length) return false;
  const k = hits[hits.length - 1]!;
  parts[k] = f(parts[k]!);
  lines[i] = parts.join('');
  return true;
}

const NUM = /^-?\d+$/;
const IPV4 = /^\d+\.\d+\.\d+\.\d+(\/\d+)?$/;
const UNKNOWN = ['foo_bar 1', 'prority 100', 'virtual_routerid 51', 'delay 3', 'my_option', 'weight_x 2 3'];
const MISPLACED = [
  'priority 100',
  'lb_algo rr',
  'delay_loop 6',
  'connect_timeout 3',
  'router_id LB1',
  'advert_int 1',
  'weight 1',
  'state MASTER',
  'virtual_router_id 51',
  'persistence_timeout 50',
  'script "/bin/true"',
  'interval 2',
  'nopreempt',
  'smtp_server 127.0.0.1',
];
const BAD_NUMBERS = [
  '0',
  '-1',
  '256',
  '65535',
  '65536',
  '4294967296',
  '99999999999999999999',
  '1.5',
  '0x10',
  '010',
  '+5',
  '1e3',
];
const NUM_WORDS = ['ten', 'abc', 'on', 'true', 'yes', 'MASTER', '-', '""'];
const UNITS = ['s', 'ms', 'sec', 'm', '%', 'k'];
const IPV6 = [
  '::1',
  'fe80::1',
  'fe80::1%eth0',
  '[2001:db8::1]',
  '2001:db8::1/64',
  '::ffff:10.0.0.1',
  '2001:db8::zz',
];
const MASKS = ['/0', '/8', '/32', '/33', '/255.255.255.0', '/-1', '/', '/24/24'];
const PORTS = ['0', '65535', '65536', '70000', 'http', '-80', '80.5', '080'];
const COMMENTS = [' # note', ' ! note', '# note', '!note', ' #', ' !', '\t# tab note'];

const MUTATORS: Record<string, Mutator> = {
  'delete-line': (ls, r) => {
    const i = pickIndex(r, nonEmpty(ls));
    if (i === null) return null;
    ls.splice(i, 1);
    return mk('delete-line', ls);
  },
  'duplicate-line': (ls, r) => {
    const i = pickIndex(r, nonEmpty(ls));
    if (i === null) return null;
    ls.splice(i, 0, ls[i]!);
    return mk('duplicate-line', ls);
  },
  'drop-value': (ls, r) => {
    const i = pickIndex(r, valueLines(ls));
    if (i === null) return null;
    ls[i] = ls[i]!.replace(/\s+\S+\s*$/, '');
    return mk('drop-value', ls);
  },
  'unknown-keyword': (ls, r) => {
    const i = pickIndex(r, valueLines(ls)) ?? 0;
    const indent = /^\s*/.exec(ls[i] ?? '')![0];
    ls.splice(i, 0, indent + r.pick(UNKNOWN));
    return mk('unknown-keyword', ls);
  },
  'misplaced-keyword': (ls, r) => {
    const i = pickIndex(r, nonEmpty(ls)) ?? 0;
    ls.splice(i + 1, 0, `    ${r.pick(MISPLACED)}`);
    return mk('misplaced-keyword', ls);
  },
  'number-to-word': (ls, r) => {
    const i = pickIndex(
      r,
      valueLines(ls).filter((k) => words(ls[k]!).some((w) => NUM.test(w))),
    );
    if (i === null) return null;
    replaceToken(ls, i, NUM, () => r.pick(NUM_WORDS));
    return mk('number-to-word', ls);
  },
  'number-out-of-range': (ls, r) => {
    const i = pickIndex(
      r,
      valueLines(ls).filter((k) => words(ls[k]!).some((w) => NUM.test(w))),
    );
    if (i === null) return null;
    replaceToken(ls, i, NUM, () => r.pick(BAD_NUMBERS));
    return mk('number-out-of-range', ls);
  },
  'number-with-unit': (ls, r) => {
    const i = pickIndex(
      r,
      valueLines(ls).filter((k) => words(ls[k]!).some((w) => NUM.test(w))),
    );
    if (i === null) return null;
    replaceToken(ls, i, NUM, (t) => t + r.pick(UNITS));
    return mk('number-with-unit', ls);
  },
  'brace-missing': (ls, r) => {
    const closers = ls.flatMap((l, i) => (/^\s*}\s*$/.test(l) ? [i] : []));
    const i = pickIndex(r, closers);
    if (i === null) return null;
    ls.splice(i, 1);
    return mk('brace-missing', ls);
  },
  'brace-extra': (ls, r) => {
    const i = r.int(ls.length + 1);
    ls.splice(i, 0, r.pick(['}', '{', '}}', '{ }']));
    return mk('brace-extra', ls);
  },
  'quote-unbalanced': (ls, r) => {
    const i = pickIndex(r, valueLines(ls));
    if (i === null) return null;
    ls[i] = r.int(2) ? ls[i]!.replace(/(\s)(\S+)\s*$/, '$1"$2') : `${ls[i]}"`;
    return mk('quote-unbalanced', ls);
  },
  comments: (ls, r) => {
    const i = pickIndex(r, nonEmpty(ls)) ?? 0;
    if (r.int(2)) ls[i] = ls[i]! + r.pick(COMMENTS);
    else ls.splice(i, 0, r.pick(COMMENTS).trim() + r.pick(['', ' { } "x', ' vrrp_instance']));
    return mk('comments', ls);
  },
  include: (ls, r) => {
    const opens = blockOpeners(ls).filter((i) => !/^\s/.test(ls[i]!));
    const i = pickIndex(r, opens);
    if (i === null) return null;
    const end = blockEnd(ls, i);
    const block = ls.splice(i, end - i + 1);
    const kind = r.pick(['include', 'include', 'includer', 'includem', 'includea', 'includew']);
    const target = r.pick(['part.conf', '"part.conf"', 'pa*.conf', 'missing.conf', '{part,other}.conf', '']);
    ls.splice(i, 0, `${kind} ${target}`.trimEnd());
    return mk('include', ls, { 'part.conf': block.join('\n') });
  },
  conditional: (ls, r) => {
    const i = pickIndex(r, nonEmpty(ls));
    if (i === null) return null;
    const id = r.pick(['@corpus', '@other', '@^corpus', '@^other', '@', '@corpus\t']);
    ls[i] = `${id} ${ls[i]!.trim()}`;
    return mk('conditional', ls);
  },
  'definition-var': (ls, r) => {
    const i = pickIndex(r, valueLines(ls));
    if (i === null) return null;
    const value = words(ls[i]).at(-1)!;
    const use = r.pick(['$V', '${V}', '$V', '$UNSET', '${V}x', '$V_']);
    ls[i] = ls[i]!.replace(/\S+\s*$/, use);
    ls.unshift(r.pick([`$V=${value}`, `$V = ${value}`, `$V=${value} \\`, `$V=`]));
    return mk('definition-var', ls);
  },
  'seq-loop': (ls, r) => {
    const i = pickIndex(r, valueLines(ls));
    if (i === null) return null;
    const indent = /^\s*/.exec(ls[i])![0];
    const args = r.pick(['1, 2', '1, 1', '2, 1', '$A, $B', '1, 3, 0', 'x, 2', '0x1, 0x2']);
    ls[i] = `${indent}~SEQ(I, ${args}) ${ls[i]!.trim()}`;
    ls.unshift('$A=1', '$B=2');
    return mk('seq-loop', ls);
  },
  'long-line': (ls, r) => {
    const i = pickIndex(r, nonEmpty(ls));
    if (i === null) return null;
    const n = r.pick([900, 1020, 1022, 1023, 1024, 1025, 1100, 2100, 4000]);
    const how = r.int(4);
    if (how === 0) ls[i] = `${ls[i]} # ${'x'.repeat(Math.max(0, n - ls[i]!.length - 3))}`;
    else if (how === 1) ls[i] = ls[i]! + ' '.repeat(Math.max(0, n - ls[i]!.length));
    else if (how === 2) ls[i] = ' '.repeat(Math.max(0, n - ls[i]!.length)) + ls[i]!;
    else {
      // A long value pushed through a definition: the limit applies after substitution.
      ls.unshift(`$LONG=${'y'.repeat(Math.max(1, n - 40))}`);
      ls.splice(i + 1, 0, `    notify_master "/bin/echo $LONG"`);
    }
    return mk('long-line', ls);
  },
  crlf: (ls) =>
    mk(
      'crlf',
      ls.map((l) => `${l}\r`),
    ),
  tabs: (ls, r) => {
    const t = r.int(3);
    return mk(
      'tabs',
      ls.map((l) =>
        t === 0 ? l.replace(/^ +/, '\t') : t === 1 ? l.replace(/ +/g, '\t') : l.replace(/ /g, ' \t'),
      ),
    );
  },
  'utf8-bom': (ls, r) => {
    const t = r.int(3);
    if (t === 0) ls[0] = `\ufeff${ls[0]}`;
    else {
      const i = pickIndex(r, valueLines(ls));
      if (i === null) return null;
      if (t === 1) ls[i] = `${ls[i]} # répertoire ✓`;
      else replaceToken(ls, i, /./, (w) => `${w}é`);
    }
    return mk('utf8-bom', ls);
  },
  'empty-block': (ls, r) => {
    const i = pickIndex(r, blockOpeners(ls));
    if (i === null) return null;
    const end = blockEnd(ls, i);
    ls.splice(i + 1, end - i - 1);
    if (r.int(2) && end > i) {
      ls[i] = `${ls[i]!.replace(/\{\s*$/, '')}{ }`;
      ls.splice(i + 1, 1);
    }
    return mk('empty-block', ls);
  },
  'upper-case': (ls, r) => {
    const i = pickIndex(
      r,
      nonEmpty(ls).filter((k) => !isComment(ls[k]!)),
    );
    if (i === null) return null;
    ls[i] = ls[i]!.replace(
      /^(\s*)(\S+)/,
      (_m, s: string, w: string) => s + (r.int(2) ? w.toUpperCase() : w[0]!.toUpperCase() + w.slice(1)),
    );
    return mk('upper-case', ls);
  },
  ipv6: (ls, r) => {
    const i = pickIndex(
      r,
      nonEmpty(ls).filter((k) => words(ls[k]!).some((w) => IPV4.test(w))),
    );
    if (i === null) return null;
    replaceToken(ls, i, IPV4, () => r.pick(IPV6));
    return mk('ipv6', ls);
  },
  netmask: (ls, r) => {
    const i = pickIndex(
      r,
      nonEmpty(ls).filter((k) => words(ls[k]!).some((w) => IPV4.test(w))),
    );
    if (i === null) return null;
    replaceToken(ls, i, IPV4, (t) => t.replace(/\/\d+$/, '') + r.pick(MASKS));
    return mk('netmask', ls);
  },
  'port-range': (ls, r) => {
    const i = pickIndex(
      r,
      ls.flatMap((l, k) => (/^\s*(virtual_server|real_server|connect_port)\s+\S+\s+\d+/.test(l) ? [k] : [])),
    );
    if (i === null) return null;
    ls[i] = ls[i]!.replace(
      /^(\s*(?:virtual_server|real_server)\s+\S+\s+)\d+|^(\s*connect_port\s+)\d+/,
      (_m, a, b) => (a ?? b) + r.pick(PORTS),
    );
    return mk('port-range', ls);
  },
  'duplicate-name': (ls, r) => {
    const opens = blockOpeners(ls).filter((i) =>
      /^\s*(vrrp_instance|virtual_server|vrrp_script|vrrp_sync_group|virtual_server_group|real_server)\b/.test(
        ls[i]!,
      ),
    );
    const i = pickIndex(r, opens);
    if (i === null) return null;
    const end = blockEnd(ls, i);
    ls.splice(end + 1, 0, ...ls.slice(i, end + 1));
    return mk('duplicate-name', ls);
  },
  'brace-layout': (ls, r) => {
    const i = pickIndex(r, blockOpeners(ls));
    if (i === null) return null;
    const t = r.int(3);
    if (t === 0) ls.splice(i, 1, ls[i]!.replace(/\s*\{\s*$/, ''), '{');
    else if (t === 1) ls[i] = ls[i]!.replace(/\s*\{\s*$/, '{');
    else {
      const end = blockEnd(ls, i);
      if (end + 1 < ls.length) ls.splice(end, 2, `${ls[end]} ${ls[end + 1]!.trim()}`);
    }
    return mk('brace-layout', ls);
  },
  whitespace: (ls, r) => {
    const t = r.int(3);
    if (t === 0)
      return mk(
        'whitespace',
        ls.map((l) => `${l}  `),
      );
    if (t === 1)
      return mk(
        'whitespace',
        ls.flatMap((l) => [l, '']),
      );
    return mk(
      'whitespace',
      ls.map((l) => l.replace(/(\S) (\S)/g, '$1   $2')),
    );
  },
};

export const CATEGORIES = Object.keys(MUTATORS);

/** One mutant of seed, in a category chosen by rng (or the given one); null when the seed has nothing to mutate there. */
export function mutateSeed(seed: string, rng: Rng, category = rng.pick(CATEGORIES)): Mutant | null {
  return MUTATORS[category]!(seed.split('\n'), rng);
}

export { Rng };

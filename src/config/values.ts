// Typed readers for statement arguments. Each reports an error at the
// offending token naming what was found and what is accepted, and returns
// null so the caller keeps the default.
import { type Ip, parseIp } from '../kernel/vocabulary.js';
import { missingValue } from './build/missing-value.js';
import { CHECKER_BLOCKS, contextOf, keywordRow, unsupportedMessage } from './compat.js';
import type { DiagnosticSink, Position } from './diagnostics.js';
import type { Token } from './lexer.js';
import type { ConfigNode } from './parser.js';

const TRUE_WORDS = new Set(['on', 'true', 'yes']);
const FALSE_WORDS = new Set(['off', 'false', 'no']);

export type Handler = (node: ConfigNode) => void;
export type Table = Record<string, Handler>;
/** A table built once per module: handlers get the reader and a state object instead of closing over them. */
export type StaticTable<S> = Record<string, (r: Reader, node: ConfigNode, state: S) => void>;

/** Merges static tables into a prototype-free object, so keyword lookup never hits Object.prototype. */
export function staticTable<S>(...parts: StaticTable<S>[]): StaticTable<S> {
  return Object.assign(Object.create(null) as StaticTable<S>, ...parts);
}

/** Questions about the machine the config will run on; absent for pure parsing. */
export interface Environment {
  commandExists(command: string): boolean;
}

/** Sees every keyword table the parser dispatches through, with the block's label (for tests and docs). */
export type TableObserver = (label: string, keywords: string[]) => void;

export class Reader {
  constructor(
    readonly sink: DiagnosticSink,
    readonly env: Environment | null = null,
    readonly observer: TableObserver | null = null,
  ) {}

  /** Dispatches each child statement; unknown keywords are warnings, as keepalived treats them. */
  block(node: ConfigNode, table: Table, label: string): void {
    this.observer?.(label, Object.keys(table));
    for (const child of node.children ?? []) this.statement(child, table, label);
  }

  /** Like block() with a table shared by all blocks of a kind: the hot path for large configs. */
  blockWith<S>(node: ConfigNode, table: StaticTable<S>, label: string, state: S): void {
    this.observer?.(label, Object.keys(table));
    for (const child of node.children ?? []) {
      const handler = table[child.name.text];
      if (!this.bare(child, label) && handler) handler(this, child, state);
      this.checkKeyword(child, label, handler !== undefined);
    }
  }

  statement(child: ConfigNode, table: Table, label: string): void {
    const handler = Object.hasOwn(table, child.name.text) ? table[child.name.text] : undefined;
    if (!this.bare(child, label) && handler) handler(child);
    this.checkKeyword(child, label, handler !== undefined);
  }

  /**
   * A keyword without its value that keepalived refuses, or ignores, by itself: true
   * when handled here. A '{' right after it does not count as a value (keepalived
   * reads the keyword alone, then skips the brace).
   */
  private bare(child: ConfigNode, label: string): boolean {
    if (child.args.length > 0) return false;
    const context = contextOf(label);
    const rule = missingValue(context, child.name.text, CHECKER_BLOCKS.has(context));
    if (rule === 'refuse')
      this.sink.error(child.name, `${child.name.text} needs a value: keepalived refuses the file without it`);
    else if (rule === 'ignore')
      this.sink.warning(child.name, `${child.name.text} has no value: ignored, as keepalived does`);
    return rule !== undefined;
  }

  /** Nothing silent: a keyword that does nothing in floatlb is warned, one it refuses is an error. */
  private checkKeyword(child: ConfigNode, label: string, known: boolean): void {
    const row = keywordRow(label, child.name.text);
    if (row?.[2] === 'unsupported') this.sink.unsupported(child.name, row[1], unsupportedMessage(row));
    // A handler that refuses says why itself; a refused keyword without one is refused here.
    else if (row?.[2] === 'refused' && !known) this.sink.error(child.name, `${row[1]} is refused: ${row[3]}`);
    else if (!known) this.sink.warning(child.name, `unknown keyword '${child.name.text}' in ${label}`);
  }

  /**
   * Reports a value problem at tok. keepalived reports such a value and goes on
   * without it (keeping the default, or dropping the item), so this warns and
   * the caller does the same.
   */
  invalid(tok: Position & { text: string }, what: string, accepted: string): null {
    this.sink.warning(tok, `invalid ${what} '${tok.text}': expected ${accepted}; ignored`);
    return null;
  }

  /** A keyword keepalived treats as a switch that any argument leaves on (virtual_server alpha, omega...). */
  flag(node: ConfigNode): true {
    const tok = node.args[0];
    if (tok && !TRUE_WORDS.has(tok.text.toLowerCase()))
      this.sink.warning(
        tok,
        `${node.name.text} takes no value: keepalived ignores '${tok.text}', so it is on`,
      );
    return true;
  }

  /** A structural problem keepalived reports before dropping the item; what says what is dropped and why. */
  dropped(at: Position, what: string): null {
    this.sink.warning(at, what);
    return null;
  }

  arg(node: ConfigNode, index = 0, what?: string): Token | null {
    const tok = node.args[index];
    if (!tok) {
      this.sink.error(node.name, `${node.name.text} needs ${what ?? 'a value'}`);
      return null;
    }
    return tok;
  }

  // The readers below build their messages only when there is something to report.

  int(node: ConfigNode, min: number, max: number, index = 0, what = node.name.text): number | null {
    const tok = node.args[index];
    if (!tok) {
      this.arg(node, index, `an integer ${min}..${max}`);
      return null;
    }
    return this.intToken(tok, min, max, what);
  }

  intToken(tok: Token, min: number, max: number, what: string): number | null {
    if (!isIntText(tok.text)) return this.invalid(tok, what, `an integer ${min}..${max}`);
    const v = Number(tok.text);
    if (v < min || v > max) return this.invalid(tok, what, `an integer ${min}..${max}`);
    return v;
  }

  /** TIMER: seconds with an optional fraction; returned in milliseconds. */
  timer(node: ConfigNode, index = 0, maxSeconds = 4294): number | null {
    const tok = node.args[index];
    if (!tok) {
      this.arg(node, index, 'a time in seconds');
      return null;
    }
    return this.timerToken(tok, node.name.text, maxSeconds);
  }

  timerToken(tok: Token, what: string, maxSeconds = 4294): number | null {
    const seconds = isTimerText(tok.text) ? Number(tok.text) : Number.NaN;
    if (!(seconds <= maxSeconds)) {
      return this.invalid(tok, what, `a time in seconds 0..${maxSeconds}, fractions allowed (e.g. 3 or 0.5)`);
    }
    return Math.round(seconds * 1_000_000) / 1000;
  }

  /** BOOL: bare keyword means true. */
  bool(node: ConfigNode, index = 0): boolean | null {
    const tok = node.args[index];
    if (!tok) return true;
    const w = tok.text.toLowerCase();
    if (TRUE_WORDS.has(w)) return true;
    if (FALSE_WORDS.has(w)) return false;
    return this.invalid(tok, `${node.name.text} value`, 'one of on|off|true|false|yes|no');
  }

  string(node: ConfigNode, index = 0): string | null {
    return this.arg(node, index, 'a string')?.text ?? null;
  }

  oneOf<T extends string>(node: ConfigNode, choices: readonly T[], index = 0, fold = false): T | null {
    const tok = node.args[index];
    if (!tok) {
      this.arg(node, index, `one of ${choices.join('|')}`);
      return null;
    }
    return this.oneOfToken(tok, choices, node.name.text, fold);
  }

  oneOfToken<T extends string>(tok: Token, choices: readonly T[], what: string, fold = false): T | null {
    const text = fold ? tok.text.toLowerCase() : tok.text;
    for (const c of choices) if ((fold ? c.toLowerCase() : c) === text) return c;
    return this.invalid(tok, what, `one of ${choices.join('|')}`);
  }

  /** The address in canonical form (see kernel/vocabulary.ts). */
  ipToken(tok: Token, what: string): Ip | null {
    if (isIPv4Fast(tok.text)) return tok.text as Ip;
    return parseIp(tok.text) ?? this.invalid(tok, what, 'an IPv4 or IPv6 address');
  }

  ip(node: ConfigNode, index = 0): Ip | null {
    const tok = this.arg(node, index, 'an IP address');
    return tok ? this.ipToken(tok, `${node.name.text} address`) : null;
  }

  port(node: ConfigNode, index = 0): number | null {
    return this.int(node, 0, 65535, index, `${node.name.text} port`);
  }

  /** Address with optional /prefix; prefix defaults to the full length. */
  prefixed(tok: Token, what: string): { address: Ip; prefix: number } | null {
    const slash = tok.text.indexOf('/');
    const address = parseIp(slash < 0 ? tok.text : tok.text.slice(0, slash));
    if (address === null) return this.invalid(tok, what, 'an IPv4 or IPv6 address with an optional /prefix');
    const max = address.includes(':') ? 128 : 32;
    if (slash < 0) return { address, prefix: max };
    const p = tok.text.slice(slash + 1);
    if (!/^\d+$/.test(p) || Number(p) > max) return this.invalid(tok, what, `a prefix length 0..${max}`);
    return { address, prefix: Number(p) };
  }

  /** Words of a list block: every statement's name and args. */
  words(node: ConfigNode): Token[] {
    const out: Token[] = [];
    for (const c of node.children ?? []) out.push(c.name, ...c.args);
    return out;
  }

  /** Requires a block; reports a statement used where a block was expected. */
  needsBlock(node: ConfigNode): boolean {
    if (node.children !== null) return true;
    this.sink.warning(node.name, `${node.name.text} needs a block '{ ... }': ignored, as keepalived does`);
    return false;
  }
}

/** /^[+-]?\d+$/ without a regex. */
export function isIntText(s: string): boolean {
  const n = s.length;
  let i = n > 0 && (s.charCodeAt(0) === 43 || s.charCodeAt(0) === 45) ? 1 : 0;
  if (i === n) return false;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** TIMER text, /^\d+(\.\d+)?$|^\.\d+$/, without a regex. */
function isTimerText(s: string): boolean {
  const n = s.length;
  let i = 0;
  while (i < n && isDigit(s.charCodeAt(i))) i++;
  if (i === n) return n > 0;
  if (s.charCodeAt(i) !== 46 || i + 1 === n) return false;
  for (i++; i < n; i++) if (!isDigit(s.charCodeAt(i))) return false;
  return true;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Appends without spreading: a generated block can hold more items than the call stack allows. */
export function append<T>(to: T[], items: readonly T[]): number {
  for (const it of items) to.push(it);
  return to.length;
}

/** Dotted-quad check without a regex: most addresses in large configs are IPv4. */
export function isIPv4Fast(s: string): boolean {
  let parts = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i <= s.length; i++) {
    const c = i < s.length ? s.charCodeAt(i) : 46;
    if (c === 46) {
      if (digits === 0 || value > 255 || (digits > 1 && s.charCodeAt(i - digits) === 48)) return false;
      parts++;
      value = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57 && digits < 3) {
      value = value * 10 + c - 48;
      digits++;
    } else return false;
  }
  return parts === 4;
}

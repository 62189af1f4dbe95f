// $NAME / ${NAME} replacement as keepalived does it, with its built-in
// names ($_PWD, $_INSTANCE, $_HASH, $_BANG, ${_RANDOM lo hi}).
import type { DiagnosticSink, Position } from './diagnostics.js';
import { MAX_LINE_BYTES, overLong } from './line-bytes.js';

export const MAX_SUBST_DEPTH = 32;
const MAX_LINE_LENGTH = 1 << 20;

/** [A-Za-z0-9_] by char code, without a regex test per character. */
function isNameChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

export class Substituter {
  /** Set by substitute() when a value did not fit in MAX_LINE_BYTES: the line is not substituted further. */
  capped = false;

  constructor(
    private readonly defs: ReadonlyMap<string, string>,
    private readonly configId: string,
    private readonly sink: DiagnosticSink,
  ) {}

  /**
   * keepalived replaces $NAME in a loop's numbers (`~SEQ(I, $START, $END)`) before
   * it reads them; the variable and the rest of the line are left to each iteration.
   */
  loopArgs(body: string, dir: string, at: Position): string {
    const open = body.indexOf('(');
    const close = body.indexOf(')', open + 1);
    const comma = body.indexOf(',', open + 1);
    if (open < 0 || close < 0 || comma < 0 || comma > close) return body;
    const args = body.slice(comma, close);
    if (!args.includes('$')) return body;
    let replaced = args;
    for (let depth = 0; replaced.includes('$') && depth < MAX_SUBST_DEPTH; depth++) {
      const next = this.substitute(replaced, dir, at);
      if (next === null || next === replaced) break;
      replaced = next;
    }
    return body.slice(0, comma) + replaced + body.slice(close);
  }

  /** One round of replacement of $NAME / ${NAME}; callers re-process the result. */
  substitute(
    text: string,
    dir: string,
    at: Position,
    chain: readonly string[] = [],
    used: string[] = [],
  ): string | null {
    this.capped = false;
    let out = '';
    let i = 0;
    while (i < text.length) {
      const dollar = text.indexOf('$', i);
      if (dollar < 0) break;
      out += text.slice(i, dollar);
      let name: string;
      let end: number;
      let braced = false;
      if (text[dollar + 1] === '{') {
        const close = text.indexOf('}', dollar + 2);
        if (close < 0) {
          out += text.slice(dollar);
          i = text.length;
          break;
        }
        name = text.slice(dollar + 2, close);
        end = close + 1;
        braced = true;
      } else {
        end = dollar + 1;
        while (end < text.length && isNameChar(text.charCodeAt(end))) end++;
        name = text.slice(dollar + 1, end);
        // Unbraced references count only when followed by whitespace, ',', ')' or the end, as in keepalived.
        if (end < text.length && !/[\s,)]/.test(text[end]!)) name = '';
      }
      let value = name ? this.lookup(name, dir, braced) : null;
      if (value !== null && chain.includes(name)) {
        // A definition that reaches itself would expand without end (and exponentially
        // through loops): refused, and left as written.
        this.sink.error(at, `$${name} refers to itself (${[...chain, name].join(' -> ')}): not expanded`);
        value = null;
      } else if (value !== null && this.defs.has(name)) used.push(name);
      if (value !== null && overLong(out, value, text, end)) {
        this.sink.warning(
          at,
          `$${name} would make the line longer than ${MAX_LINE_BYTES} bytes: it and the rest of the line are left unexpanded, as keepalived does`,
        );
        this.capped = true;
        return out + text.slice(dollar);
      }
      if (value === null) out += text.slice(dollar, end);
      else out += value;
      i = end;
      if (out.length > MAX_LINE_LENGTH) {
        this.sink.error(at, `parameter substitution produced a line longer than ${MAX_LINE_LENGTH} bytes`);
        return null;
      }
    }
    out += text.slice(i);
    return out;
  }

  private lookup(name: string, dir: string, braced: boolean): string | null {
    const v = this.defs.get(name);
    if (v !== undefined) return v;
    if (name === '_PWD') return dir;
    if (name === '_INSTANCE') return this.configId;
    if (name === '_HASH') return '#';
    if (name === '_BANG') return '!';
    if (braced && /^_RANDOM(\s|$)/.test(name)) {
      const [, lo = '0', hi = '32767'] = name.trim().split(/\s+/);
      const min = Number(lo);
      const max = Number(hi);
      return String(min + Math.floor(Math.random() * (max - min + 1)));
    }
    return null;
  }
}

// Line-level lexing of keepalived's grammar: comments, quotes with escapes,
// and braces as tokens of their own (keepalived accepts "8090{").
import type { Position } from './diagnostics.js';

/** A word of the file with its position. */
export class Token implements Position {
  constructor(
    readonly text: string,
    /** True when any part was quoted: such a token is never a brace or keyword marker. */
    readonly quoted: boolean,
    readonly file: string,
    readonly line: number,
    readonly column: number,
  ) {}
}

export const WORD = 0;
export const QUOTED = 1;
export const OPEN = 2;
export const CLOSE = 3;

/**
 * The tokens of one logical line as parallel lists, reused from line to line:
 * lexing allocates only the words' strings, and braces never become objects.
 */
export class LineBuffer {
  file = '';
  line = 0;
  length = 0;
  readonly texts: string[] = [];
  readonly columns: number[] = [];
  /** WORD, QUOTED, OPEN or CLOSE. */
  readonly kinds: number[] = [];
  /** The line's tokens made once, when it repeats (a loop body): token() hands them out. */
  tokens: Token[] | null = null;
  /** The line's end was dropped at an unterminated '"' (keepalived then drops a script it names). */
  cut = false;
  /** Column of the quote an error is about (0: none). */
  errorColumn = 0;

  start(file: string, line: number): void {
    this.file = file;
    this.line = line;
    this.length = 0;
    this.tokens = null;
    this.cut = false;
    this.errorColumn = 0;
  }

  push(text: string, kind: number, column: number): void {
    const k = this.length++;
    this.texts[k] = text;
    this.kinds[k] = kind;
    this.columns[k] = column;
  }

  token(k: number): Token {
    const made = this.tokens;
    if (made !== null) return made[k]!;
    return new Token(this.texts[k]!, this.kinds[k] === QUOTED, this.file, this.line, this.columns[k]!);
  }
}

/** A lexed line kept for reuse: a loop body yields the same lines, at the same positions, each round. */
export class LexedLine {
  readonly texts: string[];
  readonly kinds: number[];
  readonly columns: number[];
  readonly tokens: Token[];
  readonly cut: boolean;
  constructor(
    buf: LineBuffer,
    readonly indent: number,
    readonly error: string | null,
  ) {
    const n = buf.length;
    this.texts = buf.texts.slice(0, n);
    this.kinds = buf.kinds.slice(0, n);
    this.columns = buf.columns.slice(0, n);
    this.cut = buf.cut;
    this.tokens = new Array<Token>(n);
    for (let k = 0; k < n; k++) this.tokens[k] = buf.token(k);
  }

  matches(file: string, line: number, indent: number): boolean {
    const t = this.tokens[0];
    return indent === this.indent && (t === undefined || (t.file === file && t.line === line));
  }

  /** Refills buf with this line. */
  replay(buf: LineBuffer, file: string, line: number): void {
    buf.start(file, line);
    const n = this.texts.length;
    for (let k = 0; k < n; k++) buf.push(this.texts[k]!, this.kinds[k]!, this.columns[k]!);
    buf.tokens = this.tokens;
    buf.cut = this.cut;
  }
}

const HASH = 35;
const BANG = 33;
const DQUOTE = 34;
const SQUOTE = 39;
const BACKSLASH = 92;
const LBRACE = 123;
const RBRACE = 125;

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 13 || c === 10 || c === 11 || c === 12;
}

/** Cuts a line at the first '#' or '!' outside quotes. */
export function decomment(line: string): string {
  let quote = 0;
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (quote) {
      if (c === BACKSLASH) i++;
      else if (c === quote) quote = 0;
    } else if (c === DQUOTE || c === SQUOTE) quote = c;
    else if (c === HASH || c === BANG) return line.slice(0, i);
  }
  return line;
}

const SIMPLE_ESCAPES: Record<string, string> = {
  a: '\x07',
  b: '\b',
  E: '\x1b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
};

/** Decodes one escape at text[i] (just after the backslash), up to end; returns [decoded, next index]. */
function readEscape(text: string, i: number, end: number): [string, number] {
  const ch = i < end ? text[i]! : undefined;
  if (ch === undefined) return ['\\', i];
  const simple = SIMPLE_ESCAPES[ch];
  if (simple !== undefined) return [simple, i + 1];
  if (ch >= '0' && ch <= '7') {
    let j = i;
    while (j < end && j < i + 3 && text[j]! >= '0' && text[j]! <= '7') j++;
    return [String.fromCharCode(Number.parseInt(text.slice(i, j), 8) & 0xff), j];
  }
  if (ch === 'x') {
    let j = i + 1;
    while (j < end && /[0-9a-fA-F]/.test(text[j]!)) j++;
    if (j === i + 1) return ['x', i + 1];
    return [String.fromCharCode(Number.parseInt(text.slice(i + 1, j), 16) & 0xff), j];
  }
  if (ch === 'c' && i + 1 < end) {
    return [String.fromCharCode(text.charCodeAt(i + 1) & 0x1f), i + 2];
  }
  return [ch, i + 1];
}

/**
 * Splits text[start, end), an already de-commented line, into tokens. Quotes
 * group words and are removed; `abc" d "ef` is one token, as in keepalived.
 * Token columns count from start, plus indent; messages count from start alone.
 * Returns a message for an unterminated quote: a '"' drops the rest of the line,
 * as keepalived's word splitter does; a "'" runs to the end of the line.
 */
export function tokenizeRange(
  text: string,
  start: number,
  end: number,
  indent: number,
  out: LineBuffer,
): string | null {
  let i = start;
  const base = indent - start + 1;
  let error: string | null = null;
  while (i < end) {
    let c = text.charCodeAt(i);
    if (isSpace(c)) {
      i++;
      continue;
    }
    const column = i + base;
    if (c === LBRACE || c === RBRACE) {
      out.push(c === LBRACE ? '{' : '}', c === LBRACE ? OPEN : CLOSE, column);
      i++;
      continue;
    }
    const wordStart = i;
    while (i < end) {
      c = text.charCodeAt(i);
      if (isSpace(c) || c === LBRACE || c === RBRACE || c === DQUOTE || c === SQUOTE) break;
      i++;
    }
    if (i === end || (c !== DQUOTE && c !== SQUOTE)) {
      // The common case: a plain word, one slice.
      out.push(text.slice(wordStart, i), WORD, column);
      continue;
    }
    let value = text.slice(wordStart, i);
    let seg = i;
    while (i < end) {
      c = text.charCodeAt(i);
      if (isSpace(c) || c === LBRACE || c === RBRACE) break;
      if (c === DQUOTE || c === SQUOTE) {
        const quoteAt = i;
        value += text.slice(seg, i);
        i++;
        let closed = false;
        seg = i;
        while (i < end) {
          const d = text.charCodeAt(i);
          if (d === c) {
            closed = true;
            break;
          }
          if (d === BACKSLASH) {
            value += text.slice(seg, i);
            const [decoded, next] = readEscape(text, i + 1, end);
            value += decoded;
            i = next;
            seg = i;
            continue;
          }
          i++;
        }
        if (!closed && c === DQUOTE) {
          // keepalived keeps the words before an unmatched '"' and drops it and the
          // rest of the line (a keyword may then lack its value). A word glued to
          // the quote (`abc"def`) ends at the quote.
          const before = text.slice(wordStart, quoteAt);
          if (value === before && before !== '') out.push(before, WORD, column);
          out.cut = true;
          out.errorColumn = quoteAt + base;
          return `unterminated quoted string: the rest of the line is ignored, as keepalived does`;
        }
        value += text.slice(seg, i);
        if (!closed && error === null) out.errorColumn = quoteAt + base;
        if (!closed) error ??= `unterminated quoted string: it runs to the end of the line`;
        else i++;
        seg = i;
        continue;
      }
      i++;
    }
    value += text.slice(seg, i);
    out.push(value, QUOTED, column);
  }
  return error;
}

// Character classes for lexPlainLine; anything from 127 up is UNUSUAL too.
const PLAIN = 0;
const SPACE = 1;
const BRACE = 2;
const COMMENT = 3;
const QUOTE = 4;
const UNUSUAL = 5;
const CLASS = new Uint8Array(128);
for (const c of [9, 10, 11, 12, 13, 32]) CLASS[c] = SPACE;
CLASS[LBRACE] = CLASS[RBRACE] = BRACE;
CLASS[HASH] = CLASS[BANG] = COMMENT;
CLASS[DQUOTE] = CLASS[SQUOTE] = QUOTE;
CLASS[36 /* $ */] = CLASS[127] = UNUSUAL;

const charClass = (c: number): number => (c < 127 ? CLASS[c]! : UNUSUAL);

/**
 * Lexes text[start, end), one physical line, in a single pass when it needs
 * nothing but splitting: ASCII, no `$`, quotes closed and without escapes,
 * not an @, ~ or include line. Stops at a comment. Returns false for any other
 * line, which then goes the long way: decomment(), the preprocessor, tokenizeRange().
 */
export function lexPlainLine(text: string, start: number, end: number, out: LineBuffer): boolean {
  let i = start;
  let first = true;
  while (i < end) {
    let c = text.charCodeAt(i);
    let cls = charClass(c);
    if (cls === SPACE) {
      i++;
      continue;
    }
    if (cls === COMMENT) break;
    if (first && (c === 64 /* @ */ || c === 126 /* ~ */ || (c === 105 && text.startsWith('include', i))))
      return false;
    first = false;
    const column = i - start + 1;
    if (cls === BRACE) {
      out.push(c === LBRACE ? '{' : '}', c === LBRACE ? OPEN : CLOSE, column);
      i++;
      continue;
    }
    const wordStart = i;
    let value: string | null = null;
    let seg = i;
    for (; i < end; i++) {
      c = text.charCodeAt(i);
      cls = charClass(c);
      if (cls === PLAIN) continue;
      if (cls === UNUSUAL) return false;
      if (cls !== QUOTE) break;
      const close = quoteEnd(text, i + 1, end, c);
      if (close < 0) return false;
      value = (value ?? '') + text.slice(seg, i) + text.slice(i + 1, close);
      i = close;
      seg = close + 1;
    }
    if (value === null) out.push(text.slice(wordStart, i), WORD, column);
    else out.push(value + text.slice(seg, i), QUOTED, column);
  }
  return true;
}

/** Index of the closing quote q from i on, or -1 when it is missing or the quote needs more than splitting. */
function quoteEnd(text: string, i: number, end: number, q: number): number {
  for (; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === q) return i;
    if (c === BACKSLASH || charClass(c) === UNUSUAL) return -1;
  }
  return -1;
}

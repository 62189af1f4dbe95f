// Line-level lexing of keepalived's grammar: comments, quotes with escapes,
// and braces as tokens of their own (keepalived accepts "8090{").
import type { Position } from './diagnostics.js';

export interface Token extends Position {
  text: string;
  /** True when any part was quoted: such a token is never a brace or keyword marker. */
  quoted: boolean;
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

/** Decodes one escape at text[i] (just after the backslash); returns [decoded, next index]. */
function readEscape(text: string, i: number): [string, number] {
  const ch = text[i];
  if (ch === undefined) return ['\\', i];
  const simple = SIMPLE_ESCAPES[ch];
  if (simple !== undefined) return [simple, i + 1];
  if (ch >= '0' && ch <= '7') {
    let j = i;
    while (j < text.length && j < i + 3 && text[j]! >= '0' && text[j]! <= '7') j++;
    return [String.fromCharCode(Number.parseInt(text.slice(i, j), 8) & 0xff), j];
  }
  if (ch === 'x') {
    let j = i + 1;
    while (j < text.length && /[0-9a-fA-F]/.test(text[j]!)) j++;
    if (j === i + 1) return ['x', i + 1];
    return [String.fromCharCode(Number.parseInt(text.slice(i + 1, j), 16) & 0xff), j];
  }
  if (ch === 'c' && i + 1 < text.length) {
    return [String.fromCharCode(text.charCodeAt(i + 1) & 0x1f), i + 2];
  }
  return [ch, i + 1];
}

/**
 * Splits an already de-commented line into tokens. Quotes group words and
 * are removed; `abc" d "ef` is one token, as in keepalived.
 * Returns an error message for an unterminated quote (the token is kept).
 */
export function tokenizeLine(text: string, file: string, line: number, out: Token[]): string | null {
  let i = 0;
  const n = text.length;
  let error: string | null = null;
  while (i < n) {
    let c = text.charCodeAt(i);
    if (isSpace(c)) {
      i++;
      continue;
    }
    const column = i + 1;
    if (c === LBRACE || c === RBRACE) {
      out.push({ text: c === LBRACE ? '{' : '}', quoted: false, file, line, column });
      i++;
      continue;
    }
    let value = '';
    let quoted = false;
    let start = i;
    while (i < n) {
      c = text.charCodeAt(i);
      if (isSpace(c) || c === LBRACE || c === RBRACE) break;
      if (c === DQUOTE || c === SQUOTE) {
        value += text.slice(start, i);
        quoted = true;
        const q = c;
        i++;
        let closed = false;
        let seg = i;
        while (i < n) {
          const d = text.charCodeAt(i);
          if (d === q) {
            closed = true;
            break;
          }
          if (d === BACKSLASH) {
            value += text.slice(seg, i);
            const [decoded, next] = readEscape(text, i + 1);
            value += decoded;
            i = next;
            seg = i;
            continue;
          }
          i++;
        }
        value += text.slice(seg, i);
        if (!closed) error ??= `unterminated quoted string starting at column ${column}`;
        else i++;
        start = i;
        continue;
      }
      i++;
    }
    value += text.slice(start, i);
    out.push({ text: value, quoted, file, line, column });
  }
  return error;
}

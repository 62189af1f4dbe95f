// The one-pass lexer for plain lines gives exactly the tokens of the long way
// (decomment, trim, tokenizeRange), or declines the line.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { decomment, LineBuffer, lexPlainLine, tokenizeRange } from '../../../src/config/lexer.js';

interface Lexed {
  tokens: [string, number, number][];
  error: string | null;
}

function read(buf: LineBuffer, error: string | null): Lexed {
  const tokens: [string, number, number][] = [];
  for (let k = 0; k < buf.length; k++) tokens.push([buf.texts[k]!, buf.kinds[k]!, buf.columns[k]!]);
  return { tokens, error };
}

/** What the preprocessor does with a line that needs no substitution, include or condition. */
function longWay(line: string): Lexed {
  const raw = decomment(line);
  const body = raw.trim();
  const buf = new LineBuffer();
  buf.start('f', 1);
  if (body === '') return read(buf, null);
  return read(buf, tokenizeRange(body, 0, body.length, raw.indexOf(body[0]!), buf));
}

function fast(line: string, prefix = ''): Lexed | null {
  const text = `${prefix}${line}\nnext line`;
  const buf = new LineBuffer();
  buf.start('f', 1);
  return lexPlainLine(text, prefix.length, prefix.length + line.length, buf) ? read(buf, null) : null;
}

describe('lexPlainLine', () => {
  test('words, braces, quotes and comments', () => {
    expect(fast('  real_server 10.0.0.2 80{ weight "a b"c # x')).toEqual({
      tokens: [
        ['real_server', 0, 3],
        ['10.0.0.2', 0, 15],
        ['80', 0, 24],
        ['{', 2, 26],
        ['weight', 0, 28],
        ['a bc', 1, 35],
      ],
      error: null,
    });
    expect(fast('a!b')?.tokens).toEqual([['a', 0, 1]]);
    expect(fast('"#!{}" x')?.tokens).toEqual([
      ['#!{}', 1, 1],
      ['x', 0, 8],
    ]);
  });

  test('declines what needs the preprocessor or escapes', () => {
    for (const line of ['$X=1', 'a $X', '@id x', '~SEQ(i,1,2) x', 'include a', ' "a\\tb"', '"open', 'é']) {
      expect(fast(line), line).toBeNull();
    }
  });

  test('agrees with the long way on random lines', () => {
    const chars = fc.constantFrom(...' \t\r\v\f{}#!"\'\\$@~xyz019._-é');
    fc.assert(
      fc.property(fc.array(chars, { maxLength: 24 }), fc.nat(3), (cs, pad) => {
        const line = cs.join('');
        const got = fast(line, 'p'.repeat(pad));
        if (got !== null) expect(got).toEqual(longWay(line));
      }),
      { numRuns: 3000 },
    );
  });
});

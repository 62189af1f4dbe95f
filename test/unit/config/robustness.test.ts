/* biome-ignore-all lint/suspicious/noTemplateCurlyInString: keepalived's ${NAME} syntax is the subject here */
// Random damage to real configs yields structured diagnostics: never a
// throw, never a hang, and every diagnostic has a position.
import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { type ConfigResult, parseConfigText } from '../../../src/config/index.js';
import { MAX_LOOP_LINES } from '../../../src/config/preprocess.js';
import { noFiles } from '../../support/no-files.js';

const SAMPLES = '/work/shared/keepalived-samples';
const texts = readdirSync(SAMPLES)
  .filter((f) => f.startsWith('keepalived.conf'))
  .map((f) => readFileSync(`${SAMPLES}/${f}`, 'utf8'));

function wellFormed(r: ConfigResult): void {
  expect(r.config).not.toBeNull();
  for (const d of r.diagnostics) {
    expect(['error', 'warning']).toContain(d.severity);
    expect(d.line).toBeGreaterThanOrEqual(1);
    expect(d.column).toBeGreaterThanOrEqual(1);
    expect(d.message.length).toBeGreaterThan(0);
  }
  expect(r.ok).toBe(!r.diagnostics.some((d) => d.severity === 'error'));
}

type Mutation =
  | { op: 'delete'; at: number }
  | { op: 'duplicate'; at: number }
  | { op: 'insert'; at: number; text: string };

const garbage = fc.oneof(
  fc.constantFrom(
    '{',
    '}',
    '"',
    "'",
    '\\',
    '$',
    '${',
    '@',
    '~SEQ(',
    '~LST({a,b},{1}',
    '#',
    '!',
    '\n',
    'include x',
  ),
  fc.string({ unit: 'binary', maxLength: 8 }),
  fc.constantFrom(
    '~SEQ(A, 0, 0, 9) x',
    '~SEQ(A, 1, 1, 99999999) y',
    '~SEQ(B, 1, 1, 50) z',
    '$A=$A$A$A$A',
    '$A',
    '${A}${A}',
  ),
);
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('duplicate' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), text: garbage }),
);

function mutate(text: string, ms: Mutation[]): string {
  const parts = text.split(/(\s+)/);
  for (const m of ms) {
    const i = m.at % Math.max(parts.length, 1);
    if (m.op === 'delete') parts.splice(i, 1);
    else if (m.op === 'duplicate') parts.splice(i, 0, parts[i] ?? '');
    else parts.splice(i, 0, ` ${m.text} `);
  }
  return parts.join('');
}

describe('mutated samples', () => {
  test('token deletion, duplication and garbage give diagnostics, not crashes', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...texts),
        fc.array(mutation, { minLength: 1, maxLength: 12 }),
        (text, ms) => {
          wellFormed(parseConfigText(mutate(text, ms), { file: 'm.conf', configId: 'x', ...noFiles }));
        },
      ),
      { numRuns: 400 },
    );
  }, 120_000);

  test('unbalanced braces always produce a warning at a brace, as in keepalived', () => {
    fc.assert(
      fc.property(fc.constantFrom(...texts), fc.nat(), fc.boolean(), (text, pos, open) => {
        const lines = text.split('\n');
        const i = pos % lines.length;
        lines.splice(i, 0, open ? 'extra_block {' : '}');
        const r = parseConfigText(lines.join('\n'), { file: 'b.conf', configId: 'x', ...noFiles });
        wellFormed(r);
        expect(
          r.diagnostics.some(
            (d) =>
              d.severity === 'warning' &&
              /never closed|extra '}'|is ignored, as keepalived does|read as a value/.test(d.message),
          ),
        ).toBe(true);
      }),
      { numRuns: 200 },
    );
  }, 120_000);
});

describe('includes', () => {
  test('deep chains stop at the depth limit; any cycle is reported once', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), fc.option(fc.nat(), { nil: null }), (n, back) => {
        const files: Record<string, string> = {};
        for (let i = 0; i < n; i++)
          files[`/c/${i}.conf`] = `vrrp_script s${i} {\n script /bin/true\n}\ninclude ${i + 1}.conf\n`;
        const target = back === null ? null : back % n;
        files[`/c/${n}.conf`] = target === null ? 'global_defs {\n}\n' : `include ${target}.conf\n`;
        const r = parseConfigText(files['/c/0.conf']!, {
          file: '/c/0.conf',
          configId: 'x',
          readFile: (p) => {
            const t = files[p];
            if (t === undefined) throw new Error('ENOENT');
            return t;
          },
        });
        wellFormed(r);
        const loops = r.diagnostics.filter((d) => d.message.startsWith('include loop'));
        const deep = r.diagnostics.filter((d) => d.message.includes('nested deeper'));
        if (n + 1 > 32) expect(deep).toHaveLength(1);
        else {
          expect(deep).toHaveLength(0);
          expect(loops).toHaveLength(target === null ? 0 : 1);
          expect(r.config!.vrrpScripts).toHaveLength(n);
        }
      }),
      { numRuns: 120 },
    );
  }, 120_000);

  test('self-recursive definitions and huge loops end with an error', () => {
    const r1 = parseConfigText('$A=x $A\n$A\n', { file: 'd.conf', configId: 'x', ...noFiles });
    expect(r1.diagnostics.map((d) => d.message)).toContain('$A refers to itself (A -> A): not expanded');
    // Through a loop, a cycle would grow exponentially before any depth limit: caught at once.
    const r4 = parseConfigText('$RS=x $VS\n$VS=~SEQ(I, 1, 3) $RS\n$VS\n', {
      file: 'd.conf',
      configId: 'x',
      ...noFiles,
    });
    expect(r4.diagnostics.map((d) => d.message)).toContain(
      '$VS refers to itself (VS -> RS -> VS): not expanded',
    );
    const r2 = parseConfigText('~SEQ(I, 0, 1, 5000000) x\n', { file: 'l.conf', configId: 'x', ...noFiles });
    expect(r2.diagnostics.map((d) => d.message)).toEqual([
      '~SEQ would expand to 5000001 lines: the limit is 1000000',
    ]);
    const r3 = parseConfigText('~SEQ(I, 1, 2000) ~SEQ(J, 1, 1000) x_${I}\n', {
      file: 'l.conf',
      configId: 'x',
      ...noFiles,
    });
    expect(r3.ok).toBe(false);
    expect(r3.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message)).toEqual([
      `~SEQ/~LST loops expand to more than ${MAX_LOOP_LINES} lines: expansion stopped there`,
    ]);
    // The bound counts the lines a loop produces, not its rounds: a 3-line definition
    // repeated 200,000 times is 600,000 lines. Reported once, at the loop's line.
    const r5 = parseConfigText(
      '$RS= \\\n  real_server 10.0.0.1 80 { \\\n weight 1 \\\n }\n\n  ~SEQ(I, 1, 200000) $RS\n',
      { file: 'm.conf', configId: 'x', ...noFiles },
    );
    const errors = r5.diagnostics.filter((d) => d.severity === 'error');
    expect(errors.map((d) => `${d.file}:${d.line}:${d.column}: ${d.message}`)).toEqual([
      `m.conf:6:3: ~SEQ/~LST loops expand to more than ${MAX_LOOP_LINES} lines: expansion stopped there`,
    ]);
    // Under the bound nothing is said: 150,000 rounds of 3 lines.
    const r6 = parseConfigText(
      '$RS= \\\n  real_server 10.0.0.1 80 { \\\n weight 1 \\\n }\n\n  ~SEQ(I, 1, 150000) $RS\n',
      { file: 'm.conf', configId: 'x', ...noFiles },
    );
    expect(r6.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  }, 60_000);
});

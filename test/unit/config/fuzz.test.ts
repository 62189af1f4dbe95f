/* biome-ignore-all lint/suspicious/noTemplateCurlyInString: keepalived's ${NAME} syntax is the subject here */
// The parser never throws: 20,000 mutated configs (bench/config-fuzz.ts; the
// 1,000,000-input run is `npm run fuzz:config`, figures in docs/config.md).
// Each gets a result, and every diagnostic a file:line:column. Inputs slower
// than a second are printed, not failed on: speed is not a test verdict here.
import { describe, expect, test } from 'vitest';
import { fuzz } from '../../../bench/config-fuzz.js';
import { parseConfigText } from '../../../src/config/index.js';

describe('config fuzz', () => {
  test('20,000 mutated inputs: no exception, every diagnostic placed', () => {
    const r = fuzz(20_000, 2026);
    if (r.slow.length) console.log(`inputs over 1 s: ${r.slow.length}`, r.slow.slice(0, 3));
    expect(r.inputs).toBe(20_000);
    expect(r.exceptions.slice(0, 3)).toEqual([]);
    expect(r.malformed.slice(0, 3)).toEqual([]);
    // The mutations reach both verdicts and the warnings in between.
    expect(r.withErrors).toBeGreaterThan(100);
    expect(r.withWarnings).toBeGreaterThan(100);
  }, 600_000);

  test('a bare include with a comment mark is a positioned warning, not a TypeError', () => {
    const r = parseConfigText('include! ${_PWD}/1692/*.conf\n', {
      file: '/f/k.conf',
      configId: 'x',
      readFile: () => {
        throw new Error('ENOENT');
      },
      listDir: () => null,
    });
    expect(r.ok).toBe(true);
    expect(r.diagnostics).toEqual([
      expect.objectContaining({ file: '/f/k.conf', line: 1, column: 1, severity: 'warning' }),
    ]);
  });
});

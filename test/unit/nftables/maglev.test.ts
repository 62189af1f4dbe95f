import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildMaglev } from '../../../src/kernel/nftables/maglev.js';

const M = 65537;
const names = (n: number) => Array.from({ length: n }, (_, i) => `10.0.${i >> 8}.${i & 255}:8080`);

function counts(t: Int32Array, n: number): number[] {
  const c = new Array<number>(n).fill(0);
  for (const v of t) c[v]!++;
  return c;
}

describe('Maglev table', () => {
  it('fills every slot and spreads equal weights within one slot of M/N (M=65537)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), (n) => {
        const t = buildMaglev(
          names(n).map((name) => ({ name, weight: 1 })),
          M,
        );
        expect(t.every((v) => v >= 0 && v < n)).toBe(true);
        const c = counts(t, n);
        expect(Math.max(...c) - Math.min(...c)).toBeLessThanOrEqual(1);
      }),
      { numRuns: 25 },
    );
  });

  it('gives weighted backends slots in proportion to their weight, and none to weight 0', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 10 }), { minLength: 1, maxLength: 12 }), (ws) => {
        const t = buildMaglev(
          names(ws.length).map((name, i) => ({ name, weight: ws[i]! })),
          M,
        );
        const total = ws.reduce((a, b) => a + b, 0);
        if (total === 0) {
          expect(t.every((v) => v === -1)).toBe(true);
          return;
        }
        const c = counts(t, ws.length);
        ws.forEach((w, i) => {
          // exact up to one round of turns
          expect(Math.abs(c[i]! - (M * w) / total)).toBeLessThanOrEqual(10);
        });
      }),
      { numRuns: 25 },
    );
  });

  it('moves few other slots when one backend is removed', () => {
    fc.assert(
      fc.property(fc.integer({ min: 3, max: 40 }), fc.nat(), (n, pick) => {
        const all = names(n).map((name) => ({ name, weight: 1 }));
        const gone = pick % n;
        const before = buildMaglev(all, M);
        const rest = all.filter((_, i) => i !== gone);
        const after = buildMaglev(rest, M);
        let moved = 0;
        for (let s = 0; s < M; s++) {
          if (before[s] === gone) continue;
          if (all[before[s]]!.name !== rest[after[s]]!.name) moved++;
        }
        // the removed backend's 1/N share must move; the rest should barely move
        expect(moved / M).toBeLessThan(0.02);
      }),
      { numRuns: 20 },
    );
  });

  it('refuses a table size that is not prime', () => {
    expect(() => buildMaglev([{ name: 'a', weight: 1 }], 65536)).toThrow(/not prime/);
  });
});

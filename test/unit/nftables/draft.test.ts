import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DataPlaneOp } from '../../../src/kernel/dataplane.js';
import { Draft } from '../../../src/kernel/nftables/draft.js';
import { foldOp, type SvcModel } from '../../../src/kernel/nftables/model.js';
import { canonicalIp as asIp } from '../../../src/kernel/vocabulary.js';

const key = (n: number) =>
  ({ kind: 'ip', family: 'inet', protocol: 'tcp', address: asIp(`10.0.0.${n}`), port: 80 }) as const;
const dest = (n: number, weight: number) => ({
  address: asIp(`172.16.0.${n}`),
  port: 8080,
  family: 'inet' as const,
  forwarding: 'nat' as const,
  weight,
  upperThreshold: 0,
  lowerThreshold: 0,
});
const arbOp: fc.Arbitrary<DataPlaneOp> = fc.oneof(
  fc.integer({ min: 1, max: 6 }).map((n) => ({
    op: 'add-service' as const,
    service: { key: key(n), scheduler: 'wrr' as const, flags: 0, persistence: null },
  })),
  fc.integer({ min: 1, max: 6 }).map((n) => ({ op: 'delete-service' as const, key: key(n) })),
  fc
    .tuple(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: 5 }))
    .map(([n, d, w]) => ({ op: 'add-dest' as const, key: key(n), dest: dest(d, w) })),
);

/** Folds what it can (a bad operation is skipped on both sides). */
function fold(m: Parameters<typeof foldOp>[0], ops: DataPlaneOp[]): void {
  for (const op of ops) {
    try {
      foldOp(m, op);
    } catch {}
  }
}

describe('plane draft model', () => {
  it('reads, sizes and commits exactly as a folded copy of the model', () => {
    fc.assert(
      fc.property(fc.array(arbOp, { maxLength: 12 }), fc.array(arbOp, { maxLength: 12 }), (setup, ops) => {
        const base = new Map<string, SvcModel>();
        fold(base, setup);
        const copy = new Map(base);
        fold(copy, ops);
        const draft = new Draft(base);
        fold(draft, ops);
        expect(draft.size).toBe(copy.size);
        expect(new Map(draft)).toEqual(copy);
        for (const id of draft.touched) expect(draft.get(id)).toEqual(copy.get(id));
        expect(draft.commit()).toEqual(copy);
      }),
    );
  });
});

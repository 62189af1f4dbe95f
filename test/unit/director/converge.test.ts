// The fake plane stores addresses as the kernel does, so a reconciler that
// compares the config's spelling with the kernel's would re-apply here.
import { describe, expect, it } from 'vitest';
import { CANONICAL_TABLE, converge } from '../../support/converge.js';
import { FakeDataPlane } from '../../support/fake-dataplane.js';

describe('convergence on non-canonical address spellings', () => {
  it('applies everything once, then nothing on a second pass or on reloads of the unchanged file', async () => {
    const plane = new FakeDataPlane();
    const r = await converge(plane);
    expect(r.first.errors).toEqual([]);
    expect(r.first.ops).toHaveLength(6 + 8);
    expect(r.table).toEqual(CANONICAL_TABLE);
    expect(r.again.ops).toEqual([]);
    expect(r.reloads.map((x) => x.ops)).toEqual([[], []]);
    expect(r.reloads.flatMap((x) => x.errors)).toEqual([]);
    expect(plane.log).toHaveLength(14);
  });
});

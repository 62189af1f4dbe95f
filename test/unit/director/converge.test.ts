// The fake plane stores addresses as the kernel does, so a reconciler that
// compares the config's spelling with the kernel's would re-apply here.
import { describe, expect, it } from 'vitest';
import { converge, expectConverged } from '../../support/converge.js';
import { FakeDataPlane } from '../../support/fake-dataplane.js';

describe('convergence on non-canonical address spellings', () => {
  it('applies everything once, then nothing on a second pass or on reloads of the unchanged file', async () => {
    const plane = new FakeDataPlane();
    const r = await converge(plane);
    expectConverged(r);
    expect(plane.log).toHaveLength(14);
  });
});

// Host tier: the nftables plane on this machine's kernel converges on a
// keepalived.conf whose addresses are not in the kernel's spelling (the same
// file keepalived -t accepts in config-keepalived-agreement.test.ts).
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { Netns } from '../../lab/netns.js';
import { NftablesDataPlane } from '../../src/kernel/nftables/index.js';
import { converge, expectConverged } from '../support/converge.js';
import { testNetns } from '../support/netns.js';
import { requireRoot, requireTool } from '../support/require.js';

let ns: Netns;
beforeAll(() => {
  requireRoot();
  requireTool('nft');
  ns = testNetns('conv');
});
afterAll(() => ns?.delete());

describe('nftables plane: convergence on non-canonical address spellings', () => {
  it('applies zero operations on a second pass and on reloads of the unchanged file', async () => {
    const r = await converge(
      new NftablesDataPlane({ netns: ns.name, mhTableSize: 251 }),
      new NftablesDataPlane({ netns: ns.name }),
    );
    // Read back from the kernel by a fresh plane; flag-2 under mh is the kernel's SCHED2 bit.
    expectConverged(r);
  });
});

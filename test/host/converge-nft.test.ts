// Host tier: the nftables plane on this machine's kernel converges on a
// keepalived.conf whose addresses are not in the kernel's spelling (the same
// file keepalived -t accepts in config-keepalived-agreement.test.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Netns } from '../../lab/netns.js';
import { NftablesDataPlane } from '../../src/kernel/nftables/index.js';
import { CANONICAL_TABLE, converge } from '../support/converge.js';
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
    expect(r.first.errors).toEqual([]);
    expect(r.first.ops).toHaveLength(6 + 8);
    // Read back from the kernel by a fresh plane: canonical spelling.
    expect(r.table).toEqual(CANONICAL_TABLE);
    expect(r.again.ops).toEqual([]);
    expect(r.reloads.map((x) => x.ops)).toEqual([[], []]);
    expect(r.reloads.flatMap((x) => x.errors)).toEqual([]);
    const mh = r.listed.find((s) => s.key.kind === 'ip' && s.key.port === 8080)!;
    expect({ flags: mh.flags, persistence: mh.persistence }).toEqual({
      flags: 0x10,
      persistence: { timeoutSec: 300, prefix: 24 },
    });
  });
});

// Host tier: scripts leave the process beside many services with an interval
// map of their own. Before a script that touches set elements, nft reads the
// elements of every single-field interval map; beside thousands of them that
// would block the event loop, so the plane sends such scripts to the nft
// binary once more than RANGE_MAPS_IN_PROCESS services have their own map,
// and keeps them in process below it. The count follows changes and is read
// back from the kernel by a fresh plane.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Netns } from '../../lab/netns.js';
import type { DataPlaneOp, ServiceSpec } from '../../src/kernel/dataplane.js';
import { NftablesDataPlane, RANGE_MAPS_IN_PROCESS } from '../../src/kernel/nftables/plane.js';
import { canonicalIp as asIp } from '../../src/kernel/vocabulary.js';
import { testNetns } from '../support/netns.js';
import { requireRoot, requireTool } from '../support/require.js';

requireRoot();
requireTool('nft');

const key = (i: number) =>
  ({
    kind: 'ip',
    family: 'inet',
    protocol: 'tcp',
    address: asIp(`10.77.${i >> 8}.${i & 255}`),
    port: 80,
  }) as const;
/** A wrr service of two servers, weights 10 and 9 (modulus 19, its own map) or 1 and 1 (the hash map). */
function service(i: number, big: boolean): DataPlaneOp[] {
  const k = key(i);
  const spec: ServiceSpec = { key: k, scheduler: 'wrr', flags: 0, persistence: null };
  const d = (n: number, weight: number) => ({
    op: 'add-dest' as const,
    key: k,
    dest: {
      address: asIp(`172.16.${n}.1`),
      port: 8080,
      family: 'inet' as const,
      forwarding: 'nat' as const,
      weight,
      upperThreshold: 0,
      lowerThreshold: 0,
    },
  });
  return [{ op: 'add-service', service: spec }, d(1, big ? 10 : 1), d(2, big ? 9 : 1)];
}

describe('nftables: scripts beside many services with a map of their own', () => {
  let ns: Netns;
  let plane: NftablesDataPlane;
  beforeAll(() => {
    ns = testNetns('nfrm');
    plane = new NftablesDataPlane({ netns: ns.name });
  });
  afterAll(() => {
    plane?.close();
    ns?.delete();
  });

  it('run in process while few services have their own map', async () => {
    expect((await plane.apply(service(0, true))).errors).toEqual([]);
    const before = plane.nft.counts().inProcess;
    expect((await plane.apply(service(1, false))).errors).toEqual([]);
    expect(plane.nft.counts().inProcess).toBe(before + 1);
  });

  it(`run in the nft binary beyond ${RANGE_MAPS_IN_PROCESS}, for this plane and for a fresh one`, async () => {
    const ops = Array.from({ length: RANGE_MAPS_IN_PROCESS }, (_, i) => service(i + 2, true)).flat();
    expect((await plane.apply(ops)).errors).toEqual([]);
    const before = plane.nft.counts();
    // a small script (one new service) that would have run in process
    expect((await plane.apply(service(RANGE_MAPS_IN_PROCESS + 2, false))).errors).toEqual([]);
    const after = plane.nft.counts();
    expect(after.transactions).toBe(before.transactions + 1);
    expect(after.inProcess).toBe(before.inProcess);
    const fresh = new NftablesDataPlane({ netns: ns.name });
    try {
      expect(await fresh.list()).toHaveLength(RANGE_MAPS_IN_PROCESS + 3);
      expect((await fresh.apply(service(RANGE_MAPS_IN_PROCESS + 3, false))).errors).toEqual([]);
      expect(fresh.nft.counts().inProcess).toBe(0);
      // a weight change inside a service's own map stays a netlink batch
      const [, first] = service(0, true);
      const dest = first!.op === 'add-dest' ? { ...first!.dest, weight: 11 } : null;
      expect((await fresh.apply([{ op: 'update-dest', key: key(0), dest: dest! }])).errors).toEqual([]);
      expect(fresh.nft.counts().netlinkBatches).toBe(1);
    } finally {
      fresh.close();
    }
  }, 120_000);

  it('run in process again once the services with their own map are gone', async () => {
    const ops: DataPlaneOp[] = Array.from({ length: RANGE_MAPS_IN_PROCESS + 1 }, (_, i) => ({
      op: 'delete-service' as const,
      key: key(i + 2),
    }));
    expect((await plane.apply(ops)).errors).toEqual([]);
    const before = plane.nft.counts().inProcess;
    expect((await plane.apply(service(900, false))).errors).toEqual([]);
    expect(plane.nft.counts().inProcess).toBe(before + 1);
  }, 120_000);
});

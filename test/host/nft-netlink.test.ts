// floatlb's own nf_tables netlink transport against libnftables on the real
// kernel: the same services and the same sequence of changes go into two
// namespaces, one plane sending its incremental changes as its own netlink
// batches, the other rendering every change as an nft script through
// libnftables. After every step the two tables list identically. A refused
// batch commits nothing and reports the error nft would.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Netns } from '../../lab/netns.js';
import { runNftScript } from '../../native/libnftables.js';
import type { DataPlaneOp, DestSpec, ServiceSpec } from '../../src/kernel/dataplane.js';
import { NftablesDataPlane } from '../../src/kernel/nftables/index.js';
import { concat, flushChain, setElems } from '../../src/kernel/nftables/nl-codec.js';
import { NftNetlink } from '../../src/kernel/nftables/nl-transport.js';
import { canonicalIp as asIp, SCHED_FLAG_BIT } from '../../src/kernel/vocabulary.js';
import { testNetns } from '../support/netns.js';
import { requireRoot, requireTool } from '../support/require.js';

requireRoot();
requireTool('nft');

const v4 = (n: number) => asIp(`10.97.0.${n}`);
const v6 = (n: number) => asIp(`fd00:97::${n.toString(16)}`);
const dest = (family: 'inet' | 'inet6', i: number, weight: number): DestSpec => ({
  address: (family === 'inet' ? v4 : v6)(100 + i),
  port: 8000 + i,
  family,
  forwarding: 'nat',
  weight,
  upperThreshold: i * 10,
  lowerThreshold: i,
});

const specs: ServiceSpec[] = [];
for (const family of ['inet', 'inet6'] as const)
  for (const protocol of ['tcp', 'udp', 'sctp'] as const)
    for (const scheduler of ['rr', 'wrr', 'sh', 'dh', 'mh', 'fo'] as const)
      specs.push({
        key: {
          kind: 'ip',
          family,
          protocol,
          address: (family === 'inet' ? v4 : v6)(1),
          port: 1000 + specs.length,
        },
        scheduler,
        flags: scheduler === 'sh' ? SCHED_FLAG_BIT['sh-port'] : 0,
        persistence: null,
      });

/** Changes the netlink transport carries: weights, servers in and out, weight 0, scheduler and flags. */
function changes(s: ServiceSpec, step: number): DataPlaneOp[] {
  const f = s.key.family;
  const k = s.key;
  switch (step) {
    case 0:
      return [{ op: 'update-dest', key: k, dest: dest(f, 1, 7) }];
    case 1:
      return [
        { op: 'add-dest', key: k, dest: dest(f, 3, 4) },
        { op: 'delete-dest', key: k, dest: dest(f, 0, 1) },
      ];
    case 2:
      return [{ op: 'update-dest', key: k, dest: { ...dest(f, 2, 0), upperThreshold: 99 } }];
    case 3:
      return [
        {
          op: 'update-service',
          service: { ...s, scheduler: s.scheduler === 'wrr' ? 'rr' : 'wrr', flags: 0 },
        },
      ];
    default:
      // every server gone: the service keeps a counting rule and no slot
      return [1, 2, 3].map((i) => ({ op: 'delete-dest', key: k, dest: dest(f, i, 0) }));
  }
}

describe('nftables: own netlink batches give the same kernel state as libnftables', () => {
  let nsA: Netns;
  let nsB: Netns;
  let viaNetlink: NftablesDataPlane;
  let viaScript: NftablesDataPlane;
  const list = (ns: Netns) => ns.exec('nft', 'list', 'ruleset', 'inet');

  beforeAll(async () => {
    nsA = testNetns('nfnl');
    nsB = testNetns('nfnl');
    viaNetlink = new NftablesDataPlane({ netns: nsA.name, mhTableSize: 251 });
    viaScript = new NftablesDataPlane({ netns: nsB.name, mhTableSize: 251, netlink: false });
    const ops: DataPlaneOp[] = [];
    for (const s of specs) {
      ops.push({ op: 'add-service', service: s });
      for (const [i, w] of [1, 2, 5].entries())
        ops.push({ op: 'add-dest', key: s.key, dest: dest(s.key.family, i, w) });
    }
    for (const p of [viaNetlink, viaScript]) expect((await p.apply(ops)).errors).toEqual([]);
  }, 120_000);
  afterAll(() => {
    viaNetlink?.close();
    nsA?.delete();
    nsB?.delete();
  });

  it('starts equal (both planes wrote the new services as one script)', () => {
    expect(viaNetlink.nft.netlinkBatches).toBe(0);
    expect(list(nsA)).toBe(list(nsB));
  });

  for (let step = 0; step < 5; step++) {
    it(`change ${step + 1} on all ${specs.length} services: one netlink batch each, tables identical`, async () => {
      const before = viaNetlink.nft.counts();
      for (const s of specs) {
        const ops = changes(s, step);
        const a = await viaNetlink.apply(ops);
        const b = await viaScript.apply(ops);
        expect(a.errors.map((e) => e.error.message)).toEqual([]);
        expect(b.errors.map((e) => e.error.message)).toEqual([]);
      }
      const after = viaNetlink.nft.counts();
      // change 4 makes the mh services wrr over a modulus of 11: their slots move from the
      // interval shard to the hash map, which goes by script (it may declare the map)
      const moving = step === 3 ? specs.filter((s) => s.scheduler === 'mh').length : 0;
      expect(after.netlinkBatches - before.netlinkBatches).toBe(specs.length - moving);
      expect(after.inProcess - before.inProcess).toBe(moving);
      expect(viaScript.nft.netlinkBatches).toBe(0);
      expect(list(nsA)).toBe(list(nsB));
    }, 120_000);
  }

  it('a refused batch commits nothing and reads like nft: the errno words and the command', async () => {
    const table = list(nsA);
    const nl = new NftNetlink(nsA.name);
    try {
      // 10.97.0.1 . tcp . 1000 . 172.16.0.1 . 9: no such real server
      const missing = {
        key: concat([
          { ip: Buffer.from([10, 97, 0, 1]) },
          { proto: 6 },
          { port: 1000 },
          { ip: Buffer.from([172, 16, 0, 1]) },
          { port: 9 },
        ]),
      };
      const batch = [
        flushChain('floatlb', 's4_tcp_10_97_0_1_1000'), // valid on its own
        setElems('delete', 'floatlb', 'weight4', [missing]),
      ];
      const err = await nl.run(batch).then(
        () => null,
        (e: unknown) => e as Error,
      );
      expect(err?.message).toMatch(/^Error: Could not process rule: No such file or directory/);
      expect(err?.message).toContain('delete element inet floatlb weight4');
      // libnftables says the same for the same command
      const viaLib = runNftScript(
        'delete element inet floatlb weight4 { 10.97.0.1 . tcp . 1000 . 172.16.0.1 . 9 }\n',
        nsA.name,
      );
      expect(viaLib).toMatch(/Could not process rule: No such file or directory/);
    } finally {
      nl.close();
    }
    // the flush in the same batch was rolled back
    expect(list(nsA)).toBe(table);
  });

  it('a batch refused for a stale view is retried once from a fresh read, as scripts are', async () => {
    const k = specs[1]!.key;
    expect((await viaNetlink.apply([{ op: 'add-dest', key: k, dest: dest('inet', 1, 2) }])).errors).toEqual(
      [],
    );
    // someone else removes the weight element the next change deletes
    nsA.exec('nft', `delete element inet floatlb weight4 { ${v4(1)} . tcp . 1001 . ${v4(101)} . 8001 }`);
    const before = viaNetlink.nft.counts();
    const r = await viaNetlink.apply([{ op: 'update-dest', key: k, dest: dest('inet', 1, 3) }]);
    expect(r.errors).toEqual([]);
    const after = viaNetlink.nft.counts();
    // the refused batch, the table read back, the batch that committed
    expect(after.invocations - before.invocations).toBe(3);
    expect(after.netlinkBatches - before.netlinkBatches).toBe(1);
    expect(list(nsA)).toContain(
      `10.97.0.1 . tcp . 1001 . 10.97.0.101 . 8001 comment "floatlb:d nat 10 1" : 0x00000003`,
    );
  });
});

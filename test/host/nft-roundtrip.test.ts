// Every kind of service the nftables plane accepts goes into the kernel and
// comes back from list() as it went in: IPv4 and IPv6, TCP/UDP/SCTP, each
// scheduler, with and without persistence. Then it all goes away again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Netns } from '../../lab/netns.js';
import type { DataPlaneOp, DestSpec, ServiceSpec } from '../../src/kernel/dataplane.js';
import { serviceId } from '../../src/kernel/dataplane.js';
import { NftablesDataPlane } from '../../src/kernel/nftables/index.js';
import { canonicalIp as asIp, SCHED_FLAG_BIT } from '../../src/kernel/vocabulary.js';
import { testNetns } from '../support/netns.js';
import { requireRoot, requireTool } from '../support/require.js';

requireRoot();
requireTool('nft');

const v4 = (n: number) => asIp(`10.96.0.${n}`);
const v6 = (n: number) => asIp(`fd00:96::${n.toString(16)}`);

function services(): Array<{ spec: ServiceSpec; dests: DestSpec[] }> {
  const out: Array<{ spec: ServiceSpec; dests: DestSpec[] }> = [];
  let n = 1;
  for (const family of ['inet', 'inet6'] as const) {
    const addr = family === 'inet' ? v4 : v6;
    for (const protocol of ['tcp', 'udp', 'sctp'] as const) {
      for (const scheduler of ['rr', 'wrr', 'sh', 'dh', 'mh', 'fo'] as const) {
        for (const persist of family === 'inet' ? [false, true] : [false]) {
          const port = 1000 + n++;
          const spec: ServiceSpec = {
            key: { kind: 'ip', family, protocol, address: addr(1), port },
            scheduler,
            flags: scheduler === 'sh' ? SCHED_FLAG_BIT['sh-port'] : 0,
            persistence: persist ? { timeoutSec: 600, prefix: 24 } : null,
          };
          const dests = [0, 2, 5].map((weight, i) => ({
            address: addr(100 + i),
            port: 8000 + i,
            family,
            forwarding: 'nat' as const,
            weight,
            upperThreshold: i * 10,
            lowerThreshold: i,
          }));
          out.push({ spec, dests });
        }
      }
    }
  }
  return out;
}

describe('nftables plane round trip', () => {
  let ns: Netns;
  let plane: NftablesDataPlane;
  beforeAll(() => {
    ns = testNetns('nfrt');
    plane = new NftablesDataPlane({ netns: ns.name, mhTableSize: 251 });
  });
  afterAll(() => ns?.delete());

  it('lists every service and real server it applied, in both families', async () => {
    const all = services();
    const ops: DataPlaneOp[] = all.flatMap(({ spec, dests }) => [
      { op: 'add-service' as const, service: spec },
      ...dests.map((dest) => ({ op: 'add-dest' as const, key: spec.key, dest })),
    ]);
    const r = await plane.apply(ops);
    expect(r.errors.map((e) => e.error.message)).toEqual([]);
    expect(r.transactions).toBe(1);
    // a fresh plane: list() must come from the kernel, not from memory
    const listed = await new NftablesDataPlane({ netns: ns.name }).list();
    const got = new Map(listed.map((s) => [serviceId(s.key), s]));
    expect(got.size).toBe(all.length);
    for (const { spec, dests } of all) {
      const s = got.get(serviceId(spec.key))!;
      expect({ key: s.key, scheduler: s.scheduler, flags: s.flags, persistence: s.persistence }).toEqual(
        spec,
      );
      const strip = s.dests
        .map(({ activeConns, inactiveConns, persistentConns, stats, ...d }) => d)
        .sort((a, b) => a.port - b.port);
      expect(strip).toEqual(dests);
    }
  });

  it('changes weights and removes servers in every kind of service, then deletes them', async () => {
    const all = services();
    const r = await plane.apply(
      all.flatMap(({ spec, dests }) => [
        { op: 'update-dest' as const, key: spec.key, dest: { ...dests[0]!, weight: 7 } },
        { op: 'delete-dest' as const, key: spec.key, dest: dests[2]! },
      ]),
    );
    expect(r.errors.map((e) => e.error.message)).toEqual([]);
    const listed = await plane.list();
    for (const s of listed) expect(s.dests.map((d) => d.weight).sort()).toEqual([2, 7]);
    const del = await plane.apply(
      all.slice(1).map(({ spec }) => ({ op: 'delete-service' as const, key: spec.key })),
    );
    expect(del.errors).toEqual([]);
    expect((await plane.list()).map((s) => serviceId(s.key))).toEqual([serviceId(all[0]!.spec.key)]);
  });
});

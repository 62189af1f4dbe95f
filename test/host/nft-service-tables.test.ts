// Host tier: the service tables (names.ts SVC_TABLES). With 2,000 services
// loaded beside the lab's VIP, one weight change is one netlink batch whose
// chain and rule messages all name the VIP's own service table (the kernel
// validates only the tables such messages touch), every other service table
// is left exactly as it was (same rule handles), and new connections follow
// the new weights in the block order rr/wrr always had.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DataPlaneOp, DestSpec } from '../../src/kernel/dataplane.js';
import { type IpServiceKey, SVC_TABLES, svcTable, TABLE } from '../../src/kernel/nftables/names.js';
import type { NftMsg } from '../../src/kernel/nftables/nl-codec.js';
import { NftablesDataPlane } from '../../src/kernel/nftables/plane.js';
import { canonicalIp as asIp } from '../../src/kernel/vocabulary.js';
import { buildPlaneLab, type PlaneLab, requests } from '../support/dataplane-suite.js';
import { recordNft } from '../support/nft-record.js';
import { requireRoot, requireTool } from '../support/require.js';

requireRoot();
requireTool('nft');

const N = 2000;
const dest = (address: string, port: number, weight: number): DestSpec => ({
  address: asIp(address),
  port,
  family: 'inet',
  forwarding: 'nat',
  weight,
  upperThreshold: 0,
  lowerThreshold: 0,
});

describe('nftables service tables: a weight change at 2,000 services', () => {
  let t: PlaneLab;
  let plane: NftablesDataPlane;
  const batches: NftMsg[][] = [];
  let key: IpServiceKey;

  beforeAll(async () => {
    t = await buildPlaneLab('nfst');
    plane = new NftablesDataPlane({ netns: t.director.name });
    recordNft(plane, { batches });
    key = { kind: 'ip', family: 'inet', protocol: 'tcp', address: asIp(t.vip), port: t.vport };
    const ops: DataPlaneOp[] = [
      { op: 'add-service', service: { key, scheduler: 'wrr', flags: 0, persistence: null } },
      ...t.servers.map((s) => ({ op: 'add-dest' as const, key, dest: dest(s.address, t.rport, 1) })),
    ];
    for (let i = 0; i < N; i++) {
      const k = { ...key, address: asIp(`10.${100 + (i >> 8)}.${i & 255}.1`) };
      ops.push({ op: 'add-service', service: { key: k, scheduler: 'wrr', flags: 0, persistence: null } });
      ops.push({ op: 'add-dest', key: k, dest: dest(`172.16.${i & 255}.1`, 8080, 1 + (i % 5)) });
      ops.push({ op: 'add-dest', key: k, dest: dest(`172.16.${i & 255}.2`, 8080, 2) });
    }
    expect((await plane.apply(ops)).errors).toEqual([]);
  }, 300_000);
  afterAll(() => {
    plane?.close();
    t?.delete();
  });

  const listing = (table: string) => t.director.exec('nft', '-a', 'list', 'table', 'inet', table);

  it('spreads the services over every service table, each with its own NAT chains', () => {
    const tables = t.director.exec('nft', 'list', 'tables').trim().split('\n').sort();
    expect(tables).toHaveLength(1 + SVC_TABLES);
    expect(tables).toContain(`table inet ${TABLE}`);
    const own = listing(svcTable(key));
    expect(own).toMatch(/type nat hook prerouting priority dstnat/);
    expect(own).toMatch(/type nat hook output priority -100/);
    // the shared table keeps weights, counters and SNAT only
    expect(listing(TABLE)).not.toMatch(/hook prerouting|map svc4/);
  });

  it('touches only the service own table and the shared weights, and traffic follows the new weights', async () => {
    const others = [...Array(SVC_TABLES).keys()]
      .map((i) => `${TABLE}_s${i}`)
      .filter((n) => n !== svcTable(key));
    const before = new Map(others.map((n) => [n, listing(n)]));
    const own = listing(svcTable(key));
    expect(await requests(t, 30)).toEqual({ rs1: 10, rs2: 10, rs3: 10 });
    const n0 = batches.length;
    const [a, b, c] = t.servers;
    const r = await plane.apply([
      { op: 'update-dest', key, dest: dest(a!.address, t.rport, 1) },
      { op: 'update-dest', key, dest: dest(b!.address, t.rport, 0) },
      { op: 'update-dest', key, dest: dest(c!.address, t.rport, 3) },
    ]);
    expect(r.errors).toEqual([]);
    expect(batches.length - n0).toBe(1);
    for (const m of batches.at(-1)!) {
      // chains and rules (what makes the kernel validate a table) only in the VIP's table
      if (!m.what.includes(' element '))
        expect(m.what).toMatch(new RegExp(`^\\S+ \\S+ inet ${svcTable(key)} `));
      else expect(m.what).toMatch(new RegExp(`^\\S+ element inet (${svcTable(key)}|${TABLE}) `));
    }
    for (const [n, text] of before) expect(listing(n), n).toBe(text);
    expect(listing(svcTable(key))).not.toBe(own);
    // wrr 1:0:3 in block order: the new rule's counter starts at 0, so 40 connections split 10/30
    expect(await requests(t, 40)).toEqual({ rs1: 10, rs3: 30 });
  }, 120_000);

  it('a change that keeps the modulus keeps the rule and moves only the slot ranges that differ', async () => {
    const [a, , c] = t.servers;
    const n0 = batches.length;
    const r = await plane.apply([
      { op: 'update-dest', key, dest: dest(a!.address, t.rport, 3) },
      { op: 'update-dest', key, dest: dest(c!.address, t.rport, 1) },
    ]);
    expect(r.errors).toEqual([]);
    const what = batches
      .slice(n0)
      .flat()
      .map((m) => m.what);
    expect(what.filter((w) => !w.includes(' element '))).toEqual([]);
    // rr counter carries on (the rule stayed): 0-2 -> rs1, 3 -> rs3 over a whole number of rounds
    const spread = await requests(t, 40);
    expect(spread).toEqual({ rs1: 30, rs3: 10 });
  }, 120_000);
});

// Host tier: the two kinds of selection map (model.ts selKind). A service
// whose modulus is at most HASH_SLOTS keeps one element per slot in its
// service table's hash map, so a weight change adds and removes hash
// elements and never touches an interval map; a modulus above it goes to an
// interval map of the service's own, keyed by the slot range alone (an
// rbtree), where a change adds and removes only the ranges that differ.
// Crossing the line moves the service in one transaction. Traffic follows
// the weights in block order either way.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DestSpec, ServiceSpec } from '../../src/kernel/dataplane.js';
import { HASH_SLOTS } from '../../src/kernel/nftables/model.js';
import { hselMap, type IpServiceKey, rangeMap, svcTable } from '../../src/kernel/nftables/names.js';
import type { NftMsg } from '../../src/kernel/nftables/nl-codec.js';
import { NftablesDataPlane } from '../../src/kernel/nftables/plane.js';
import { canonicalIp as asIp } from '../../src/kernel/vocabulary.js';
import { buildPlaneLab, labDest, type PlaneLab, requests } from '../support/dataplane-suite.js';
import { recordNft } from '../support/nft-record.js';
import { requireRoot, requireTool } from '../support/require.js';

requireRoot();
requireTool('nft');

describe('nftables selection maps: hash for small moduli, interval above', () => {
  let t: PlaneLab;
  let plane: NftablesDataPlane;
  let key: IpServiceKey;
  const batches: NftMsg[][] = [];
  const scripts: string[] = [];
  const dest = (i: number, weight: number): DestSpec => labDest(t, i, weight);
  const weights = (w: readonly number[]) =>
    plane.apply(w.map((x, i) => ({ op: 'update-dest' as const, key, dest: dest(i, x) })));
  /** The elements of one map in the VIP's service table, as `nft list map` prints them. */
  const mapText = (name: string): string => {
    // a map not created yet lists as an error: no elements
    const table = t.director.exec('nft', 'list', 'table', 'inet', svcTable(key));
    return table.includes(`map ${name} {`)
      ? t.director.exec('nft', 'list', 'map', 'inet', svcTable(key), name)
      : '';
  };
  const slotsIn = (name: string): number =>
    (mapText(name).match(new RegExp(`${t.vip.replace(/\./g, '\\.')} \\. ${t.vport} \\. \\d+`, 'g')) ?? [])
      .length;
  /** Slot ranges in the service's own interval map ("0-15 : 10.x.x.x . 8080"; one slot prints alone). */
  const rangesIn = (): string[] => mapText(rangeMap(key)).match(/\b\d+(?:-\d+)? : \S+ \. \d+/g) ?? [];

  beforeAll(async () => {
    t = await buildPlaneLab('nfhs');
    plane = new NftablesDataPlane({ netns: t.director.name });
    recordNft(plane, { scripts, batches });
    key = { kind: 'ip', family: 'inet', protocol: 'tcp', address: asIp(t.vip), port: t.vport };
    const spec: ServiceSpec = { key, scheduler: 'wrr', flags: 0, persistence: null };
    const r = await plane.apply([
      { op: 'add-service', service: spec },
      ...[1, 1, 1].map((w, i) => ({ op: 'add-dest' as const, key, dest: dest(i, w) })),
    ]);
    expect(r.errors).toEqual([]);
  }, 120_000);
  afterAll(() => {
    plane?.close();
    t?.delete();
  });

  it('a small modulus keeps one hash element per slot, and no interval map', async () => {
    expect(slotsIn(hselMap(key))).toBe(3);
    expect(rangesIn()).toEqual([]);
    expect(await requests(t, 30)).toEqual({ rs1: 10, rs2: 10, rs3: 10 });
  }, 60_000);

  it('a weight change is one netlink batch of hash elements; no interval map is touched', async () => {
    const n0 = batches.length;
    expect((await weights([1, 0, 3])).errors).toEqual([]);
    expect(batches.length - n0).toBe(1);
    const sel = batches
      .at(-1)!
      .map((m) => m.what)
      .filter((w) => w.includes(' element ') && w.includes(`inet ${svcTable(key)} `));
    expect(sel.length).toBeGreaterThan(0);
    for (const w of sel) expect(w).toMatch(new RegExp(` ${hselMap(key)}$`));
    expect(slotsIn(hselMap(key))).toBe(4);
    // wrr 1:0:3 in block order from a fresh rule: 40 connections split 10/30
    expect(await requests(t, 40)).toEqual({ rs1: 10, rs3: 30 });
  }, 60_000);

  it(`a modulus above ${HASH_SLOTS} moves the service to its own interval map in one transaction, and back`, async () => {
    const s0 = scripts.length;
    const b0 = batches.length;
    // 16:1 is a modulus of 17
    expect((await weights([HASH_SLOTS, 1, 0])).errors).toEqual([]);
    expect(scripts.length - s0 + batches.length - b0).toBe(1);
    expect(slotsIn(hselMap(key))).toBe(0);
    expect(rangesIn()).toHaveLength(2);
    expect(await requests(t, HASH_SLOTS + 1)).toEqual({ rs1: HASH_SLOTS, rs2: 1 });
    // within the interval map: one netlink batch, only ranges that moved and the rule
    const b1 = batches.length;
    expect((await weights([HASH_SLOTS, 3, 0])).errors).toEqual([]);
    expect(batches.length - b1).toBe(1);
    const sel = batches
      .at(-1)!
      .map((m) => m.what)
      .filter((w) => w.includes(' element ') && w.includes(`inet ${svcTable(key)} `));
    expect(sel).toEqual([
      `delete element inet ${svcTable(key)} ${rangeMap(key)}`,
      `add element inet ${svcTable(key)} ${rangeMap(key)}`,
    ]);
    expect(rangesIn().sort()).toEqual([
      `0-${HASH_SLOTS - 1} : ${t.servers[0]!.address} . ${t.rport}`,
      `${HASH_SLOTS}-${HASH_SLOTS + 2} : ${t.servers[1]!.address} . ${t.rport}`,
    ]);
    expect(await requests(t, HASH_SLOTS + 3)).toEqual({ rs1: HASH_SLOTS, rs2: 3 });
    expect((await weights([2, 1, 1])).errors).toEqual([]);
    // back in the hash map: the service's own map is gone with its last rule
    expect(t.director.exec('nft', 'list', 'table', 'inet', svcTable(key))).not.toContain(
      `map ${rangeMap(key)} {`,
    );
    expect(slotsIn(hselMap(key))).toBe(4);
    expect(await requests(t, 40)).toEqual({ rs1: 20, rs2: 10, rs3: 10 });
  }, 90_000);

  it('reads back the same services and weights from the kernel', async () => {
    const fresh = new NftablesDataPlane({ netns: t.director.name });
    try {
      const [s] = await fresh.list();
      expect(s?.dests.map((d) => d.weight).sort()).toEqual([1, 1, 2]);
      // nothing to upgrade: every service already reads the map its modulus names
      expect(fresh.migrated).toBe(0);
    } finally {
      fresh.close();
    }
  });
});

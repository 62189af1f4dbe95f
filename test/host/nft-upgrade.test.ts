// A table written with an older layout is upgraded when the plane first
// reads it: the service tables before the hash selection maps (every
// service's slots in an interval shard), the single-table layout (every
// service chain and selection map in `inet floatlb`, dispatched from its own
// NAT chains), and the one before that, without the selection-map shards
// (one `sel_tcp4`, `vsel_tcp4`... per protocol and family). One transaction
// moves every misplaced service to its service table and selection map and
// drops the old dispatch and maps. A held connection through the
// VIP keeps working, no generation shows a service without its rule, and
// the services read back exactly as before, counters included.
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DataPlaneOp, type DestSpec, type ServiceSpec, serviceId } from '../../src/kernel/dataplane.js';
import { NftablesDataPlane } from '../../src/kernel/nftables/index.js';
import { foldOp, type SvcModel } from '../../src/kernel/nftables/model.js';
import {
  type IpServiceKey,
  selShard,
  serviceChain,
  svcTable,
  TABLE,
} from '../../src/kernel/nftables/names.js';
import { NftNetlink } from '../../src/kernel/nftables/nl-transport.js';
import { renderDiff } from '../../src/kernel/nftables/render.js';
import { canonicalIp as asIp } from '../../src/kernel/vocabulary.js';
import { buildPlaneLab, hold, type PlaneLab, requests } from '../support/dataplane-suite.js';
import { requireRoot, requireTool } from '../support/require.js';

requireRoot();
requireTool('nft');

const byId = <T extends { key: ServiceSpec['key'] }>(l: T[]): T[] =>
  [...l].sort((a, b) => (serviceId(a.key) < serviceId(b.key) ? -1 : 1));

/**
 * The layout before each large-modulus service had its own interval map:
 * its slot ranges, keyed VIP . port . range, in the shared shard
 * `sel_tcp4_N` that selShard names, read by `ip daddr . tcp dport . <hash>`.
 */
function sharedShards(script: string, keys: ReadonlyMap<string, IpServiceKey>): string {
  const shardOf = (own: string) => {
    const k = keys.get(own.replace(/_sel$/, ''))!;
    return { k, map: `sel_${k.protocol}${k.family === 'inet6' ? 6 : 4}_${selShard(k)}` };
  };
  return script
    .replace(
      /^add map (inet \S+) (s[46]_\w+_sel) \{ typeof numgen inc mod 2 : (\S+ daddr \. \S+ dport); flags interval; \}$/gm,
      (_l, t: string, own: string, data: string) =>
        `add map ${t} ${shardOf(own).map} { typeof ${data} . numgen inc mod 2 : ${data}; flags interval; }`,
    )
    .replace(
      /^add rule (inet \S+ \S+) meta l4proto (\S+) dnat (ip6?) addr \. port to (.*) map @(s[46]_\w+_sel) (comment .*)$/gm,
      (_l, where: string, p: string, ip: string, hash: string, own: string, comment: string) =>
        `add rule ${where} dnat ${ip} addr . port to ${ip} daddr . ${p} dport . ${hash} map @${shardOf(own).map} ${comment}`,
    )
    .replace(
      /^add element (inet \S+) (s[46]_\w+_sel) \{ (.*) \}$/gm,
      (_l, t: string, own: string, els: string) => {
        const { k, map } = shardOf(own);
        const ranged = els
          .split(', ')
          .map((e) => `${k.address} . ${k.port} . ${e}`)
          .join(', ');
        return `add element ${t} ${map} { ${ranged} }`;
      },
    );
}

/** The single-table layout: the same objects, every service table's content in `inet floatlb`. */
function singleTable(script: string): string {
  let first = true;
  return script
    .replace(/table inet floatlb_s\d+ \{\n[\s\S]*?\n\}\n/g, (block) => {
      if (!first) return '';
      first = false;
      return block.replace(/^table inet floatlb_s\d+ /, 'table inet floatlb ');
    })
    .replace(/inet floatlb_s\d+ /g, 'inet floatlb ');
}
/** The layout before the shards: single table, one selection map per protocol and family. */
const preShard = (script: string) =>
  singleTable(script).replace(/\b(v?sel_(?:tcp|udp|sctp)[46])_\d+\b/g, '$1');

/** The service tables with 1024 selection shards, before the hash maps (a shard's number mod 1024). */
const before4096 = (script: string) =>
  script.replace(
    /\b(v?sel_(?:tcp|udp|sctp)[46])_(\d+)\b/g,
    (_m, map: string, n: string) => `${map}_${Number(n) % 1024}`,
  );

const asIs = (script: string) => script;

// [layout, its script from today's renderer's with the ranges in shared shards, services it moves, hash maps]
describe.each([
  // only mh (4093 slots) moves: from its shard to its own map
  ['the service tables with hash maps and shared interval shards', asIs, 1, true],
  // the three small moduli move to the hash map, mh to its own map; the persistent one when its shard number changed
  ['the service tables with 1024 shards, before the hash selection maps', before4096, -1, false],
  ['the single-table layout', singleTable, 5, false],
  ['the layout before the selection-map shards', preShard, 5, false],
] as const)('nftables: upgrade of a table written in %s', (_name, older, moves, hashMaps) => {
  let t: PlaneLab;
  const table = () => t.director.exec('nft', 'list', 'ruleset', 'inet');
  let ops: DataPlaneOp[];

  beforeAll(async () => {
    t = await buildPlaneLab('nfup');
    const vip = { kind: 'ip', family: 'inet', protocol: 'tcp', address: asIp(t.vip), port: t.vport } as const;
    const dest = (
      address: string,
      port: number,
      weight: number,
      family: 'inet' | 'inet6' = 'inet',
    ): DestSpec => ({
      address: asIp(address),
      port,
      family,
      forwarding: 'nat',
      weight,
      upperThreshold: 0,
      lowerThreshold: 0,
    });
    const svc = (
      key: ServiceSpec['key'],
      scheduler: ServiceSpec['scheduler'],
      pers = false,
    ): ServiceSpec => ({
      key,
      scheduler,
      flags: 0,
      persistence: pers ? { timeoutSec: 300, prefix: 24 } : null,
    });
    const other = (n: number, protocol: 'tcp' | 'udp') =>
      ({ kind: 'ip', family: 'inet', protocol, address: asIp(`10.99.0.${n}`), port: 80 }) as const;
    const v6 = {
      kind: 'ip',
      family: 'inet6',
      protocol: 'tcp',
      address: asIp('fd00:99::1'),
      port: 443,
    } as const;
    ops = [
      { op: 'add-service', service: svc(vip, 'rr') },
      ...t.servers.map((s) => ({ op: 'add-dest' as const, key: vip, dest: dest(s.address, t.rport, 1) })),
      { op: 'add-service', service: svc(other(1, 'tcp'), 'wrr') },
      { op: 'add-dest', key: other(1, 'tcp'), dest: dest('172.16.9.1', 80, 3) },
      { op: 'add-dest', key: other(1, 'tcp'), dest: dest('172.16.9.2', 80, 5) },
      { op: 'add-service', service: svc(other(2, 'udp'), 'mh') },
      { op: 'add-dest', key: other(2, 'udp'), dest: dest('172.16.9.3', 53, 1) },
      { op: 'add-service', service: svc(other(3, 'tcp'), 'rr', true) },
      { op: 'add-dest', key: other(3, 'tcp'), dest: dest('172.16.9.4', 80, 1) },
      { op: 'add-service', service: svc(v6, 'wrr') },
      { op: 'add-dest', key: v6, dest: dest('fd00:99::10', 8443, 2, 'inet6') },
    ];
    const model = new Map<string, SvcModel>();
    for (const op of ops) foldOp(model, op);
    // hashSlots 0: every slot in an interval map, as before the hash maps; the ranges in the shared shards
    const o = { masquerade: false, mhSize: 4093, ...(hashMaps ? {} : { hashSlots: 0 }) };
    const keys = new Map(
      [...model.values()].map((m) => [serviceChain(m.spec.key), m.spec.key as IpServiceKey]),
    );
    const script = older(sharedShards(renderDiff(new Map(), model, o, { base: true }), keys));
    expect(script).not.toMatch(/_sel\b/);
    execFileSync('ip', ['netns', 'exec', t.director.name, 'nft', '-f', '-'], { input: script });
    if (!hashMaps) expect(table()).not.toMatch(/@hsel_/);
    if (older !== before4096 && older !== asIs) {
      expect(table()).not.toMatch(/floatlb_s\d+/);
      expect(table()).toMatch(/chain prerouting/);
    }
    if (older === preShard) expect(table()).not.toMatch(/sel_tcp4_\d+/);
  }, 120_000);
  afterAll(() => t?.delete());

  /** Kernel generations (committed transactions) while fn runs, from the generation id. */
  async function generations(fn: () => Promise<void>): Promise<number> {
    const nl = new NftNetlink(t.director.name);
    try {
      const before = await nl.generation();
      await fn();
      return (await nl.generation()) - before;
    } finally {
      nl.close();
    }
  }

  it('is upgraded in one transaction at the first read, keeping a held connection and every service', async () => {
    const held = hold(t);
    try {
      const first = await held.ask();
      // read after the held connection was counted: the upgrade keeps the per-server counters too
      const before = await new NftablesDataPlane({ netns: t.director.name, migrate: false }).list();
      expect(before).toHaveLength(5);
      expect(before.reduce((n, s) => n + (s.stats?.conns ?? 0n), 0n)).toBe(1n);
      const plane = new NftablesDataPlane({ netns: t.director.name });
      let after: Awaited<ReturnType<NftablesDataPlane['list']>> = [];
      const gens = await generations(async () => {
        after = await plane.list();
      });
      // mh (4093 slots) leaves the shard for its own map; the persistent one moves if its shard number changed
      const resharded =
        1 +
        ops.filter(
          (op) =>
            op.op === 'add-service' &&
            op.service.persistence &&
            selShard(op.service.key as IpServiceKey) >= 1024,
        ).length;
      expect(plane.migrated).toBe(moves === -1 ? 3 + resharded : moves);
      expect(gens).toBe(1);
      // the listing's order follows the tables; the content is the same
      expect(byId(after)).toEqual(byId(before));
      // the old dispatch and maps are gone; every rule reads its shard in its service table
      const text = table();
      expect(text).not.toMatch(/map v?sel_(tcp|udp|sctp)[46] \{/);
      expect(text.match(/map @([vh]?sel_[a-z]+[46](_\d+)?|s[46]_\w+_sel)\b/g)).toHaveLength(5);
      // mh's 4093 slots: ranges in a map of its own; no shared interval shard is left
      expect(text.match(/map @s[46]_\w+_sel\b/g)).toHaveLength(1);
      expect(text).not.toMatch(/map sel_/);
      // small moduli read their table's hash map: rr over 3, wrr 3:5, the IPv6 service
      expect(text.match(/map @hsel_[a-z]+[46]\b/g)).toHaveLength(3);
      const shared = t.director.exec('nft', 'list', 'table', 'inet', TABLE);
      expect(shared).not.toMatch(/chain (prerouting|output)|map (svc[46]|v?sel_)|chain s[46]_/);
      for (const op of ops) {
        if (op.op !== 'add-service') continue;
        const k = op.service.key as IpServiceKey;
        expect(t.director.exec('nft', 'list', 'table', 'inet', svcTable(k))).toContain(
          `chain ${serviceChain(k)} {`,
        );
      }
      expect(await held.ask()).toBe(first);
      const spread = await requests(t, 30);
      expect(Object.values(spread).reduce((a, b) => a + b, 0)).toBe(30);
      expect(Object.keys(spread).sort()).toEqual(['rs1', 'rs2', 'rs3']);
      // a second start finds nothing to do
      const again = new NftablesDataPlane({ netns: t.director.name });
      const specs = (l: typeof before) =>
        l.map((x) => ({ ...x, stats: null, dests: x.dests.map((d) => ({ ...d, stats: null })) }));
      expect(specs(byId(await again.list()))).toEqual(specs(byId(before)));
      expect(again.migrated).toBe(0);
      // and the upgraded table takes incremental changes over netlink
      const vipKey = ops[0]!.op === 'add-service' ? ops[0]!.service.key : null;
      const d0 = ops[1]!.op === 'add-dest' ? ops[1]!.dest : null;
      const r = await again.apply([{ op: 'update-dest', key: vipKey!, dest: { ...d0!, weight: 0 } }]);
      expect(r.errors).toEqual([]);
      expect(again.nft.netlinkBatches).toBe(1);
      again.close();
      plane.close();
    } finally {
      held.close();
    }
  });
});

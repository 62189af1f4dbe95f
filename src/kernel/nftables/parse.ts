// Reads floatlb's tables back from `nft -j list ruleset inet` (the shared
// table `floatlb` and the service tables `floatlb_sN`): service specs from
// rule comments, destinations from the weight maps, per-destination
// connection counts from the counted destination sets. Pure.
import type { DestState, Family, Ip, Protocol, ServiceState, Stats } from '../dataplane.js';
import { destId, serviceId } from '../dataplane.js';
import { canonicalIp } from '../vocabulary.js';
import type { PlaneModel, SvcModel } from './model.js';
import { decodeDest, decodeService, destSet, isSelMap, isSvcTable, TABLE, weightMap } from './names.js';

type Json = Record<string, unknown>;

const PROTO_NUM: Record<number, Protocol> = { 6: 'tcp', 17: 'udp', 132: 'sctp' };

function proto(v: unknown): Protocol {
  if (typeof v === 'number' && PROTO_NUM[v]) return PROTO_NUM[v]!;
  if (v === 'tcp' || v === 'udp' || v === 'sctp') return v;
  throw new Error(`unexpected protocol ${String(v)} in the floatlb table`);
}

function num(v: unknown): number {
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isFinite(n)) throw new Error(`unexpected number ${String(v)} in the floatlb table`);
  return n;
}

function objects(doc: unknown): Json[] {
  const list = (doc as { nftables?: unknown })?.nftables;
  return Array.isArray(list) ? (list as Json[]) : [];
}

/** The object's table name (inet family only), or null for metainfo and other families. */
function tableOf(o: Json): string | null {
  for (const kind of ['table', 'chain', 'rule', 'set', 'map', 'element'] as const) {
    const v = o[kind] as Json | undefined;
    if (!v) continue;
    if (v.family !== 'inet') return null;
    return String(kind === 'table' ? v.name : v.table);
  }
  return null;
}

/** Only the plane's own tables, out of a listing of the whole inet ruleset. */
function ours(doc: unknown): Json[] {
  return objects(doc).filter((o) => {
    const t = tableOf(o);
    return t !== null && (t === TABLE || isSvcTable(t));
  });
}

function tuple(elem: unknown): {
  key: unknown[];
  comment?: string;
  counter?: { packets: number; bytes: number };
} {
  const e = elem as Json;
  if (e && typeof e === 'object' && 'elem' in e) {
    const inner = e.elem as Json;
    const val = inner.val as Json;
    return {
      key: (val.concat as unknown[]) ?? [],
      comment: inner.comment as string | undefined,
      counter: inner.counter as { packets: number; bytes: number } | undefined,
    };
  }
  return { key: ((e as Json)?.concat as unknown[]) ?? [] };
}

function zeroStats(conns: bigint): Stats {
  return {
    conns,
    inPackets: 0n,
    outPackets: 0n,
    inBytes: 0n,
    outBytes: 0n,
    cps: 0n,
    inPps: 0n,
    outPps: 0n,
    inBps: 0n,
    outBps: 0n,
  };
}

export interface ParsedTable {
  readonly exists: boolean;
  /** Whether the postrouting chain masquerades. */
  readonly masquerade: boolean;
  readonly model: PlaneModel;
  readonly states: ServiceState[];
  /**
   * Where each service's rule is and which selection map it reads, as
   * "table map" ("floatlb_s14 hsel_tcp4", "floatlb_s14 s4_tcp_10_0_0_1_80_sel";
   * "floatlb sel_tcp4" in a table from before the shards).
   */
  readonly selMaps: ReadonlyMap<string, string>;
  /** The service tables present. */
  readonly tables: ReadonlySet<string>;
  /** Whether the shared table still has the NAT dispatch chains of the single-table layout. */
  readonly legacyDispatch: boolean;
}

// nft prints addresses with inet_ntop (::ffff:1.2.3.4 for mapped ones): make them canonical.
const ipOf = (a: unknown): Ip => canonicalIp(String(a));

const tupleId = (a: unknown, p: unknown, port: unknown): string => {
  const addr = ipOf(a);
  return serviceId({
    kind: 'ip',
    family: addr.includes(':') ? 'inet6' : 'inet',
    protocol: proto(p),
    address: addr,
    port: num(port),
  });
};

export function parseTable(doc: unknown): ParsedTable {
  const objs = ours(doc);
  const tables = new Set(
    objs
      .map((o) => (o.table as Json | undefined)?.name as string | undefined)
      .filter((n) => n && n !== TABLE),
  ) as Set<string>;
  const exists = objs.some((o) => (o.table as Json | undefined)?.name === TABLE);
  if (!exists)
    return {
      exists: false,
      masquerade: false,
      model: new Map(),
      states: [],
      selMaps: new Map(),
      tables,
      legacyDispatch: false,
    };
  const specs = new Map<string, SvcModel['spec']>();
  const selMaps = new Map<string, string>();
  for (const o of objs) {
    const r = o.rule as Json | undefined;
    if (!r || typeof r.comment !== 'string') continue;
    const s = decodeService(r.comment);
    if (!s || s.key.kind !== 'ip') continue;
    specs.set(serviceId(s.key), s as SvcModel['spec']);
    // the first map the rule reads that is a selection map (a persistent rule reads its affinity map first)
    const used = [...JSON.stringify(r.expr ?? []).matchAll(/"@(\w+)"/g)].map((m) => m[1]!).find(isSelMap);
    if (used) selMaps.set(serviceId(s.key), `${String(r.table)} ${used}`);
  }
  const dests = new Map<string, Map<string, DestState>>();
  const counts = new Map<string, bigint>();
  const byName = (name: string): Json | undefined =>
    objs.map((o) => (o.map ?? o.set) as Json | undefined).find((m) => m?.name === name && m.table === TABLE);
  for (const f of ['inet', 'inet6'] as Family[]) {
    for (const e of (byName(destSet(f))?.elem as unknown[]) ?? []) {
      const t = tuple(e);
      const [a, p, port, ra, rp] = t.key;
      counts.set(
        `${tupleId(a, p, port)} ${destId({ address: ipOf(ra), port: num(rp) })}`,
        BigInt(t.counter?.packets ?? 0),
      );
    }
    for (const e of (byName(weightMap(f))?.elem as unknown[][]) ?? []) {
      const t = tuple(e[0]);
      const [a, p, port, ra, rp] = t.key;
      const sid = tupleId(a, p, port);
      const meta = decodeDest(t.comment ?? '');
      if (!meta) continue;
      const d = { address: ipOf(ra), port: num(rp), family: f, weight: num(e[1]), ...meta };
      const did = destId(d);
      const m = dests.get(sid) ?? new Map<string, DestState>();
      dests.set(sid, m);
      const conns = counts.get(`${sid} ${did}`);
      m.set(did, {
        ...d,
        activeConns: 0,
        inactiveConns: 0,
        persistentConns: 0,
        stats: conns === undefined ? null : zeroStats(conns),
      });
    }
  }
  const model = new Map<string, SvcModel>();
  const states: ServiceState[] = [];
  for (const [id, spec] of specs) {
    const ds = dests.get(id) ?? new Map<string, DestState>();
    const strip = new Map([...ds].map(([k, d]) => [k, specOf(d)]));
    model.set(id, { spec, dests: strip });
    const list = [...ds.values()];
    const total = list.reduce((acc, d) => acc + (d.stats?.conns ?? 0n), 0n);
    states.push({ ...spec, dests: list, stats: zeroStats(total) });
  }
  const masquerade = objs.some((o) => {
    const r = o.rule as Json | undefined;
    return (
      r?.table === TABLE && r.chain === 'postrouting' && JSON.stringify(r.expr ?? []).includes('"masquerade"')
    );
  });
  const legacyDispatch = objs.some((o) => {
    const c = o.chain as Json | undefined;
    return c?.table === TABLE && (c.name === 'prerouting' || c.name === 'output');
  });
  return { exists: true, masquerade, model, states, selMaps, tables, legacyDispatch };
}

function specOf(d: DestState) {
  return {
    address: d.address,
    port: d.port,
    family: d.family,
    forwarding: d.forwarding,
    weight: d.weight,
    upperThreshold: d.upperThreshold,
    lowerThreshold: d.lowerThreshold,
  };
}

/** Keys (masked clients) of an affinity map whose target is one of `targets`. */
export function staleAffinity(doc: unknown, targets: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (const o of objects(doc)) {
    const m = o.map as Json | undefined;
    for (const e of (m?.elem as unknown[][]) ?? []) {
      const k = e[0] as Json | string;
      const client = typeof k === 'object' && k && 'elem' in k ? (k.elem as Json).val : k;
      const data = ((e[1] as Json)?.concat as unknown[]) ?? [];
      if (targets.has(destId({ address: ipOf(data[0]), port: num(data[1]) }))) out.push(String(client));
    }
  }
  return out;
}

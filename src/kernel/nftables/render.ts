// Model -> nft script. Pure: the same model diff always gives the same text,
// which the golden tests pin. One script is one `nft -f` run, one kernel
// transaction. A service's change touches only its own chain(s) and its own
// elements in the shared maps, and only in its own service table (names.ts).
import type { DestSpec, Family } from '../dataplane.js';
import { formatIp, IP_VS_SVC_F_SCHED2, maskBytes } from '../vocabulary.js';
import {
  type PlaneModel,
  type Selection,
  type SelKind,
  type SlotRange,
  type SvcModel,
  sameDest,
  selEntries,
  selection,
  selKind,
} from './model.js';
import {
  destChain,
  destSet,
  dispatchMap,
  encodeDest,
  encodeService,
  type IpServiceKey,
  ipKw,
  PROTOCOLS,
  persMap,
  selMapOf,
  serviceChain,
  svcTable,
  TABLE,
  weightMap,
} from './names.js';

export interface RenderOptions {
  /** SNAT the forwarded connections to the director's address (else routed return). */
  readonly masquerade: boolean;
  /** Maglev table size for `mh` (prime). */
  readonly mhSize: number;
  /** The largest modulus whose slots go in the hash map (model.ts selKind); default HASH_SLOTS. */
  readonly hashSlots?: number;
}

const T = `inet ${TABLE}`;
/** The service table of a service, as the script names it. */
const S = (k: IpServiceKey): string => `inet ${svcTable(k)}`;
const FAMILIES: readonly Family[] = ['inet', 'inet6'];
const addrType = (f: Family): string => (f === 'inet6' ? 'ipv6_addr' : 'ipv4_addr');

/** Counts new connections per destination; SNAT only what floatlb DNATed. */
function postroutingRules(o: RenderOptions): string[] {
  const out: string[] = [];
  for (const f of FAMILIES) {
    const ip = ipKw(f);
    for (const p of PROTOCOLS) {
      out.push(
        `meta l4proto ${p} ct status dnat ct original ${ip} daddr . meta l4proto . ct original proto-dst . ` +
          `${ip} daddr . th dport @${destSet(f)}${o.masquerade ? ' masquerade' : ''}`,
      );
    }
  }
  return out;
}

/** Rewrites the postrouting chain when the masquerade option changed. */
export function renderPostrouting(o: RenderOptions): string {
  const rules = postroutingRules(o).map((r) => `add rule ${T} postrouting ${r}\n`);
  return `flush chain ${T} postrouting\n${rules.join('')}`;
}

/** The shared table: weights, counted destinations, SNAT; rendered once, when absent. */
export function renderBase(o: RenderOptions): string {
  const l: string[] = [`table ${T} {`];
  for (const f of FAMILIES) {
    const a = addrType(f);
    l.push(`  map ${weightMap(f)} { type ${a} . inet_proto . inet_service . ${a} . inet_service : mark; }`);
    l.push(`  set ${destSet(f)} { type ${a} . inet_proto . inet_service . ${a} . inet_service; counter; }`);
  }
  const post = postroutingRules(o).map((r) => `    ${r}`);
  l.push(
    `  chain postrouting {\n    type nat hook postrouting priority srcnat; policy accept;\n${post.join('\n')}\n  }`,
  );
  l.push('}');
  return `${l.join('\n')}\n`;
}

/** A service table: its dispatch maps and NAT base chains; rendered when its first service arrives. */
export function renderSvcTable(name: string): string {
  const l: string[] = [`table inet ${name} {`];
  for (const f of FAMILIES) {
    l.push(`  map ${dispatchMap(f)} { type ${addrType(f)} . inet_proto . inet_service : verdict; }`);
  }
  const dispatch = FAMILIES.map(
    (f) => `    ${ipKw(f)} daddr . meta l4proto . th dport vmap @${dispatchMap(f)}`,
  ).join('\n');
  // NAT chains see only a connection's first packet: the choice is made once
  // and conntrack keeps it, so established connections survive any change.
  // The nat core stops at the first chain that binds, so the tables' order
  // does not matter: each VIP is in one table only.
  l.push(
    `  chain prerouting {\n    type nat hook prerouting priority dstnat; policy accept;\n${dispatch}\n  }`,
  );
  l.push(`  chain output {\n    type nat hook output priority -100; policy accept;\n${dispatch}\n  }`);
  l.push('}');
  return `${l.join('\n')}\n`;
}

const vipTuple = (k: IpServiceKey): string => `${k.address} . ${k.protocol} . ${k.port}`;
const destKey = (k: IpServiceKey, d: Pick<DestSpec, 'address' | 'port'>): string =>
  `${vipTuple(k)} . ${d.address} . ${d.port}`;
// A hash map's key is the exact slot; a service's own interval map is keyed
// by the slot range alone. The persistent services' shared verdict maps take
// VIP . port . range, always a range even lo-lo: nft 1.0.6 encodes a single
// integer of a concatenated interval key in host order on add but network
// order on delete, so single values could never be deleted.
function slotKey(k: IpServiceKey, r: Pick<SlotRange, 'lo' | 'hi'>, kind: SelKind): string {
  if (kind === 'interval') return `${r.lo}-${r.hi}`;
  return `${k.address} . ${k.port} . ${kind === 'hash' ? r.lo : `${r.lo}-${r.hi}`}`;
}

/** Creates the service's selection map if absent (`add map` of an existing one changes nothing). */
function selMapDecl(k: IpServiceKey, kind: SelKind): string {
  const ip = ipKw(k.family);
  const p = k.protocol;
  // one shared map per protocol: the key names `tcp dport`, so dnat gets its port context
  const key = `${ip} daddr . ${p} dport . numgen inc mod 2`;
  const name = `${S(k)} ${selMapOf(k, kind)}`;
  if (kind === 'verdict') return `add map ${name} { typeof ${key} : verdict; flags interval; }`;
  const data = `${ip} daddr . ${p} dport`;
  return kind === 'hash'
    ? `add map ${name} { typeof ${key} : ${data}; }`
    : `add map ${name} { typeof numgen inc mod 2 : ${data}; flags interval; }`;
}

/** The mask of a prefix length as an address nft reads: a dotted quad or full IPv6 groups. */
export function maskOf(family: Family, prefix: number): string {
  const b = maskBytes(family, prefix);
  if (family === 'inet') return formatIp(b);
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(b.readUInt16BE(i).toString(16));
  return groups.join(':');
}

function hashExpr(s: SvcModel, mod: number): string {
  const k = s.spec.key;
  const ip = ipKw(k.family);
  const fl = s.spec.flags;
  switch (s.spec.scheduler) {
    case 'sh':
    case 'mh': {
      const port = fl & IP_VS_SVC_F_SCHED2 ? ` . ${k.protocol} sport` : '';
      return `jhash ${ip} saddr${port} mod ${mod} seed 0x464c42`;
    }
    case 'dh':
      return `jhash ${ip} daddr mod ${mod} seed 0x464c42`;
    default:
      return `numgen inc mod ${mod}`;
  }
}

function persistent(s: SvcModel): boolean {
  return s.spec.persistence !== null;
}

/** The rules of the service chain; the last one carries the service spec. */
function serviceRules(s: SvcModel, sel: Selection, o: RenderOptions): string[] {
  const k = s.spec.key;
  const ip = ipKw(k.family);
  const p = k.protocol;
  const comment = `comment "${encodeService(s.spec)}"`;
  const rules: string[] = [];
  const pers = s.spec.persistence;
  if (pers) {
    const client = `(${ip} saddr & ${maskOf(k.family, pers.prefix)})`;
    rules.push(`meta l4proto ${p} dnat ${ip} addr . port to ${client} map @${persMap(k)}`);
  }
  const kind = selKind(s, sel, o.hashSlots);
  const map = selMapOf(k, kind);
  if (sel.modulus === 0) rules.push(`counter ${comment}`);
  else if (pers) rules.push(`${ip} daddr . ${p} dport . ${hashExpr(s, sel.modulus)} vmap @${map} ${comment}`);
  else if (kind === 'interval') {
    // the service's own map: the slot alone is the key, `meta l4proto` gives dnat its port context
    rules.push(
      `meta l4proto ${p} dnat ${ip} addr . port to ${hashExpr(s, sel.modulus)} map @${map} ${comment}`,
    );
  } else {
    rules.push(
      `dnat ${ip} addr . port to ${ip} daddr . ${p} dport . ${hashExpr(s, sel.modulus)} map @${map} ${comment}`,
    );
  }
  return rules;
}

function destChainRule(s: SvcModel, d: DestSpec): string {
  const k = s.spec.key;
  const ip = ipKw(k.family);
  const pers = s.spec.persistence!;
  const client = `(${ip} saddr & ${maskOf(k.family, pers.prefix)})`;
  const to = k.family === 'inet6' ? `[${d.address}]:${d.port}` : `${d.address}:${d.port}`;
  return (
    `meta l4proto ${k.protocol} update @${persMap(k)} { ${client} ` +
    `timeout ${pers.timeoutSec}s : ${d.address} . ${d.port} } dnat ${ip} to ${to}`
  );
}

const rangeId = (r: SlotRange): string => `${r.lo}-${r.hi} ${r.dest.address} ${r.dest.port}`;

/**
 * The map entries to delete and to add, going from one selection to the
 * next in the same map (see selEntries): an entry kept with the same server
 * stays, since a commit's cost grows with every element it touches.
 */
export function slotDiff(
  a: readonly SlotRange[],
  b: readonly SlotRange[],
): { gone: SlotRange[]; fresh: SlotRange[] } {
  const inA = new Set(a.map(rangeId));
  const inB = new Set(b.map(rangeId));
  return { gone: a.filter((r) => !inB.has(rangeId(r))), fresh: b.filter((r) => !inA.has(rangeId(r))) };
}

/** Whether the service chain's rules stay the same: they depend on the spec and the modulus only. */
export function sameRules(old: SvcModel, next: SvcModel, o: Selection, n: Selection): boolean {
  return o.modulus === n.modulus && JSON.stringify(old.spec) === JSON.stringify(next.spec);
}

function selElements(s: SvcModel, ranges: readonly SlotRange[], kind: SelKind): string[] {
  const k = s.spec.key;
  return ranges.map((r) =>
    kind === 'verdict'
      ? `${slotKey(k, r, kind)} : goto ${destChain(k, r.dest)}`
      : `${slotKey(k, r, kind)} : ${r.dest.address} . ${r.dest.port}`,
  );
}

function elems(
  verb: 'add' | 'delete',
  table: string,
  name: string,
  items: readonly string[],
  out: string[],
): void {
  // chunked: one huge line is slow for nft's parser
  for (let i = 0; i < items.length; i += 512) {
    out.push(`${verb} element ${table} ${name} { ${items.slice(i, i + 512).join(', ')} }`);
  }
}

/** Affinity entries to drop: masked client keys of the service's affinity map. */
export type StaleAffinity = readonly string[];

/** The script lines that take one service from `old` to `next` (either may be null). */
export function renderServiceDiff(
  old: SvcModel | null,
  next: SvcModel | null,
  o: RenderOptions,
  stale: StaleAffinity = [],
): { del: string[]; add: string[] } {
  const del: string[] = [];
  const add: string[] = [];
  const k = (next ?? old)!.spec.key;
  const f = k.family;
  const st = S(k);
  const chain = serviceChain(k);
  const oldSel = old ? selection(old, o.mhSize) : null;
  const sel = next ? selection(next, o.mhSize) : null;
  const oldKind = old ? selKind(old, oldSel!, o.hashSlots) : null;
  const kind = next ? selKind(next, sel!, o.hashSlots) : null;
  const was = selEntries(oldSel, oldKind ?? 'interval');
  const will = selEntries(sel, kind ?? 'interval');
  // the same map before and after: only the entries that differ are touched;
  // a service's own interval map goes whole when it leaves it
  const dropsOwn = oldKind === 'interval' && kind !== 'interval';
  const slots = oldKind === kind ? slotDiff(was, will) : { gone: dropsOwn ? [] : [...was], fresh: [...will] };
  const keepRules = !!old && !!next && sameRules(old, next, oldSel!, sel!);
  // Deletions first: elements that reference chains, then the chains.
  if (old) {
    elems(
      'delete',
      st,
      selMapOf(k, oldKind!),
      slots.gone.map((r) => slotKey(k, r, oldKind!)),
      del,
    );
    if (!next) del.push(`delete element ${st} ${dispatchMap(f)} { ${vipTuple(k)} }`);
    if (next && persistent(old) && persistent(next)) {
      if (old.spec.persistence!.prefix !== next.spec.persistence!.prefix)
        del.push(`flush map ${st} ${persMap(k)}`);
      else elems('delete', st, persMap(k), stale, del);
    }
    const gone: string[] = [];
    const changed: string[] = [];
    for (const [id, d] of old.dests) {
      const n = next?.dests.get(id);
      if (!n) gone.push(destKey(k, d));
      if (!n || !sameDest(d, n)) changed.push(destKey(k, d));
    }
    elems('delete', T, weightMap(f), changed, del);
    elems('delete', T, destSet(f), gone, del);
    if (!keepRules) del.push(`flush chain ${st} ${chain}`);
    if (persistent(old)) {
      for (const [id, d] of old.dests) {
        if (next && persistent(next) && next.dests.has(id)) continue;
        del.push(`flush chain ${st} ${destChain(k, d)}`, `delete chain ${st} ${destChain(k, d)}`);
      }
    }
    if (!next) del.push(`delete chain ${st} ${chain}`);
    // after the flush: the rule that read it is gone
    if (dropsOwn) del.push(`delete map ${st} ${selMapOf(k, 'interval')}`);
    if (persistent(old) && !(next && persistent(next))) del.push(`delete map ${st} ${persMap(k)}`);
  }
  if (next) {
    if (oldKind !== kind) add.push(selMapDecl(k, kind!));
    if (!keepRules) add.push(`add chain ${st} ${chain}`);
    if (persistent(next) && !(old && persistent(old))) {
      // one map per persistent service: a shared one keyed by VIP . port .
      // IPv6 client plus the server as data overflows nft's registers
      const ip = ipKw(f);
      add.push(
        `add map ${st} ${persMap(k)} { typeof ${ip} saddr : ${ip} daddr . ${k.protocol} dport; ` +
          'flags dynamic,timeout; size 1048576; }',
      );
    }
    if (persistent(next)) {
      for (const d of next.dests.values()) {
        const dc = destChain(k, d);
        add.push(
          `add chain ${st} ${dc}`,
          `flush chain ${st} ${dc}`,
          `add rule ${st} ${dc} ${destChainRule(next, d)}`,
        );
      }
    }
    if (!keepRules) for (const r of serviceRules(next, sel!, o)) add.push(`add rule ${st} ${chain} ${r}`);
    elems('add', st, selMapOf(k, kind!), selElements(next, slots.fresh, kind!), add);
    const weights: string[] = [];
    const fresh: string[] = [];
    for (const [id, d] of next.dests) {
      const o0 = old?.dests.get(id);
      if (!o0) fresh.push(destKey(k, d));
      if (!o0 || !sameDest(o0, d)) weights.push(`${destKey(k, d)} comment "${encodeDest(d)}" : ${d.weight}`);
    }
    elems('add', T, weightMap(f), weights, add);
    elems('add', T, destSet(f), fresh, add);
    if (!old) add.push(`add element ${st} ${dispatchMap(f)} { ${vipTuple(k)} : goto ${chain} }`);
  }
  return { del, add };
}

/** The whole transaction from one model to the next; '' when nothing changes. */
export function renderDiff(
  prev: PlaneModel,
  next: PlaneModel,
  o: RenderOptions,
  opts: {
    base: boolean;
    /** The service tables that exist; a missing one is created with its first service. */
    tables?: ReadonlySet<string>;
    stale?: ReadonlyMap<string, StaleAffinity>;
    /** The only services that may differ (the plane knows which its operations named). */
    only?: ReadonlySet<string>;
  } = { base: false },
): string {
  const del: string[] = [];
  const add: string[] = [];
  const created = new Set<string>();
  const ids = opts.only ?? new Set([...prev.keys(), ...next.keys()]);
  for (const id of ids) {
    const a = prev.get(id) ?? null;
    const b = next.get(id) ?? null;
    if (a && b && unchanged(a, b)) continue;
    if (b) {
      const t = svcTable(b.spec.key);
      if (!opts.tables?.has(t)) created.add(t);
    }
    const r = renderServiceDiff(a, b, o, opts.stale?.get(id) ?? []);
    del.push(...r.del);
    add.push(...r.add);
  }
  if (!opts.base && del.length + add.length === 0) return '';
  const head = (opts.base ? renderBase(o) : '') + [...created].sort().map(renderSvcTable).join('');
  return head + [...del, ...add].map((x) => `${x}\n`).join('');
}

/** The service tables a model's services live in. */
export function tablesOf(m: PlaneModel, ids?: Iterable<string>): Set<string> {
  const out = new Set<string>();
  for (const id of ids ?? m.keys()) {
    const s = m.get(id);
    if (s) out.add(svcTable(s.spec.key));
  }
  return out;
}

export function unchanged(a: SvcModel, b: SvcModel): boolean {
  if (a === b) return true;
  if (JSON.stringify(a.spec) !== JSON.stringify(b.spec) || a.dests.size !== b.dests.size) return false;
  for (const [id, d] of a.dests) {
    const e = b.dests.get(id);
    if (!e || !sameDest(d, e)) return false;
  }
  return true;
}

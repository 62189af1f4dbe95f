// Model diff -> nf_tables netlink messages, for the changes that need no
// new object: a service that exists before and after, without persistence
// (weights, real servers added or removed, scheduler among the stateless
// ones). It emits the same commands, in the same order, as renderServiceDiff
// emits script lines, so the kernel ends in the same state either way (a
// host test compares `nft list` after both). Anything else returns null and
// goes through libnftables. Pure.
import type { DestSpec } from '../dataplane.js';
import { IP_VS_SVC_F_SCHED2, ipToBytes, PROTOCOL_NUMBER } from '../vocabulary.js';
import {
  type PlaneModel,
  type SelKind,
  type SvcModel,
  sameDest,
  selEntries,
  selection,
  selKind,
} from './model.js';
import {
  destSet,
  encodeDest,
  encodeService,
  type IpServiceKey,
  selMapOf,
  serviceChain,
  svcTable,
  TABLE,
  weightMap,
} from './names.js';
import {
  addChain,
  appendRule,
  cmpEq,
  concat,
  counter,
  dnat,
  type Elem,
  flushChain,
  hton32,
  jhash,
  lookupMap,
  metaLoad,
  NFPROTO_IPV4,
  NFPROTO_IPV6,
  NFT_META_L4PROTO,
  NFT_META_NFPROTO,
  type NftMsg,
  numgenInc,
  PAYLOAD_NETWORK,
  PAYLOAD_TRANSPORT,
  type Part,
  payload,
  reg,
  setElems,
} from './nl-codec.js';
import { type RenderOptions, sameRules, slotDiff } from './render.js';

/** Elements per message, as the script renderer chunks its lines (under 64 KiB even for IPv6). */
const CHUNK = 512;
const SEED = 0x464c42;

const vip = (k: IpServiceKey): Part => ({ ip: ipToBytes(k.address) });
const destKey = (k: IpServiceKey, d: Pick<DestSpec, 'address' | 'port'>): Buffer =>
  concat([
    vip(k),
    { proto: PROTOCOL_NUMBER[k.protocol] },
    { port: k.port },
    { ip: ipToBytes(d.address) },
    { port: d.port },
  ]);
// nft keeps an interval key's slot in network order (the rule swaps it) and a hash key's in host order
const slot = (k: IpServiceKey, n: number): Buffer => concat([vip(k), { port: k.port }, { host32: n }]);
const be32 = (n: number): Buffer => concat([{ be32: n }]);

/**
 * A slot range's elements. In the hash map, one per slot; in the service's
 * own interval map (an rbtree), a start element with the server and an end
 * element one past the range, as nft sends them.
 */
function slotElems(k: IpServiceKey, r: { lo: number; hi: number }, kind: SelKind, data?: Buffer): Elem[] {
  if (kind === 'hash') return [{ key: slot(k, r.lo), ...(data ? { data } : {}) }];
  return [
    { key: be32(r.lo), ...(data ? { data } : {}) },
    { key: be32(r.hi + 1), intervalEnd: true },
  ];
}

/** `per`: elements per script entry (2 for a range in an interval map), so messages split where nft's do. */
function elems(
  verb: 'add' | 'delete',
  table: string,
  set: string,
  items: readonly Elem[],
  out: NftMsg[],
  per = 1,
): void {
  const n = CHUNK * per;
  for (let i = 0; i < items.length; i += n) out.push(setElems(verb, table, set, items.slice(i, i + n)));
}

/**
 * The scheduling rule's expressions, register for register as nft 1.0.6
 * linearizes `dnat ip addr . port to ip daddr . tcp dport . <hash> map @sel`
 * (hash map) or `meta l4proto tcp dnat ip addr . port to <hash> map @sel`
 * (the service's own interval map).
 */
function ruleExprs(s: SvcModel, modulus: number, kind: SelKind) {
  const k = s.spec.key;
  const v6 = k.family === 'inet6';
  const alen = v6 ? 16 : 4;
  const nfproto = () => [
    metaLoad(NFT_META_NFPROTO, reg(0)),
    cmpEq(reg(0), Buffer.from([v6 ? NFPROTO_IPV6 : NFPROTO_IPV4])),
  ];
  const l4proto = () => [
    metaLoad(NFT_META_L4PROTO, reg(0)),
    cmpEq(reg(0), Buffer.from([PROTOCOL_NUMBER[k.protocol]])),
  ];
  const own = kind === 'interval';
  // hash map: key daddr . dport . slot, each 4-byte padded; own map: the slot alone
  const slotAt = own ? 0 : alen + 4;
  const e = own
    ? l4proto()
    : [
        ...nfproto(),
        ...l4proto(),
        payload(reg(0), PAYLOAD_NETWORK, v6 ? 24 : 16, alen),
        payload(reg(alen), PAYLOAD_TRANSPORT, 2, 2),
      ];
  const sched = s.spec.scheduler;
  if (sched === 'sh' || sched === 'mh' || sched === 'dh') {
    // the hash input goes where nft puts it: after the key (and the hash map's data)
    const inAt = own ? 16 : v6 ? 40 : 28;
    const withPort = sched !== 'dh' && (s.spec.flags & IP_VS_SVC_F_SCHED2) !== 0;
    if (own) e.push(...nfproto());
    e.push(payload(reg(inAt), PAYLOAD_NETWORK, sched === 'dh' ? (v6 ? 24 : 16) : v6 ? 8 : 12, alen));
    if (withPort) e.push(payload(reg(inAt + alen), PAYLOAD_TRANSPORT, 0, 2));
    e.push(jhash(reg(inAt), reg(slotAt), alen + (withPort ? 4 : 0), modulus, SEED));
  } else e.push(numgenInc(reg(slotAt), modulus));
  if (own) e.push(hton32(reg(slotAt)), lookupMap(reg(slotAt), reg(0), selMapOf(k, kind)));
  else e.push(lookupMap(reg(0), reg(0), selMapOf(k, kind)));
  e.push(dnat(v6 ? NFPROTO_IPV6 : NFPROTO_IPV4, reg(0), reg(alen)));
  return e;
}

const COVERED = new Set(['rr', 'wrr', 'fo', 'sh', 'dh', 'mh']);

/**
 * Whether a change from old to next can go over floatlb's own netlink batch:
 * it creates no object, so the service stays in the same kind of selection
 * map (a move to the other kind may need the map declared first).
 */
export function netlinkCovers(old: SvcModel | null, next: SvcModel | null, o: RenderOptions): boolean {
  return (
    old !== null &&
    next !== null &&
    old.spec.persistence === null &&
    next.spec.persistence === null &&
    COVERED.has(next.spec.scheduler) &&
    selKind(old, selection(old, o.mhSize), o.hashSlots) ===
      selKind(next, selection(next, o.mhSize), o.hashSlots)
  );
}

/** The messages that take one service from old to next (both present, not persistent). */
export function netlinkServiceDiff(old: SvcModel, next: SvcModel, o: RenderOptions): NftMsg[] {
  const k = next.spec.key;
  const f = k.family;
  const st = svcTable(k);
  const chain = serviceChain(k);
  const out: NftMsg[] = [];
  const oldSel = selection(old, o.mhSize);
  const sel = selection(next, o.mhSize);
  const kind = selKind(next, sel, o.hashSlots);
  const slots = slotDiff(selEntries(oldSel, kind), selEntries(sel, kind));
  const keepRules = sameRules(old, next, oldSel, sel);
  const map = selMapOf(k, kind);
  const perSlot = kind === 'hash' ? 1 : 2;
  elems(
    'delete',
    st,
    map,
    slots.gone.flatMap((r) => slotElems(k, r, kind)),
    out,
    perSlot,
  );
  const changed: Elem[] = [];
  const gone: Elem[] = [];
  for (const [id, d] of old.dests) {
    const n = next.dests.get(id);
    if (!n) gone.push({ key: destKey(k, d) });
    if (!n || !sameDest(d, n)) changed.push({ key: destKey(k, d) });
  }
  elems('delete', TABLE, weightMap(f), changed, out);
  elems('delete', TABLE, destSet(f), gone, out);
  if (!keepRules) {
    out.push(flushChain(st, chain), addChain(st, chain));
    const comment = encodeService(next.spec);
    const rule = sel.modulus === 0 ? [counter()] : ruleExprs(next, sel.modulus, kind);
    out.push(appendRule(st, chain, rule, comment));
  }
  elems(
    'add',
    st,
    map,
    slots.fresh.flatMap((r) =>
      slotElems(k, r, kind, concat([{ ip: ipToBytes(r.dest.address) }, { port: r.dest.port }])),
    ),
    out,
    perSlot,
  );
  const weights: Elem[] = [];
  const fresh: Elem[] = [];
  for (const [id, d] of next.dests) {
    const o0 = old.dests.get(id);
    if (!o0) fresh.push({ key: destKey(k, d) });
    if (!o0 || !sameDest(o0, d))
      weights.push({ key: destKey(k, d), data: concat([{ mark: d.weight }]), comment: encodeDest(d) });
  }
  elems('add', TABLE, weightMap(f), weights, out);
  elems('add', TABLE, destSet(f), fresh, out);
  return out;
}

/**
 * The whole transaction as netlink messages, or null when some touched
 * service needs what only the script path renders (a new or deleted
 * service, persistence, the base table).
 */
export function netlinkDiff(
  prev: PlaneModel,
  next: PlaneModel,
  o: RenderOptions,
  only: ReadonlySet<string>,
  unchanged: (a: SvcModel, b: SvcModel) => boolean,
): NftMsg[] | null {
  const out: NftMsg[] = [];
  for (const id of only) {
    const a = prev.get(id) ?? null;
    const b = next.get(id) ?? null;
    if (a && b && unchanged(a, b)) continue;
    if (!netlinkCovers(a, b, o)) return null;
    out.push(...netlinkServiceDiff(a!, b!, o));
  }
  return out;
}

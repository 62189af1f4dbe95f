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
const slot = (k: IpServiceKey, n: number, kind: SelKind): Buffer =>
  concat([vip(k), { port: k.port }, kind === 'hash' ? { host32: n } : { be32: n }]);

function elems(
  verb: 'add' | 'delete',
  table: string,
  set: string,
  items: readonly Elem[],
  out: NftMsg[],
): void {
  for (let i = 0; i < items.length; i += CHUNK)
    out.push(setElems(verb, table, set, items.slice(i, i + CHUNK)));
}

/**
 * The scheduling rule's expressions, register for register as nft 1.0.6
 * linearizes `dnat ip addr . port to ip daddr . tcp dport . <hash> map @sel`.
 */
function ruleExprs(s: SvcModel, modulus: number, kind: SelKind) {
  const k = s.spec.key;
  const v6 = k.family === 'inet6';
  const alen = v6 ? 16 : 4;
  const portAt = alen; // key: daddr . dport . slot, each 4-byte padded
  const slotAt = alen + 4;
  const e = [
    metaLoad(NFT_META_NFPROTO, 1),
    cmpEq(1, Buffer.from([v6 ? NFPROTO_IPV6 : NFPROTO_IPV4])),
    metaLoad(NFT_META_L4PROTO, 1),
    cmpEq(1, Buffer.from([PROTOCOL_NUMBER[k.protocol]])),
    payload(reg(0), PAYLOAD_NETWORK, v6 ? 24 : 16, alen),
    payload(reg(portAt), PAYLOAD_TRANSPORT, 2, 2),
  ];
  const sched = s.spec.scheduler;
  if (sched === 'sh' || sched === 'mh' || sched === 'dh') {
    // the hash input goes where nft puts it: after the key and the map's data
    const inAt = v6 ? 40 : 28;
    const withPort = sched !== 'dh' && (s.spec.flags & IP_VS_SVC_F_SCHED2) !== 0;
    e.push(payload(reg(inAt), PAYLOAD_NETWORK, sched === 'dh' ? (v6 ? 24 : 16) : v6 ? 8 : 12, alen));
    if (withPort) e.push(payload(reg(inAt + alen), PAYLOAD_TRANSPORT, 0, 2));
    e.push(jhash(reg(inAt), reg(slotAt), alen + (withPort ? 4 : 0), modulus, SEED));
  } else e.push(numgenInc(reg(slotAt), modulus));
  if (kind === 'interval') e.push(hton32(reg(slotAt)));
  e.push(
    lookupMap(reg(0), reg(0), selMapOf(k, kind)),
    dnat(v6 ? NFPROTO_IPV6 : NFPROTO_IPV4, reg(0), reg(portAt)),
  );
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
  const slotElem = (r: { lo: number; hi: number }): Elem =>
    kind === 'hash'
      ? { key: slot(k, r.lo, kind) }
      : { key: slot(k, r.lo, kind), keyEnd: slot(k, r.hi, kind) };
  elems('delete', st, map, slots.gone.map(slotElem), out);
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
    slots.fresh.map((r) => ({
      ...slotElem(r),
      data: concat([{ ip: ipToBytes(r.dest.address) }, { port: r.dest.port }]),
    })),
    out,
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

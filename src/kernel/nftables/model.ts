// The plane's model of its own table: services with their destinations.
// Operations are validated and folded into a new model before anything is
// rendered, so a bad batch never reaches the kernel. Pure.
import {
  type DataPlaneOp,
  type DestSpec,
  destId,
  type Scheduler,
  type ServiceKey,
  type ServiceSpec,
  serviceId,
} from '../dataplane.js';
import { IP_VS_SVC_F_ONEPACKET, parseIp } from '../vocabulary.js';
import { buildMaglev } from './maglev.js';
import type { IpServiceKey } from './names.js';

export interface SvcModel {
  readonly spec: ServiceSpec & { readonly key: IpServiceKey };
  /** Keyed by destId, in the order they were added. */
  readonly dests: ReadonlyMap<string, DestSpec>;
}
export type PlaneModel = ReadonlyMap<string, SvcModel>;

/** Stateless schedulers nftables can express; the rest need live connection counts. */
export const NFT_SCHEDULERS: readonly Scheduler[] = ['rr', 'wrr', 'sh', 'dh', 'mh', 'fo'];
const STATEFUL: Partial<Record<Scheduler, string>> = {
  lc: 'least-connection',
  wlc: 'weighted least-connection',
  lblc: 'locality-based least-connection',
  lblcr: 'locality-based least-connection with replication',
  sed: 'shortest expected delay',
  nq: 'never queue',
  ovf: 'overflow-connection',
  twos: 'weighted random twos choice',
};

/** The nearest scheduler the plane can do, for each one it cannot. */
const NEAREST: Partial<Record<Scheduler, Scheduler>> = {
  lc: 'rr',
  wlc: 'wrr',
  sed: 'wrr',
  nq: 'wrr',
  twos: 'wrr',
  lblc: 'dh',
  lblcr: 'dh',
  ovf: 'fo',
};

/**
 * Why the plane cannot program this service (with the nearest setting it can
 * program), or null when it can. The director leaves such a service out and
 * programs the others.
 */
export function serviceRefusal(spec: ServiceSpec, dests: readonly DestSpec[]): string | null {
  const id = serviceId(spec.key);
  const near = NEAREST[spec.scheduler];
  if (near) {
    return `service ${id}: scheduler ${spec.scheduler} (${STATEFUL[spec.scheduler]}) needs per-server connection counts, which nftables rules cannot read; nearest supported: lb_algo ${near}, or the IPVS plane`;
  }
  if (spec.pe) {
    return `service ${id}: persistence_engine ${spec.pe} reads SIP Call-IDs inside IPVS, which nftables rules cannot; nearest supported: persistence_timeout without persistence_engine, or the IPVS plane`;
  }
  if (spec.key.kind === 'fwmark') {
    return `service ${id}: the nftables plane serves address:port services only; nearest supported: a virtual_server per address and port, or the IPVS plane`;
  }
  const fwd = dests.find((d) => d.forwarding !== 'nat');
  if (fwd) {
    return `service ${id}: real server ${destId(fwd)} uses lb_kind ${fwd.forwarding.toUpperCase()}, which the nftables NAT plane cannot forward; nearest supported: lb_kind NAT, or the IPVS plane`;
  }
  try {
    validateService(spec);
    for (const d of dests) validateDest(spec.key as IpServiceKey, d);
  } catch (e) {
    if (!(e instanceof PlaneInputError)) throw e;
    const nearest =
      spec.flags & IP_VS_SVC_F_ONEPACKET
        ? 'the same service without ops'
        : spec.persistence && spec.key.family === 'inet6'
          ? 'no persistence_timeout on this IPv6 service'
          : 'the IPVS plane';
    return `service ${id}: ${e.message}; nearest supported: ${nearest}`;
  }
  return null;
}

export class PlaneInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PlaneInputError';
  }
}

function checkAddr(addr: string, family: string, what: string): void {
  const ip = parseIp(addr);
  if (ip === null) throw new PlaneInputError(`${what} ${addr} is not an IP address`);
  // The plane compares addresses as text, so only the canonical spelling may reach it.
  if (ip !== addr) throw new PlaneInputError(`${what} ${addr} is not in canonical form (${ip})`);
  const v = ip.includes(':') ? 6 : 4;
  if ((v === 6) !== (family === 'inet6')) {
    throw new PlaneInputError(
      `${what} ${addr} is IPv${v} but its family is ${family}: address family mix-up`,
    );
  }
}

function checkPort(p: number, what: string): void {
  if (!Number.isInteger(p) || p < 1 || p > 65535)
    throw new PlaneInputError(`${what} port ${p} is out of 1-65535`);
}

function ipKey(k: ServiceKey): IpServiceKey {
  if (k.kind !== 'ip') {
    throw new PlaneInputError(
      `fwmark service ${serviceId(k)}: the nftables plane serves address:port services only`,
    );
  }
  return k;
}

export function validateService(s: ServiceSpec): ServiceSpec & { key: IpServiceKey } {
  const key = ipKey(s.key);
  checkAddr(key.address, key.family, 'service address');
  checkPort(key.port, `service ${serviceId(key)}`);
  if (!NFT_SCHEDULERS.includes(s.scheduler)) {
    const why = STATEFUL[s.scheduler];
    throw new PlaneInputError(
      `scheduler ${s.scheduler} is not supported by the nftables plane` +
        (why ? ` (${why} needs per-server connection counts, which nftables rules cannot read)` : '') +
        `; use one of ${NFT_SCHEDULERS.join(', ')} or the IPVS plane`,
    );
  }
  if (s.flags & IP_VS_SVC_F_ONEPACKET) {
    throw new PlaneInputError('one-packet scheduling (ops) is not supported by the nftables plane');
  }
  if (s.pe) throw new PlaneInputError(`persistence engine ${s.pe} is not supported by the nftables plane`);
  if (s.persistence) {
    const { timeoutSec, prefix } = s.persistence;
    if (!Number.isInteger(timeoutSec) || timeoutSec < 1) {
      throw new PlaneInputError(`persistence timeout ${timeoutSec} must be a positive integer`);
    }
    if (key.family === 'inet6') {
      // nft 1.0.6 aborts (netlink_linearize.c register assertion) on a map
      // update whose data is an IPv6 address . port constant
      throw new PlaneInputError(
        `service ${serviceId(key)}: persistence on IPv6 services is not available in the nftables plane (nft 1.0.6 cannot record an IPv6 address . port); use the IPVS plane`,
      );
    }
    if (!Number.isInteger(prefix) || prefix < 0 || prefix > 32) {
      throw new PlaneInputError(`persistence prefix length ${prefix} must be 0-32`);
    }
  }
  // only the spec: callers may pass a ServiceState with dests and stats
  return { key, scheduler: s.scheduler, flags: s.flags, persistence: s.persistence };
}

export function validateDest(key: IpServiceKey, d: DestSpec): DestSpec {
  if (d.family !== key.family) {
    throw new PlaneInputError(
      `destination ${destId(d)} is ${d.family} but service ${serviceId(key)} is ${key.family}: address family mix-up`,
    );
  }
  checkAddr(d.address, d.family, 'destination');
  checkPort(d.port, `destination ${destId(d)}`);
  if (d.forwarding !== 'nat') {
    throw new PlaneInputError(
      `destination ${destId(d)}: forwarding ${d.forwarding} is not available in the nftables NAT plane (see docs/nftables.md)`,
    );
  }
  if (!Number.isInteger(d.weight) || d.weight < 0 || d.weight > 65535) {
    throw new PlaneInputError(`destination ${destId(d)}: weight ${d.weight} is out of 0-65535`);
  }
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

/** Folds the operations into a copy of the model; throws on the first bad one. */
/** What foldOp writes to: a Map, or the plane's draft of the next model. */
export interface ModelWriter {
  get(id: string): SvcModel | undefined;
  set(id: string, s: SvcModel): unknown;
  delete(id: string): boolean;
}

export function foldOp(m: ModelWriter, op: DataPlaneOp): void {
  switch (op.op) {
    case 'add-service':
    case 'update-service': {
      const spec = validateService(op.service);
      const id = serviceId(spec.key);
      const cur = m.get(id);
      if (op.op === 'add-service' && cur) throw new PlaneInputError(`service ${id} already exists`);
      if (op.op === 'update-service' && !cur) throw new PlaneInputError(`service ${id} does not exist`);
      m.set(id, { spec, dests: cur?.dests ?? new Map() });
      return;
    }
    case 'delete-service': {
      const id = serviceId(op.key);
      if (!m.delete(id)) throw new PlaneInputError(`service ${id} does not exist`);
      return;
    }
    default: {
      const id = serviceId(op.key);
      const cur = m.get(id);
      if (!cur) throw new PlaneInputError(`service ${id} does not exist`);
      const dests = new Map(cur.dests);
      const did = destId(op.dest);
      if (op.op === 'delete-dest') {
        if (!dests.delete(did)) throw new PlaneInputError(`destination ${did} of ${id} does not exist`);
      } else {
        const d = validateDest(cur.spec.key, op.dest);
        if (op.op === 'add-dest' && dests.has(did)) {
          throw new PlaneInputError(`destination ${did} of ${id} already exists`);
        }
        if (op.op === 'update-dest' && !dests.has(did)) {
          throw new PlaneInputError(`destination ${did} of ${id} does not exist`);
        }
        dests.set(did, d);
      }
      m.set(id, { spec: cur.spec, dests });
    }
  }
}

/** One slot range of the selection map: hash/counter values lo..hi go to dest. */
export interface SlotRange {
  readonly lo: number;
  readonly hi: number;
  readonly dest: DestSpec;
}
export interface Selection {
  /** Modulus for numgen/jhash; 0 when no destination takes new connections. */
  readonly modulus: number;
  readonly ranges: readonly SlotRange[];
}

const gcd = (a: number, b: number): number => (b ? gcd(b, a % b) : a);

/** How new connections are spread: weight-0 destinations get no slot. */
export function selection(svc: SvcModel, mhSize: number): Selection {
  // canonical order, so the kernel's copy of a model renders the same slots
  const live = [...svc.dests.values()]
    .filter((d) => d.weight > 0)
    .sort((a, b) => (destId(a) < destId(b) ? -1 : destId(a) > destId(b) ? 1 : 0));
  if (live.length === 0) return { modulus: 0, ranges: [] };
  const sched = svc.spec.scheduler;
  if (sched === 'mh') {
    const table = buildMaglev(
      live.map((d) => ({ name: destId(d), weight: d.weight })),
      mhSize,
    );
    const ranges: SlotRange[] = [];
    for (let i = 0; i < table.length; i++) {
      const dest = live[table[i]]!;
      const last = ranges[ranges.length - 1];
      if (last && last.dest === dest && last.hi === i - 1) ranges[ranges.length - 1] = { ...last, hi: i };
      else ranges.push({ lo: i, hi: i, dest });
    }
    return { modulus: mhSize, ranges };
  }
  let pick = live;
  let weights = live.map(() => 1);
  if (sched === 'fo') {
    // weighted failover: the first destination with the highest weight
    const top = live.reduce((a, b) => (b.weight > a.weight ? b : a));
    pick = [top];
    weights = [1];
  } else if (sched !== 'rr') {
    const g = live.reduce((acc, d) => gcd(acc, d.weight), 0);
    weights = live.map((d) => d.weight / g);
  }
  const ranges: SlotRange[] = [];
  let at = 0;
  pick.forEach((dest, i) => {
    ranges.push({ lo: at, hi: at + weights[i]! - 1, dest });
    at += weights[i]!;
  });
  return { modulus: at, ranges };
}

/**
 * Which map holds a service's slots. A persistent service's slots jump to
 * its per-server chains (a verdict map, in a shared shard). Otherwise a
 * small modulus is one element per slot in its table's hash map, and a large
 * one (mh's table, big weight sums) is ranges in an interval map of its own,
 * keyed by the slot alone (names.ts rangeMap), which the kernel keeps as an
 * rbtree. Why: a concatenated interval set (pipapo) removes an element by
 * cutting it out of every bucket of every key group, about 0.1 ms each, and
 * a weight change moves most of a service's slot blocks; a hash set adds and
 * removes in constant time, an rbtree in O(log n) of the service's own
 * ranges. Flipping an active/standby pair beside 10,000 services: 0.82 ms of
 * kernel CPU per change with ranges, 0.20 ms hashed.
 */
export type SelKind = 'verdict' | 'hash' | 'interval';
/**
 * The largest modulus kept in the hash map. Each slot is an element, and a
 * cold load pays per element: at 64, 10,000 wrr services with weights 1..8
 * (36 slots, 8 ranges) loaded in 18 s against 5 s as ranges (13 s of it
 * kernel). Up to 16, rr never has more elements than ranges, and an
 * active/standby pair or small weights get the cheap change.
 */
export const HASH_SLOTS = 16;

/** `hashSlots` is HASH_SLOTS but for tests that write the layout from before the hash maps (0). */
export function selKind(svc: SvcModel, sel: Selection, hashSlots = HASH_SLOTS): SelKind {
  if (svc.spec.persistence) return 'verdict';
  return sel.modulus <= hashSlots ? 'hash' : 'interval';
}

/** The entries the selection map holds: one per slot in a hash map, else the ranges. */
export function selEntries(sel: Selection | null, kind: SelKind): readonly SlotRange[] {
  if (!sel) return [];
  if (kind !== 'hash') return sel.ranges;
  const out: SlotRange[] = [];
  for (const r of sel.ranges) for (let i = r.lo; i <= r.hi; i++) out.push({ lo: i, hi: i, dest: r.dest });
  return out;
}

export function sameDest(a: DestSpec, b: DestSpec): boolean {
  return (
    a.weight === b.weight &&
    a.forwarding === b.forwarding &&
    a.upperThreshold === b.upperThreshold &&
    a.lowerThreshold === b.lowerThreshold
  );
}

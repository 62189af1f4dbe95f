// Object names and the metadata comments floatlb keeps in its own table, so
// list() reads the service and destination specs back from the kernel.
import type { DestSpec, Family, Forwarding, Persistence, ServiceSpec } from '../dataplane.js';
import {
  parseIp,
  parseNetmask,
  parseProtocol,
  parseScheduler,
  SCHED_FLAGS_MASK,
  schedFlagBit,
} from '../vocabulary.js';

export const TABLE = 'floatlb';
export { PROTOCOLS } from '../vocabulary.js';

export type IpServiceKey = Extract<ServiceSpec['key'], { kind: 'ip' }>;

export const fam = (f: Family): '4' | '6' => (f === 'inet6' ? '6' : '4');
/** The nft payload keyword for the family's header: ip or ip6. */
export const ipKw = (f: Family): 'ip' | 'ip6' => (f === 'inet6' ? 'ip6' : 'ip');

const clean = (addr: string): string => addr.replace(/[.:]/g, '_');

/** Per-service chain, e.g. s4_tcp_10_0_0_1_80. */
export function serviceChain(k: IpServiceKey): string {
  return `s${fam(k.family)}_${k.protocol}_${clean(k.address)}_${k.port}`;
}

/** Per-service affinity map of a persistent service: masked client -> real server. */
export function persMap(k: IpServiceKey): string {
  return `${serviceChain(k)}_p`;
}

/** Per-destination chain, used only by persistent services. */
export function destChain(k: IpServiceKey, d: Pick<DestSpec, 'address' | 'port'>): string {
  return `${serviceChain(k)}__${clean(d.address)}_${d.port}`;
}

/**
 * The verdict maps of persistent services are sharded by service: the
 * kernel's concatenated-range set (pipapo) rebuilds its lookup data on every
 * commit that touches it, and removes an element by cutting it out of every
 * bucket of every key group, so its cost follows the shard's size (one map
 * of 80,000 slots: ~0.15 s of kernel time per change at 10,000 services;
 * 4096 shards: about 20 ranges each). The other services' ranges go in a map
 * of their own keyed by the slot alone (rangeMap), which the kernel keeps as
 * an rbtree. A service's table is its shard modulo SVC_TABLES (svcTable). A
 * table written with another layout is moved to this one at start
 * (migrate.ts).
 */
export const SEL_SHARDS = 4096;

/**
 * Service tables: each service's chain, dispatch element and selection maps
 * live in one of SVC_TABLES tables (`floatlb_s0`...), each with its own NAT
 * base chains. A rule that jumps, looks up or NATs makes the kernel validate
 * its whole table at commit, walking every chain reachable from the table's
 * base chains (5-8 ms at 10,000 service chains on 6.18); split, a weight
 * change validates 1/SVC_TABLES of them. A new connection passes at most one
 * vmap lookup per table before its own binds (docs/nftables.md has figures).
 */
export const SVC_TABLES = 16;

/** Which selection-map shard serves a service: FNV-1a of its address and port. */
export function selShard(k: IpServiceKey): number {
  let h = 0x811c9dc5;
  const s = `${k.address}/${k.port}`;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return (h >>> 0) % SEL_SHARDS;
}

/** The service table that holds a service's chain, dispatch element and selection shard. */
export const svcTable = (k: IpServiceKey): string => `${TABLE}_s${selShard(k) % SVC_TABLES}`;
/** Whether a table name is one of the plane's service tables (any count). */
export const isSvcTable = (name: string): boolean => /^floatlb_s\d+$/.test(name);

/**
 * A service's own interval map, slot range -> real server, for a modulus
 * above the hash map's (model.ts selKind). Keyed by the slot alone, so the
 * kernel keeps it as an rbtree: a weight change removes and adds a few
 * nodes, where the concatenated VIP . port . slot ranges of a shared shard
 * (pipapo) cost about 0.1 ms of kernel time per range removed.
 */
export const rangeMap = (k: IpServiceKey): string => `${serviceChain(k)}_sel`;
export const isRangeMap = (name: string): boolean => /^s[46]_\w+_sel$/.test(name);
/** Whether a map is a selection map: a shared one (sel_tcp4_N, hsel_tcp4, vsel_tcp4_N) or a service's own. */
export const isSelMap = (name: string): boolean =>
  /^[vh]?sel_[a-z]+[46](?:_\d+)?$/.test(name) || isRangeMap(name);
export const vselMap = (k: IpServiceKey): string => `vsel_${k.protocol}${fam(k.family)}_${selShard(k)}`;
/** The hash selection map of a service table: exact slots, for small moduli (model.ts selKind). */
export const hselMap = (k: IpServiceKey): string => `hsel_${k.protocol}${fam(k.family)}`;
/** The selection map a service of this kind reads. */
export function selMapOf(k: IpServiceKey, kind: 'verdict' | 'hash' | 'interval'): string {
  return kind === 'verdict' ? vselMap(k) : kind === 'hash' ? hselMap(k) : rangeMap(k);
}
export const dispatchMap = (f: Family): string => `svc${fam(f)}`;
export const weightMap = (f: Family): string => `weight${fam(f)}`;
export const destSet = (f: Family): string => `dest${fam(f)}`;

// Comments are limited to 128 bytes; these stay under 100 even for IPv6.
const SVC_TAG = 'floatlb:s';
const DEST_TAG = 'floatlb:d';

export function encodeService(s: ServiceSpec & { key: IpServiceKey }): string {
  const k = s.key;
  const flags = s.flags ? `0x${s.flags.toString(16)}` : '-';
  const p = s.persistence ? `${s.persistence.timeoutSec} ${s.persistence.prefix}` : '- -';
  return `${SVC_TAG} ${k.family} ${k.protocol} ${k.address} ${k.port} ${s.scheduler} ${flags} ${p}`;
}

export function decodeService(comment: string): ServiceSpec | null {
  const f = comment.split(' ');
  if (f[0] !== SVC_TAG || f.length !== 9) return null;
  const [, family, protocol, address, port, sched, flags, timeout, mask] = f as [string, ...string[]];
  if (family !== 'inet' && family !== 'inet6') return null;
  const proto = parseProtocol(protocol!);
  const scheduler = parseScheduler(sched!);
  const addr = parseIp(address!);
  const bits = decodeFlags(flags!);
  if (!proto || !scheduler || !addr || bits === null) return null;
  let persistence: Persistence | null = null;
  if (timeout !== '-') {
    const prefix = parseNetmask(mask!, family);
    if (prefix === null) return null;
    persistence = { timeoutSec: Number(timeout), prefix };
  }
  return {
    key: { kind: 'ip', family, protocol: proto, address: addr, port: Number(port) },
    scheduler,
    flags: bits,
    persistence,
  };
}

/** "0x18", or the names an earlier release wrote ("sh-fallback,sh-port"). */
function decodeFlags(text: string): number | null {
  if (text === '-') return 0;
  if (/^0x[0-9a-f]+$/.test(text)) {
    const n = Number.parseInt(text, 16);
    return (n & ~SCHED_FLAGS_MASK) === 0 ? n : null;
  }
  let bits = 0;
  for (const name of text.split(',')) {
    const b = schedFlagBit(name);
    if (b === null) return null;
    bits |= b;
  }
  return bits;
}

export function encodeDest(d: DestSpec): string {
  return `${DEST_TAG} ${d.forwarding} ${d.upperThreshold} ${d.lowerThreshold}`;
}

export function decodeDest(
  comment: string,
): Pick<DestSpec, 'forwarding' | 'upperThreshold' | 'lowerThreshold'> | null {
  const f = comment.split(' ');
  if (f[0] !== DEST_TAG || f.length !== 4) return null;
  const fwd = f[1] as Forwarding;
  if (!['nat', 'dr', 'tun'].includes(fwd)) return null;
  return { forwarding: fwd, upperThreshold: Number(f[2]), lowerThreshold: Number(f[3]) };
}

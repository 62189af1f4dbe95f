// The one vocabulary of the data plane: addresses, protocols, schedulers,
// scheduler flags and persistence netmasks, each in the single form the
// kernel reports. The config converts into it, the planes encode from it and
// the reconciler compares it structurally. Pure: no I/O.
import { isIPv4, isIPv6 } from 'node:net';

declare const canonical: unique symbol;
/** An IP address in canonical text: IPv4 dotted quad without leading zeros, IPv6 as RFC 5952. */
export type Ip = string & { readonly [canonical]: true };
export type Family = 'inet' | 'inet6';

/** The canonical text of an IPv4 or IPv6 address, or null if it is not one. */
export function parseIp(text: string): Ip | null {
  if (isIPv4(text)) return text as Ip; // Node accepts only the canonical dotted quad
  if (!isIPv6(text) || text.includes('%')) return null;
  return formatIp(ipv6Bytes(text));
}

/** Like parseIp, for text already known to be an address; throws otherwise. */
export function canonicalIp(text: string): Ip {
  const ip = parseIp(text);
  if (ip === null) throw new TypeError(`not an IP address: ${JSON.stringify(text)}`);
  return ip;
}

/** True when both texts name the same address (false if either is not one). */
export function sameIp(a: string, b: string): boolean {
  const x = parseIp(a);
  return x !== null && x === parseIp(b);
}

export function ipFamily(ip: string): Family {
  return ip.includes(':') ? 'inet6' : 'inet';
}

/** The address's network-order bytes: 4 for IPv4, 16 for IPv6. */
export function ipToBytes(ip: string): Buffer {
  if (isIPv4(ip)) return Buffer.from(ip.split('.').map(Number));
  if (isIPv6(ip) && !ip.includes('%')) return ipv6Bytes(ip);
  throw new TypeError(`not an IP address: ${JSON.stringify(ip)}`);
}

function ipv6Bytes(ip: string): Buffer {
  let text = ip;
  const out = Buffer.alloc(16);
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hex groups.
  const v4 = text.match(/(\d+\.\d+\.\d+\.\d+)$/);
  if (v4) {
    const b = v4[1]!.split('.').map(Number);
    text = `${text.slice(0, -v4[1]!.length)}${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  groups.forEach((g, i) => {
    out.writeUInt16BE(Number.parseInt(g, 16), i * 2);
  });
  return out;
}

/**
 * Canonical text of 4 or 16 address bytes. IPv6 follows RFC 5952 section 4
 * (lower case, no leading zeros, the longest run of two or more zero groups,
 * the first of equals, compressed) and writes every group in hex, as the
 * WHATWG URL serializer does, including IPv4-mapped addresses.
 */
export function formatIp(b: Uint8Array): Ip {
  if (b.length === 4) return Array.from(b).join('.') as Ip;
  if (b.length !== 16) throw new TypeError(`address of ${b.length} bytes`);
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((b[i]! << 8) | b[i + 1]!);
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':') as Ip;
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}` as Ip;
}

/**
 * Why IPVS refuses this address as a real server (EINVAL from ip_vs_new_dest,
 * which takes only unicast addresses), or null. Link-local IPv6 addresses are
 * not named: the kernel takes those that are local to the director.
 */
export function refusedDestAddress(ip: Ip): string | null {
  const b = ipToBytes(ip);
  if (b.length === 4) {
    if (b.every((x) => x === 0)) return 'the unspecified address';
    if (b.every((x) => x === 255)) return 'the broadcast address';
    if ((b[0]! & 0xf0) === 0xe0) return 'a multicast address';
    return null;
  }
  if (b.every((x) => x === 0)) return 'the unspecified address';
  if (b[0] === 0xff) return 'a multicast address';
  if (b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff) {
    return `an IPv4-mapped IPv6 address (IPv4 ${Array.from(b.subarray(12)).join('.')})`;
  }
  return null;
}

/** "[2001:db8::1]:80" or "10.0.0.1:80". */
export function formatEndpoint(ip: Ip, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

// Protocols: one enum, with the IANA numbers the kernel uses.
export const PROTOCOLS = ['tcp', 'udp', 'sctp'] as const;
export type Protocol = (typeof PROTOCOLS)[number];
export const PROTOCOL_NUMBER: Readonly<Record<Protocol, number>> = { tcp: 6, udp: 17, sctp: 132 };

/** keepalived and ipvsadm write TCP/UDP/SCTP in any case. */
export function parseProtocol(text: string): Protocol | null {
  const p = text.toLowerCase();
  return (PROTOCOLS as readonly string[]).includes(p) ? (p as Protocol) : null;
}

export function protocolFromNumber(n: number): Protocol | null {
  for (const p of PROTOCOLS) if (PROTOCOL_NUMBER[p] === n) return p;
  return null;
}

/** Every IPVS scheduler name; a plane refuses those it cannot do. */
export const SCHEDULERS = [
  'rr',
  'wrr',
  'lc',
  'wlc',
  'lblc',
  'lblcr',
  'dh',
  'sh',
  'sed',
  'nq',
  'mh',
  'fo',
  'ovf',
  'twos',
] as const;
export type Scheduler = (typeof SCHEDULERS)[number];

export function parseScheduler(text: string): Scheduler | null {
  return (SCHEDULERS as readonly string[]).includes(text) ? (text as Scheduler) : null;
}

// Scheduler flags are the kernel's IP_VS_SVC_F_* bits (linux/ip_vs.h).
export const IP_VS_SVC_F_ONEPACKET = 0x0004;
export const IP_VS_SVC_F_SCHED1 = 0x0008;
export const IP_VS_SVC_F_SCHED2 = 0x0010;
export const IP_VS_SVC_F_SCHED3 = 0x0020;
/** A set of IP_VS_SVC_F_SCHED1..3 and ONEPACKET bits. */
export type SchedFlags = number;
export const SCHED_FLAGS_MASK =
  IP_VS_SVC_F_ONEPACKET | IP_VS_SVC_F_SCHED1 | IP_VS_SVC_F_SCHED2 | IP_VS_SVC_F_SCHED3;

/** ipvsadm's and keepalived's names; sh-*, mh-* and flag-N name the same bits. */
export const SCHED_FLAG_BIT = {
  'flag-1': IP_VS_SVC_F_SCHED1,
  'sh-fallback': IP_VS_SVC_F_SCHED1,
  'mh-fallback': IP_VS_SVC_F_SCHED1,
  'flag-2': IP_VS_SVC_F_SCHED2,
  'sh-port': IP_VS_SVC_F_SCHED2,
  'mh-port': IP_VS_SVC_F_SCHED2,
  'flag-3': IP_VS_SVC_F_SCHED3,
  ops: IP_VS_SVC_F_ONEPACKET,
} as const;
export type SchedFlagName = keyof typeof SCHED_FLAG_BIT;
export const SCHED_FLAG_NAMES = Object.keys(SCHED_FLAG_BIT) as readonly SchedFlagName[];

export function schedFlagBit(name: string): number | null {
  return Object.hasOwn(SCHED_FLAG_BIT, name) ? SCHED_FLAG_BIT[name as SchedFlagName] : null;
}

export function schedFlagBits(names: readonly SchedFlagName[]): SchedFlags {
  let b = 0;
  for (const n of names) b |= SCHED_FLAG_BIT[n];
  return b;
}

/** The names ipvsadm prints for the bits under this scheduler. */
export function schedFlagNames(scheduler: string, bits: SchedFlags): SchedFlagName[] {
  const names: readonly [SchedFlagName, SchedFlagName, SchedFlagName] =
    scheduler === 'sh'
      ? ['sh-fallback', 'sh-port', 'flag-3']
      : scheduler === 'mh'
        ? ['mh-fallback', 'mh-port', 'flag-3']
        : ['flag-1', 'flag-2', 'flag-3'];
  const out: SchedFlagName[] = [];
  if (bits & IP_VS_SVC_F_SCHED1) out.push(names[0]);
  if (bits & IP_VS_SVC_F_SCHED2) out.push(names[1]);
  if (bits & IP_VS_SVC_F_SCHED3) out.push(names[2]);
  if (bits & IP_VS_SVC_F_ONEPACKET) out.push('ops');
  return out;
}

// Persistence netmasks are prefix lengths; dotted quads exist only at the
// edges (keepalived.conf, ipvsadm's -M and its output, the kernel's IPv4 __be32).
export const maxPrefix = (f: Family): number => (f === 'inet6' ? 128 : 32);

/** A prefix length from "24", or from a contiguous dotted quad "255.255.255.0"; else null. */
export function parseNetmask(text: string, family: Family): number | null {
  if (/^\d{1,3}$/.test(text)) {
    const n = Number(text);
    return n <= maxPrefix(family) ? n : null;
  }
  if (family !== 'inet' || !isIPv4(text)) return null;
  return prefixFromMask(ipToBytes(text));
}

/** The prefix length of a contiguous mask in network order, or null if it has holes. */
export function prefixFromMask(b: Uint8Array): number | null {
  let n = 0;
  while (n < b.length * 8 && (b[n >> 3]! >> (7 - (n & 7))) & 1) n++;
  for (let i = n; i < b.length * 8; i++) if ((b[i >> 3]! >> (7 - (i & 7))) & 1) return null;
  return n;
}

/** The mask of a prefix length as network-order bytes for the family. */
export function maskBytes(family: Family, prefix: number): Buffer {
  const out = Buffer.alloc(family === 'inet6' ? 16 : 4);
  for (let i = 0; i < prefix; i++) out[i >> 3]! |= 0x80 >> (i & 7);
  return out;
}

/** "255.255.255.0" for an IPv4 prefix of 24; IPv6 masks stay prefix lengths, as ipvsadm prints them. */
export function formatNetmask(family: Family, prefix: number): string {
  return family === 'inet6' ? String(prefix) : formatIp(maskBytes('inet', prefix));
}

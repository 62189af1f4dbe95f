// VRRP advertisement codec: version 2 (RFC 3768) and version 3 (RFC 5798),
// IPv4 and IPv6 address lists. Decoding never throws: every malformed input
// maps to a typed drop reason that the speaker counts.
import { formatIp as bytesToIp, type Ip, ipToBytes } from '../kernel/vocabulary.js';
import { inetChecksum, pseudoHeader } from './checksum.js';

export const VRRP_PROTOCOL = 112;
export const VRRP_GROUP4 = '224.0.0.18';
export const VRRP_GROUP6 = 'ff02::12';
export const VRRP_TTL = 255;
export const TYPE_ADVERTISEMENT = 1;

export const AUTH_NONE = 0;
export const AUTH_PASS = 1;
export const AUTH_AH = 2;
export const AUTH_DATA_LEN = 8;

export type Family = 4 | 6;
export type VrrpVersion = 2 | 3;

export interface VrrpAuth {
  readonly type: number;
  /** Exactly 8 bytes; a PASS password is NUL-padded. */
  readonly data: Buffer;
}

export interface VrrpAdvert {
  readonly version: VrrpVersion;
  readonly vrid: number;
  readonly priority: number;
  readonly family: Family;
  readonly addresses: readonly string[];
  /** Advertisement interval in centiseconds (v2 carries whole seconds, so a multiple of 100). */
  readonly advertIntCs: number;
  /** Version 2 only. */
  readonly auth?: VrrpAuth;
}

export type DropReason =
  | 'short'
  | 'bad-ip-header'
  | 'not-vrrp'
  | 'bad-ttl'
  | 'bad-version'
  | 'bad-type'
  | 'bad-length'
  | 'bad-checksum'
  | 'bad-address-family'
  | 'wrong-vrid'
  | 'auth-mismatch'
  | 'advert-int-mismatch'
  | 'address-count-mismatch'
  | 'address-mismatch'
  | 'own-packet'
  | 'unknown-peer';

export type Decoded<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly reason: DropReason };

const ok = <T>(value: T): Decoded<T> => ({ ok: true, value });
const drop = <T>(reason: DropReason): Decoded<T> => ({ ok: false, reason });

/** The addresses used for the v3 pseudo-header (source and destination of the IP packet). */
export interface PseudoAddrs {
  readonly src: string;
  readonly dst: string;
}

export function passwordAuth(password: string): VrrpAuth {
  const data = Buffer.alloc(AUTH_DATA_LEN);
  // keepalived truncates auth_pass to 8 characters.
  Buffer.from(password, 'utf8').subarray(0, AUTH_DATA_LEN).copy(data);
  return { type: AUTH_PASS, data };
}

function addrLen(family: Family): number {
  return family === 4 ? 4 : 16;
}

export function advertLength(a: Pick<VrrpAdvert, 'version' | 'family' | 'addresses'>): number {
  return 8 + a.addresses.length * addrLen(a.family) + (a.version === 2 ? AUTH_DATA_LEN : 0);
}

/**
 * Encodes an advertisement. Version 3 needs the pseudo-header addresses for
 * its checksum; pass null when the kernel fills the checksum (IPV6_CHECKSUM).
 */
export function encodeAdvert(a: VrrpAdvert, pseudo: PseudoAddrs | null = null): Buffer {
  if (a.version === 2 && a.family !== 4) throw new RangeError('VRRP version 2 carries IPv4 addresses only');
  if (a.addresses.length > 255) throw new RangeError('at most 255 addresses per advertisement');
  const b = Buffer.alloc(advertLength(a));
  b[0] = (a.version << 4) | TYPE_ADVERTISEMENT;
  b[1] = a.vrid;
  b[2] = a.priority;
  b[3] = a.addresses.length;
  if (a.version === 2) {
    if (a.advertIntCs % 100 !== 0 || a.advertIntCs < 0 || a.advertIntCs > 255 * 100) {
      throw new RangeError(`version 2 advert interval must be whole seconds 0..255, got ${a.advertIntCs} cs`);
    }
    b[4] = a.auth?.type ?? AUTH_NONE;
    b[5] = a.advertIntCs / 100;
  } else {
    if (a.advertIntCs < 0 || a.advertIntCs > 0xfff)
      throw new RangeError('version 3 max advert interval is 12 bits');
    b.writeUInt16BE(a.advertIntCs, 4);
  }
  let off = 8;
  for (const ip of a.addresses) {
    const bytes = ipToBytes(ip);
    if (bytes.length !== addrLen(a.family)) throw new TypeError(`${ip} is not an IPv${a.family} address`);
    bytes.copy(b, off);
    off += bytes.length;
  }
  if (a.version === 2 && a.auth) a.auth.data.copy(b, off, 0, AUTH_DATA_LEN);
  let sum: number;
  if (a.version === 2) sum = inetChecksum(b);
  else if (pseudo) sum = inetChecksum(pseudoHeader(pseudo.src, pseudo.dst, VRRP_PROTOCOL, b.length), b);
  else sum = 0;
  b.writeUInt16BE(sum, 6);
  return b;
}

/**
 * Decodes one VRRP message (the IP payload). pseudo gives the IP source and
 * destination for the v3 checksum; 'kernel' means the kernel already verified
 * it (IPv6 raw socket with IPV6_CHECKSUM).
 */
export function decodeAdvert(
  buf: Uint8Array,
  family: Family,
  pseudo: PseudoAddrs | 'kernel',
): Decoded<VrrpAdvert> {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.length < 8) return drop('short');
  const version = b[0]! >> 4;
  if (version !== 2 && version !== 3) return drop('bad-version');
  if ((b[0]! & 0x0f) !== TYPE_ADVERTISEMENT) return drop('bad-type');
  if (version === 2 && family !== 4) return drop('bad-address-family');
  const count = b[3]!;
  const want = advertLength({ version, family, addresses: { length: count } as readonly string[] });
  if (b.length < want) return drop('short');
  if (b.length > want) return drop('bad-length');
  if (version === 2) {
    if (inetChecksum(b) !== 0) return drop('bad-checksum');
  } else if (pseudo !== 'kernel') {
    let ph: Buffer;
    try {
      ph = pseudoHeader(pseudo.src, pseudo.dst, VRRP_PROTOCOL, b.length);
    } catch {
      return drop('bad-address-family');
    }
    if (inetChecksum(ph, b) !== 0) return drop('bad-checksum');
  }
  const len = addrLen(family);
  const addresses: string[] = [];
  for (let i = 0; i < count; i++) addresses.push(bytesToIp(b.subarray(8 + i * len, 8 + (i + 1) * len)));
  const base = { version, vrid: b[1]!, priority: b[2]!, family, addresses } as const;
  if (version === 2) {
    const data = Buffer.from(b.subarray(8 + count * len, 8 + count * len + AUTH_DATA_LEN));
    return ok({ ...base, advertIntCs: b[5]! * 100, auth: { type: b[4]!, data } });
  }
  return ok({ ...base, advertIntCs: b.readUInt16BE(4) & 0x0fff });
}

/** What one VRRP instance expects of a peer's advertisement. */
export interface AdvertExpectations {
  readonly version: VrrpVersion;
  readonly vrid: number;
  readonly family: Family;
  /** Canonical, as decoded adverts carry them: compared as text. */
  readonly addresses: readonly Ip[];
  /** Version 2 requires the same interval on every router (RFC 3768 7.1). */
  readonly advertIntCs: number;
  readonly auth?: VrrpAuth;
  /**
   * keepalived's per-peer `min_ttl`/`max_ttl` (unicast across routers). When
   * given, only these sources are accepted, each with a TTL (hop limit) in
   * its range; when absent, the TTL must be 255 (RFC 5798 5.1.1.3).
   */
  readonly peerTtl?: readonly PeerTtl[];
  /** Unicast without peer bounds: keepalived checks no TTL, so a peer's unicast_ttl below 255 is accepted. */
  readonly anyTtl?: boolean;
  /** vrrp_skip_check_adv_addr: adverts from this address (the current master) skip the address check. */
  readonly trustAddressesFrom?: string;
}

export interface PeerTtl {
  readonly address: Ip;
  readonly minTtl: number;
  readonly maxTtl: number;
}

/** The TTL check: 255, or within the sending peer's bounds when peers have them. */
export function checkTtl(src: string | undefined, ttl: number, want: AdvertExpectations): DropReason | null {
  if (!want.peerTtl) return want.anyTtl || ttl === VRRP_TTL ? null : 'bad-ttl';
  // src comes from the socket's sockaddr, already canonical.
  const peer = want.peerTtl.find((p) => p.address === src);
  if (!peer) return 'unknown-peer';
  return ttl >= peer.minTtl && ttl <= peer.maxTtl ? null : 'bad-ttl';
}

/** RFC 3768 7.1 / RFC 5798 7.1 receive checks that need the instance's settings. */
export function checkAdvert(
  a: VrrpAdvert,
  ttl: number,
  want: AdvertExpectations,
  src?: string,
): DropReason | null {
  const badTtl = checkTtl(src, ttl, want);
  if (badTtl) return badTtl;
  if (a.version !== want.version) return 'bad-version';
  if (a.family !== want.family) return 'bad-address-family';
  if (a.vrid !== want.vrid) return 'wrong-vrid';
  if (a.version === 2) {
    const type = want.auth?.type ?? AUTH_NONE;
    if ((a.auth?.type ?? AUTH_NONE) !== type) return 'auth-mismatch';
    if (type === AUTH_PASS && !(a.auth && want.auth && a.auth.data.equals(want.auth.data)))
      return 'auth-mismatch';
    if (a.advertIntCs !== want.advertIntCs) return 'advert-int-mismatch';
  }
  // Both sides are canonical: the source as decoded, the master as learnt from it.
  if (src !== undefined && src === want.trustAddressesFrom) return null;
  // A priority-0 release still names the addresses; check them for every advert.
  if (a.addresses.length !== want.addresses.length) return 'address-count-mismatch';
  const mine = new Set<string>(want.addresses);
  if (!a.addresses.every((ip) => mine.has(ip))) return 'address-mismatch';
  return null;
}

export interface Ipv4Packet {
  readonly src: string;
  readonly dst: string;
  readonly ttl: number;
  readonly protocol: number;
  readonly payload: Buffer;
}

/** Splits what a raw IPv4 socket returns (header included) into header fields and payload. */
export function parseIpv4(buf: Uint8Array): Decoded<Ipv4Packet> {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.length < 20) return drop('short');
  if (b[0]! >> 4 !== 4) return drop('bad-ip-header');
  const ihl = (b[0]! & 0x0f) * 4;
  const total = b.readUInt16BE(2);
  if (ihl < 20 || total < ihl) return drop('bad-ip-header');
  if (b.length < total) return drop('short');
  return ok({
    src: bytesToIp(b.subarray(12, 16)),
    dst: bytesToIp(b.subarray(16, 20)),
    ttl: b[8]!,
    protocol: b[9]!,
    payload: b.subarray(ihl, total),
  });
}

/** Decodes and checks a raw IPv4 datagram for one instance. */
export function receiveIpv4(
  buf: Uint8Array,
  want: AdvertExpectations,
): Decoded<VrrpAdvert & { src: string }> {
  const ip = parseIpv4(buf);
  if (!ip.ok) return ip;
  if (ip.value.protocol !== VRRP_PROTOCOL) return drop('not-vrrp');
  const adv = decodeAdvert(ip.value.payload, 4, { src: ip.value.src, dst: ip.value.dst });
  if (!adv.ok) return adv;
  const bad = checkAdvert(adv.value, ip.value.ttl, want, ip.value.src);
  return bad ? drop(bad) : ok({ ...adv.value, src: ip.value.src });
}

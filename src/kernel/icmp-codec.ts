// Pure ICMP and ICMPv6 echo codec for PING_CHECK: build an echo request,
// and read an echo reply (or an unreachable error quoting one of our
// requests) out of what a raw socket receives. A raw IPv4 socket hands over
// the IP header too; a raw ICMPv6 socket hands over the message alone.
import { bytesToIp } from './sockaddr.js';

export const ICMP_ECHO_REPLY = 0;
export const ICMP_DEST_UNREACH = 3;
export const ICMP_ECHO_REQUEST = 8;
export const ICMP_TIME_EXCEEDED = 11;
export const ICMP6_DEST_UNREACH = 1;
export const ICMP6_TIME_EXCEEDED = 3;
export const ICMP6_ECHO_REQUEST = 128;
export const ICMP6_ECHO_REPLY = 129;

export type IcmpFamily = 4 | 6;

/** RFC 1071 one's-complement sum over one buffer. */
export function icmpChecksum(b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i + 1 < b.length; i += 2) sum += (b[i]! << 8) | b[i + 1]!;
  if (b.length & 1) sum += b[b.length - 1]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/**
 * An echo request: type, code 0, checksum, identifier, sequence, payload.
 * The ICMPv6 checksum covers a pseudo-header the kernel fills in for raw
 * ICMPv6 sockets, so it is left 0 here.
 */
export function encodeEchoRequest(family: IcmpFamily, id: number, seq: number, payload: Uint8Array): Buffer {
  const b = Buffer.alloc(8 + payload.length);
  b[0] = family === 4 ? ICMP_ECHO_REQUEST : ICMP6_ECHO_REQUEST;
  b.writeUInt16BE(id & 0xffff, 4);
  b.writeUInt16BE(seq & 0xffff, 6);
  Buffer.from(payload).copy(b, 8);
  if (family === 4) b.writeUInt16BE(icmpChecksum(b), 2);
  return b;
}

export interface EchoEvent {
  /** 'reply': the target answered; 'unreachable': a router or host reported an error for our request. */
  readonly kind: 'reply' | 'unreachable';
  readonly id: number;
  readonly seq: number;
  /** The address the request went to (for a reply, the replier). */
  readonly target: string;
  /** ICMP type and code of an error, for the failure reason. */
  readonly type: number;
  readonly code: number;
}

function ipv4HeaderLength(b: Uint8Array, at: number): number {
  if (b.length < at + 20 || b[at]! >> 4 !== 4) return -1;
  return (b[at]! & 0x0f) * 4;
}

/** Parses what a raw IPPROTO_ICMP socket received (IPv4 header included); null when not ours to judge. */
export function parseIcmp4(b: Uint8Array): EchoEvent | null {
  const hl = ipv4HeaderLength(b, 0);
  if (hl < 20 || b.length < hl + 8) return null;
  const type = b[hl]!;
  const code = b[hl + 1]!;
  const dv = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  if (type === ICMP_ECHO_REPLY) {
    return {
      kind: 'reply',
      id: dv.readUInt16BE(hl + 4),
      seq: dv.readUInt16BE(hl + 6),
      target: bytesToIp(b.subarray(12, 16)),
      type,
      code,
    };
  }
  if (type !== ICMP_DEST_UNREACH && type !== ICMP_TIME_EXCEEDED) return null;
  // The error quotes the offending IP header and at least 8 bytes after it.
  const inner = hl + 8;
  const ihl = ipv4HeaderLength(b, inner);
  if (ihl < 20 || b.length < inner + ihl + 8 || b[inner + 9] !== 1) return null;
  if (b[inner + ihl] !== ICMP_ECHO_REQUEST) return null;
  return {
    kind: 'unreachable',
    id: dv.readUInt16BE(inner + ihl + 4),
    seq: dv.readUInt16BE(inner + ihl + 6),
    target: bytesToIp(b.subarray(inner + 16, inner + 20)),
    type,
    code,
  };
}

/** Parses what a raw IPPROTO_ICMPV6 socket received; `from` is the sender's address. */
export function parseIcmp6(b: Uint8Array, from: string): EchoEvent | null {
  if (b.length < 8) return null;
  const type = b[0]!;
  const code = b[1]!;
  const dv = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  if (type === ICMP6_ECHO_REPLY) {
    return { kind: 'reply', id: dv.readUInt16BE(4), seq: dv.readUInt16BE(6), target: from, type, code };
  }
  if (type !== ICMP6_DEST_UNREACH && type !== ICMP6_TIME_EXCEEDED) return null;
  // Error body: 4 unused bytes, then the offending IPv6 header (40 bytes) and our echo request.
  const inner = 8;
  if (b.length < inner + 40 + 8 || b[inner]! >> 4 !== 6 || b[inner + 6] !== 58) return null;
  if (b[inner + 40] !== ICMP6_ECHO_REQUEST) return null;
  return {
    kind: 'unreachable',
    id: dv.readUInt16BE(inner + 44),
    seq: dv.readUInt16BE(inner + 46),
    target: bytesToIp(b.subarray(inner + 24, inner + 40)),
    type,
    code,
  };
}

/** A short text for an ICMP error, for the probe's failure reason. */
export function describeIcmpError(family: IcmpFamily, type: number, code: number): string {
  if (family === 4) {
    if (type === ICMP_TIME_EXCEEDED) return 'time exceeded';
    const names = ['net unreachable', 'host unreachable', 'protocol unreachable', 'port unreachable'];
    return names[code] ?? `destination unreachable (code ${code})`;
  }
  if (type === ICMP6_TIME_EXCEEDED) return 'time exceeded';
  const names = ['no route', 'administratively prohibited', 'beyond scope', 'address unreachable'];
  return names[code] ?? `destination unreachable (code ${code})`;
}

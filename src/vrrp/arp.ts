// Frames that announce a VIP's new owner: a gratuitous ARP request (IPv4)
// and an unsolicited Neighbour Advertisement (IPv6, RFC 4861 7.2.6). Both are
// whole Ethernet frames, sent over AF_PACKET.
import { bytesToIp, ipToBytes } from '../kernel/sockaddr.js';
import { inetChecksum, pseudoHeader } from './checksum.js';

export const ETH_P_ARP = 0x0806;
export const ETH_P_IPV6 = 0x86dd;
export const BROADCAST_MAC = Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
export const ALL_NODES = 'ff02::1';
/** Ethernet multicast for ff02::1 (RFC 2464: 33:33 + the low 32 bits). */
export const ALL_NODES_MAC = Buffer.from([0x33, 0x33, 0, 0, 0, 1]);
const IPPROTO_ICMPV6 = 58;
const ND_NEIGHBOR_ADVERT = 136;
const NA_FLAG_ROUTER = 0x80;
const NA_FLAG_OVERRIDE = 0x20;
const OPT_TARGET_LLADDR = 2;

function ethernet(dst: Uint8Array, src: Uint8Array, type: number, payloadLen: number): Buffer {
  if (src.length !== 6) throw new TypeError('a MAC address has 6 bytes');
  const b = Buffer.alloc(14 + payloadLen);
  Buffer.from(dst).copy(b, 0);
  Buffer.from(src).copy(b, 6);
  b.writeUInt16BE(type, 12);
  return b;
}

/**
 * Gratuitous ARP request: broadcast, sender = target = the VIP, so every host
 * on the segment updates its cache entry for the VIP (RFC 5227 3, RFC 5798 8.1.2).
 */
export function gratuitousArp(mac: Uint8Array, vip: string): Buffer {
  const ip = ipToBytes(vip);
  if (ip.length !== 4) throw new TypeError(`${vip} is not an IPv4 address`);
  const b = ethernet(BROADCAST_MAC, mac, ETH_P_ARP, 28);
  b.writeUInt16BE(1, 14); // hardware: Ethernet
  b.writeUInt16BE(0x0800, 16); // protocol: IPv4
  b[18] = 6;
  b[19] = 4;
  b.writeUInt16BE(1, 20); // request
  Buffer.from(mac).copy(b, 22);
  ip.copy(b, 28);
  BROADCAST_MAC.copy(b, 32);
  ip.copy(b, 38);
  return b;
}

export interface GratuitousArpInfo {
  readonly senderMac: string;
  readonly senderIp: string;
  readonly targetIp: string;
  readonly op: number;
}

/** Reads an ARP frame (Ethernet header included), or null if it is not one. */
export function parseArp(frame: Uint8Array): GratuitousArpInfo | null {
  const b = Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
  if (b.length < 42 || b.readUInt16BE(12) !== ETH_P_ARP) return null;
  if (b.readUInt16BE(14) !== 1 || b.readUInt16BE(16) !== 0x0800 || b[18] !== 6 || b[19] !== 4) return null;
  const hex = (o: number) =>
    Array.from(b.subarray(o, o + 6), (x) => x.toString(16).padStart(2, '0')).join(':');
  return {
    op: b.readUInt16BE(20),
    senderMac: hex(22),
    senderIp: bytesToIp(b.subarray(28, 32)),
    targetIp: bytesToIp(b.subarray(38, 42)),
  };
}

/**
 * Unsolicited Neighbour Advertisement for vip to all nodes, Override set,
 * with a target link-layer address option. src is the interface's
 * link-local address (RFC 4861 7.2.6); hop limit 255 as ND requires.
 */
export function unsolicitedNa(mac: Uint8Array, src: string, vip: string, router = false): Buffer {
  const target = ipToBytes(vip);
  const from = ipToBytes(src);
  if (target.length !== 16 || from.length !== 16) throw new TypeError('unsolicited NA needs IPv6 addresses');
  const icmpLen = 32;
  const b = ethernet(ALL_NODES_MAC, mac, ETH_P_IPV6, 40 + icmpLen);
  b.writeUInt32BE(0x60000000, 14);
  b.writeUInt16BE(icmpLen, 18);
  b[20] = IPPROTO_ICMPV6;
  b[21] = 255;
  from.copy(b, 22);
  ipToBytes(ALL_NODES).copy(b, 38);
  const icmp = b.subarray(54);
  icmp[0] = ND_NEIGHBOR_ADVERT;
  icmp[4] = NA_FLAG_OVERRIDE | (router ? NA_FLAG_ROUTER : 0);
  target.copy(icmp, 8);
  icmp[24] = OPT_TARGET_LLADDR;
  icmp[25] = 1; // option length in units of 8 bytes
  Buffer.from(mac).copy(icmp, 26);
  icmp.writeUInt16BE(inetChecksum(pseudoHeader(src, ALL_NODES, IPPROTO_ICMPV6, icmpLen), icmp), 2);
  return b;
}

// Pure sockaddr encoders for the socket families floatlb uses.
import { isIPv4 } from 'node:net';
import { formatIp, ipToBytes } from './vocabulary.js';

export const AF_INET = 2;
export const AF_INET6 = 10;
export const AF_NETLINK = 16;
export const AF_PACKET = 17;

// Address text <-> bytes lives in the vocabulary; re-exported for the socket code.
export { formatIp as bytesToIp, ipToBytes } from './vocabulary.js';

export function sockaddrNl(pid = 0, groups = 0): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt16LE(AF_NETLINK, 0);
  b.writeUInt32LE(pid, 4);
  b.writeUInt32LE(groups, 8);
  return b;
}

export function sockaddrIn(ip: string, port = 0): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt16LE(AF_INET, 0);
  b.writeUInt16BE(port, 2);
  ipToBytes(ip).copy(b, 4);
  return b;
}

export function sockaddrIn6(ip: string, port = 0, scopeId = 0): Buffer {
  const b = Buffer.alloc(28);
  b.writeUInt16LE(AF_INET6, 0);
  b.writeUInt16BE(port, 2);
  ipToBytes(ip).copy(b, 8);
  b.writeUInt32LE(scopeId, 24);
  return b;
}

export function sockaddrIp(ip: string, port = 0, scopeId = 0): Buffer {
  return isIPv4(ip) ? sockaddrIn(ip, port) : sockaddrIn6(ip, port, scopeId);
}

/** Decodes the source address of a received AF_INET/AF_INET6 datagram. */
export function decodeSockaddrIp(b: Buffer): { ip: string; port: number } | null {
  if (b.length < 2) return null;
  const family = b.readUInt16LE(0);
  if (family === AF_INET && b.length >= 8) return { ip: formatIp(b.subarray(4, 8)), port: b.readUInt16BE(2) };
  if (family === AF_INET6 && b.length >= 24)
    return { ip: formatIp(b.subarray(8, 24)), port: b.readUInt16BE(2) };
  return null;
}

/** struct sockaddr_ll, for AF_PACKET send and bind. */
export function sockaddrLl(ifindex: number, protocol: number, mac?: Uint8Array): Buffer {
  const b = Buffer.alloc(20);
  b.writeUInt16LE(AF_PACKET, 0);
  b.writeUInt16BE(protocol, 2);
  b.writeInt32LE(ifindex, 4);
  if (mac) {
    b.writeUInt8(mac.length, 11);
    Buffer.from(mac).copy(b, 12);
  }
  return b;
}

export function parseMac(mac: string): Buffer {
  const parts = mac.split(':');
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{2}$/.test(p))) {
    throw new TypeError(`not a MAC address: ${JSON.stringify(mac)}`);
  }
  return Buffer.from(parts.map((p) => Number.parseInt(p, 16)));
}

export function formatMac(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(':');
}

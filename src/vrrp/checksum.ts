// RFC 1071 one's-complement checksum, shared by VRRP and ICMPv6.
import { ipToBytes } from '../kernel/sockaddr.js';

/** Folds 16-bit big-endian words of every part into a one's-complement sum. */
export function inetChecksum(...parts: Uint8Array[]): number {
  let sum = 0;
  let odd: number | null = null;
  for (const p of parts) {
    for (let i = 0; i < p.length; i++) {
      if (odd === null) odd = p[i]!;
      else {
        sum += (odd << 8) | p[i]!;
        odd = null;
      }
    }
  }
  if (odd !== null) sum += odd << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** The pseudo-header of RFC 768/2460 for an upper-layer payload. */
export function pseudoHeader(src: string, dst: string, protocol: number, length: number): Buffer {
  const s = ipToBytes(src);
  const d = ipToBytes(dst);
  if (s.length !== d.length) throw new TypeError('pseudo-header needs two addresses of one family');
  if (s.length === 4) {
    const b = Buffer.alloc(12);
    s.copy(b, 0);
    d.copy(b, 4);
    b[9] = protocol;
    b.writeUInt16BE(length, 10);
    return b;
  }
  const b = Buffer.alloc(40);
  s.copy(b, 0);
  d.copy(b, 16);
  b.writeUInt32BE(length, 32);
  b[39] = protocol;
  return b;
}

// A packet capture for VRRP tests: an AF_PACKET socket on one interface of a
// namespace that keeps every IPv4 VRRP frame seen (sent or received there),
// with the Ethernet source and the IP header fields tests look at.
import type { Netns } from '../../lab/netns.js';
import { formatMac } from '../../src/kernel/sockaddr.js';
import { ETH_P_IP, PacketListener } from './packet-listener.js';

export interface VrrpFrame {
  readonly at: number;
  readonly srcMac: string;
  readonly src: string;
  readonly dst: string;
  readonly ttl: number;
  /** The VRRP priority byte. */
  readonly priority: number;
  readonly vrid: number;
}

const ip4 = (b: Buffer, off: number) => [...b.subarray(off, off + 4)].join('.');

function parseVrrp(f: Buffer): Omit<VrrpFrame, 'at'> | null {
  if (f.length < 14 + 20 + 8 || f.readUInt16BE(12) !== 0x0800 || f[14 + 9] !== 112) return null;
  const ihl = (f[14]! & 0x0f) * 4;
  return {
    srcMac: formatMac(f.subarray(6, 12)),
    src: ip4(f, 14 + 12),
    dst: ip4(f, 14 + 16),
    ttl: f[14 + 8]!,
    vrid: f[14 + ihl + 1]!,
    priority: f[14 + ihl + 2]!,
  };
}

export class VrrpCapture {
  private readonly listener: PacketListener<Omit<VrrpFrame, 'at'>>;

  constructor(ns: Netns, ifname = 'eth0') {
    this.listener = new PacketListener(ns, ifname, ETH_P_IP, parseVrrp);
  }

  get frames(): readonly VrrpFrame[] {
    return this.listener.frames;
  }

  from(src: string): VrrpFrame[] {
    return this.frames.filter((f) => f.src === src);
  }

  close(): void {
    this.listener.close();
  }
}

// A packet capture for VRRP tests: an AF_PACKET socket on one interface of a
// namespace that keeps every IPv4 VRRP frame seen (sent or received there),
// with the Ethernet source and the IP header fields tests look at.
import { performance } from 'node:perf_hooks';
import type { Netns } from '../../lab/netns.js';
import { ifNameToIndex, inNetns, SOCK_RAW, Sock } from '../../src/kernel/sock.js';
import { formatMac, sockaddrLl } from '../../src/kernel/sockaddr.js';

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

export class VrrpCapture {
  readonly frames: VrrpFrame[] = [];
  private readonly sock: Sock;

  constructor(ns: Netns, ifname = 'eth0') {
    const ETH_P_IP_BE = 0x0008; // htons(0x0800) as the socket() protocol argument
    this.sock = Sock.open(17, SOCK_RAW, ETH_P_IP_BE, { netns: ns.name });
    const ifindex = inNetns(ns.name, () => ifNameToIndex(ifname));
    this.sock.bind(sockaddrLl(ifindex, 0x0800));
    this.sock.onReceive((d) => {
      const f = d.data;
      if (f.length < 14 + 20 + 8 || f.readUInt16BE(12) !== 0x0800 || f[14 + 9] !== 112) return;
      const ihl = (f[14]! & 0x0f) * 4;
      this.frames.push({
        at: performance.now(),
        srcMac: formatMac(f.subarray(6, 12)),
        src: ip4(f, 14 + 12),
        dst: ip4(f, 14 + 16),
        ttl: f[14 + 8]!,
        vrid: f[14 + ihl + 1]!,
        priority: f[14 + ihl + 2]!,
      });
    });
  }

  from(src: string): VrrpFrame[] {
    return this.frames.filter((f) => f.src === src);
  }

  close(): void {
    this.sock.close();
  }
}

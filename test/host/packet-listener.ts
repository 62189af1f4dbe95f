// One AF_PACKET listener for the VRRP host tests: a raw socket in a
// namespace, bound to one interface and one EtherType, that hands every
// frame it sees (sent or received there) to a parser and keeps what the
// parser returns, stamped with the time it arrived.
import { performance } from 'node:perf_hooks';
import type { Netns } from '../../lab/netns.js';
import { ifNameToIndex, inNetns, SOCK_RAW, Sock } from '../../src/kernel/sock.js';
import { AF_PACKET, sockaddrLl } from '../../src/kernel/sockaddr.js';

export const ETH_P_IP = 0x0800;
export const ETH_P_ARP = 0x0806;
export const ETH_P_IPV6 = 0x86dd;

export class PacketListener<T> {
  readonly frames: Array<T & { at: number }> = [];
  private readonly sock: Sock;

  /** parse: the whole Ethernet frame in, null for one to skip. */
  constructor(ns: Netns, ifname: string, ethertype: number, parse: (frame: Buffer) => T | null) {
    // socket()'s protocol argument is in network byte order.
    const proto = ((ethertype & 0xff) << 8) | (ethertype >> 8);
    this.sock = Sock.open(AF_PACKET, SOCK_RAW, proto, { netns: ns.name });
    const ifindex = inNetns(ns.name, () => ifNameToIndex(ifname));
    this.sock.bind(sockaddrLl(ifindex, ethertype));
    this.sock.onReceive((d) => {
      const v = parse(d.data);
      if (v !== null) this.frames.push({ ...v, at: performance.now() });
    });
  }

  close(): void {
    this.sock.close();
  }
}

// One AF_PACKET listener for the VRRP host tests: a raw socket in a
// namespace, bound to one interface and one EtherType, that hands every
// frame it sees (sent or received there) to a parser and keeps what the
// parser returns, stamped with the time the kernel received it (not when this
// process got round to reading it: a busy test process reads frames in bursts).
import { performance } from 'node:perf_hooks';
import type { Netns } from '../../lab/netns.js';
import { MsgReceiver, type PollHandle, pollReadable } from '../../native/libc.js';
import { ifNameToIndex, inNetns, SOCK_RAW, Sock } from '../../src/kernel/sock.js';
import { AF_PACKET, sockaddrLl } from '../../src/kernel/sockaddr.js';

export const ETH_P_IP = 0x0800;
export const ETH_P_ARP = 0x0806;
export const ETH_P_IPV6 = 0x86dd;

const SOL_SOCKET = 1;
/** SO_TIMESTAMPNS (the 64-bit-time_t form): a struct timespec with each frame. */
const SO_TIMESTAMPNS = 35;

/** The kernel's receive time from the ancillary data, on performance.now()'s timeline. */
function kernelStamp(control: Buffer): number | null {
  for (let off = 0; off + 16 <= control.length; ) {
    const len = Number(control.readBigUInt64LE(off));
    if (len < 16) break;
    const level = control.readInt32LE(off + 8);
    const type = control.readInt32LE(off + 12);
    if (level === SOL_SOCKET && type === SO_TIMESTAMPNS && off + 32 <= control.length) {
      const ms =
        Number(control.readBigInt64LE(off + 16)) * 1000 + Number(control.readBigInt64LE(off + 24)) / 1e6;
      return ms - performance.timeOrigin;
    }
    off += (len + 7) & ~7;
  }
  return null;
}

export class PacketListener<T> {
  readonly frames: Array<T & { at: number }> = [];
  private readonly sock: Sock;
  private readonly rx = new MsgReceiver(1 << 16);
  private readonly poll: PollHandle;

  /** parse: the whole Ethernet frame in, null for one to skip. */
  constructor(ns: Netns, ifname: string, ethertype: number, parse: (frame: Buffer) => T | null) {
    // socket()'s protocol argument is in network byte order.
    const proto = ((ethertype & 0xff) << 8) | (ethertype >> 8);
    this.sock = Sock.open(AF_PACKET, SOCK_RAW, proto, { netns: ns.name });
    const ifindex = inNetns(ns.name, () => ifNameToIndex(ifname));
    this.sock.bind(sockaddrLl(ifindex, ethertype));
    this.sock.setsockopt(SOL_SOCKET, SO_TIMESTAMPNS, 1);
    this.poll = pollReadable(this.sock.fd, () => {
      for (;;) {
        const m = this.rx.recv(this.sock.fd);
        if (!m) return;
        const v = parse(m.data);
        if (v !== null) this.frames.push({ ...v, at: kernelStamp(m.control) ?? performance.now() });
      }
    });
  }

  close(): void {
    this.poll.stop();
    this.poll.close();
    this.sock.close();
    this.rx.free();
  }
}

// The VRRP transport: a raw IP protocol-112 socket on one interface, in
// multicast mode (224.0.0.18 / ff02::12) or unicast mode (to each peer).
// It moves bytes only; src/vrrp decodes and checks them.
import { isIPv4 } from 'node:net';
import { MsgReceiver, type PollHandle, pollReadable } from '../../native/libc.js';
import { ifNameToIndex, inNetns, SOCK_RAW, Sock } from './sock.js';
import {
  AF_INET,
  AF_INET6,
  bytesToIp,
  decodeSockaddrIp,
  ipToBytes,
  sockaddrIn,
  sockaddrIn6,
} from './sockaddr.js';

export const IPPROTO_VRRP = 112;
export const VRRP_GROUP4 = '224.0.0.18';
export const VRRP_GROUP6 = 'ff02::12';

const SOL_SOCKET = 1;
const SO_BINDTODEVICE = 25;
const SO_RCVBUF = 8;
const IPPROTO_IP = 0;
const IP_TTL = 2;
const IP_MULTICAST_IF = 32;
const IP_MULTICAST_TTL = 33;
const IP_MULTICAST_LOOP = 34;
const IP_ADD_MEMBERSHIP = 35;
const IPPROTO_IPV6 = 41;
const IPV6_UNICAST_HOPS = 16;
const IPV6_MULTICAST_IF = 17;
const IPV6_MULTICAST_HOPS = 18;
const IPV6_MULTICAST_LOOP = 19;
const IPV6_JOIN_GROUP = 20;
const IPV6_RECVPKTINFO = 49;
const IPV6_PKTINFO = 50;
const IPV6_RECVHOPLIMIT = 51;
const IPV6_HOPLIMIT = 52;

export interface VrrpSocketOptions {
  readonly family: 4 | 6;
  readonly ifname: string;
  readonly netns?: string;
  /** This router's address: the IPv4 primary, or the IPv6 link-local address. Adverts carry it as source. */
  readonly srcIp: string;
  /** Unicast mode when non-empty: adverts go to each peer, and only unicast to srcIp is received. */
  readonly unicastPeers?: readonly string[];
  /** TTL (hop limit) of unicast adverts (keepalived's unicast_ttl); default 255. */
  readonly unicastTtl?: number;
  /** The multicast group adverts go to and are received on (vrrp_mcast_group4/6); default the IANA group. */
  readonly group?: string;
}

/**
 * One received datagram. IPv4: data is the whole IP packet (the raw socket
 * includes the header, so TTL and addresses are read from it). IPv6: data is
 * the VRRP payload; addresses and hop limit come from ancillary data.
 */
export type VrrpDatagram =
  | { readonly family: 4; readonly data: Buffer }
  | {
      readonly family: 6;
      readonly data: Buffer;
      readonly src: string;
      readonly dst: string | null;
      readonly hopLimit: number | null;
    };

function mreqn(group: string, local: string, ifindex: number): Buffer {
  const b = Buffer.alloc(12);
  ipToBytes(group).copy(b, 0);
  ipToBytes(local).copy(b, 4);
  b.writeInt32LE(ifindex, 8);
  return b;
}

export class VrrpSocket {
  readonly family: 4 | 6;
  readonly ifindex: number;
  readonly srcIp: string;
  readonly unicastPeers: readonly string[];
  readonly group: string;
  private readonly sock: Sock;
  private readonly rx6: MsgReceiver | null;
  private poll: PollHandle | null = null;

  private constructor(opts: VrrpSocketOptions, sock: Sock, ifindex: number) {
    this.family = opts.family;
    this.ifindex = ifindex;
    this.srcIp = opts.srcIp;
    this.unicastPeers = opts.unicastPeers ?? [];
    this.group = opts.group ?? (opts.family === 4 ? VRRP_GROUP4 : VRRP_GROUP6);
    this.sock = sock;
    this.rx6 = opts.family === 6 ? new MsgReceiver(1 << 12) : null;
  }

  static open(opts: VrrpSocketOptions): VrrpSocket {
    if (isIPv4(opts.srcIp) !== (opts.family === 4))
      throw new TypeError(`srcIp ${opts.srcIp} is not IPv${opts.family}`);
    const ifindex = opts.netns
      ? inNetns(opts.netns, () => ifNameToIndex(opts.ifname))
      : ifNameToIndex(opts.ifname);
    const domain = opts.family === 4 ? AF_INET : AF_INET6;
    const sock = Sock.open(domain, SOCK_RAW, IPPROTO_VRRP, { netns: opts.netns, recvBufferSize: 1 << 12 });
    try {
      sock.setsockopt(SOL_SOCKET, SO_BINDTODEVICE, Buffer.from(`${opts.ifname}\0`));
      sock.setsockopt(SOL_SOCKET, SO_RCVBUF, 1 << 18);
      const unicast = (opts.unicastPeers ?? []).length > 0;
      const ttl = unicast ? (opts.unicastTtl ?? 255) : 255;
      if (opts.family === 4) {
        sock.setsockopt(IPPROTO_IP, IP_TTL, ttl);
        if (unicast) sock.bind(sockaddrIn(opts.srcIp));
        else {
          sock.setsockopt(
            IPPROTO_IP,
            IP_ADD_MEMBERSHIP,
            mreqn(opts.group ?? VRRP_GROUP4, '0.0.0.0', ifindex),
          );
          // ip_mreqn's address sets the source of our multicast: the VIP must never be it.
          sock.setsockopt(IPPROTO_IP, IP_MULTICAST_IF, mreqn('0.0.0.0', opts.srcIp, ifindex));
          sock.setsockopt(IPPROTO_IP, IP_MULTICAST_TTL, 255);
          sock.setsockopt(IPPROTO_IP, IP_MULTICAST_LOOP, 0);
        }
      } else {
        sock.setsockopt(IPPROTO_IPV6, IPV6_UNICAST_HOPS, ttl);
        sock.setsockopt(IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1);
        sock.setsockopt(IPPROTO_IPV6, IPV6_RECVPKTINFO, 1);
        if (unicast) sock.bind(sockaddrIn6(opts.srcIp, 0, opts.srcIp.startsWith('fe80') ? ifindex : 0));
        else {
          const mreq = Buffer.alloc(20);
          ipToBytes(opts.group ?? VRRP_GROUP6).copy(mreq, 0);
          mreq.writeInt32LE(ifindex, 16);
          sock.setsockopt(IPPROTO_IPV6, IPV6_JOIN_GROUP, mreq);
          sock.setsockopt(IPPROTO_IPV6, IPV6_MULTICAST_IF, ifindex);
          sock.setsockopt(IPPROTO_IPV6, IPV6_MULTICAST_HOPS, 255);
          sock.setsockopt(IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 0);
        }
      }
    } catch (e) {
      sock.close();
      throw e;
    }
    return new VrrpSocket(opts, sock, ifindex);
  }

  /** Where adverts go: the VRRP group, or every unicast peer. */
  destinations(): readonly string[] {
    if (this.unicastPeers.length > 0) return this.unicastPeers;
    return [this.group];
  }

  sendTo(payload: Buffer, dst: string): void {
    const scoped = /^ff.2|^fe80/.test(dst);
    const addr = this.family === 4 ? sockaddrIn(dst) : sockaddrIn6(dst, 0, scoped ? this.ifindex : 0);
    // Raw sockets take the protocol number in the port field on IPv6: leave it 0.
    this.sock.sendto(payload, addr);
  }

  /** Reads everything queued now (used before judging a timeout). */
  drain(): VrrpDatagram[] {
    const out: VrrpDatagram[] = [];
    for (;;) {
      const d = this.recvOne();
      if (!d) return out;
      out.push(d);
    }
  }

  /** Delivers every datagram on the event loop, read with drain() on each wake-up. */
  onReceive(onData: (d: VrrpDatagram) => void, onError: (e: Error) => void): void {
    this.stopReceiving();
    this.poll = pollReadable(this.sock.fd, (status) => {
      if (status < 0) {
        onError(new Error(`poll failed: ${status}`));
        return;
      }
      let batch: VrrpDatagram[];
      try {
        batch = this.drain();
      } catch (e) {
        onError(e as Error);
        return;
      }
      for (const d of batch) onData(d);
    });
  }

  stopReceiving(): void {
    if (!this.poll) return;
    this.poll.stop();
    this.poll.close();
    this.poll = null;
  }

  /** Lets the process exit while the socket still listens. */
  unref(): void {
    this.poll?.unref();
  }

  close(): void {
    this.stopReceiving();
    this.sock.close();
    this.rx6?.free();
  }

  private recvOne(): VrrpDatagram | null {
    if (this.family === 4) {
      const d = this.sock.tryRecv();
      return d ? { family: 4, data: d.data } : null;
    }
    const m = this.rx6!.recv(this.sock.fd);
    if (!m) return null;
    let dst: string | null = null;
    let hopLimit: number | null = null;
    // struct cmsghdr on LP64: len (8), level (4), type (4), data aligned to 8.
    for (let off = 0; off + 16 <= m.control.length; ) {
      const len = Number(m.control.readBigUInt64LE(off));
      if (len < 16) break;
      const level = m.control.readInt32LE(off + 8);
      const type = m.control.readInt32LE(off + 12);
      if (level === IPPROTO_IPV6 && type === IPV6_HOPLIMIT) hopLimit = m.control.readInt32LE(off + 16);
      if (level === IPPROTO_IPV6 && type === IPV6_PKTINFO)
        dst = bytesToIp(m.control.subarray(off + 16, off + 32));
      off += (len + 7) & ~7;
    }
    const src = decodeSockaddrIp(m.from)?.ip ?? '::';
    return { family: 6, data: m.data, src, dst, hopLimit };
  }
}

// Sends whole Ethernet frames (gratuitous ARP, unsolicited NA) on one
// interface over AF_PACKET. Frame contents are built in src/vrrp/arp.ts.
import { ifNameToIndex, inNetns, SOCK_RAW, Sock } from './sock.js';
import { AF_PACKET, formatMac, sockaddrLl } from './sockaddr.js';

export interface FrameSenderOptions {
  readonly ifname: string;
  readonly netns?: string;
}

export class FrameSender {
  readonly ifindex: number;
  /** The interface's own MAC, read from the bound socket's address. */
  readonly mac: Buffer;
  private readonly sock: Sock;

  private constructor(sock: Sock, ifindex: number, mac: Buffer) {
    this.sock = sock;
    this.ifindex = ifindex;
    this.mac = mac;
  }

  static open(opts: FrameSenderOptions): FrameSender {
    const ifindex = opts.netns
      ? inNetns(opts.netns, () => ifNameToIndex(opts.ifname))
      : ifNameToIndex(opts.ifname);
    // Protocol 0: this socket sends only and is never handed received frames.
    const sock = Sock.open(AF_PACKET, SOCK_RAW, 0, { netns: opts.netns, recvBufferSize: 64 });
    try {
      sock.bind(sockaddrLl(ifindex, 0));
      // struct sockaddr_ll: halen at 11, address at 12.
      const ll = sock.localAddress();
      const halen = ll[11] ?? 0;
      if (halen !== 6) throw new Error(`${opts.ifname} has no Ethernet address (halen ${halen})`);
      return new FrameSender(sock, ifindex, Buffer.from(ll.subarray(12, 18)));
    } catch (e) {
      sock.close();
      throw e;
    }
  }

  get macText(): string {
    return formatMac(this.mac);
  }

  /** Sends one frame; its Ethernet header names the destination and type. */
  send(frame: Buffer): void {
    this.sock.sendto(frame, sockaddrLl(this.ifindex, frame.readUInt16BE(12), frame.subarray(0, 6)));
  }

  close(): void {
    this.sock.close();
  }
}

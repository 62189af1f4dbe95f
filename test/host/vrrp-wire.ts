// What the VRRP host tests observe on the wire: nftables to silence a
// speaker, an ICMP prober that tells the responders apart by their default
// TTL, and an ARP listener.
import { execFileSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import type { Netns } from '../../lab/netns.js';
import { SOCK_RAW, Sock } from '../../src/kernel/sock.js';
import { sockaddrIn } from '../../src/kernel/sockaddr.js';
import { type GratuitousArpInfo, parseArp } from '../../src/vrrp/arp.js';
import { inetChecksum } from '../../src/vrrp/checksum.js';
import { ETH_P_ARP, PacketListener } from './packet-listener.js';

export function nft(ns: Netns, script: string): void {
  execFileSync('ip', ['netns', 'exec', ns.name, 'nft', '-f', '-'], { input: script });
}

/** Drops VRRP both ways in a namespace, so its speaker neither hears nor is heard. */
export function silenceVrrp(ns: Netns): void {
  nft(
    ns,
    `table inet vrsilence {
  chain in { type filter hook input priority -300; ip protocol 112 drop; }
  chain out { type filter hook output priority -300; ip protocol 112 drop; }
}`,
  );
}

export function unsilenceVrrp(ns: Netns): void {
  nft(ns, 'delete table inet vrsilence');
}

export interface Reply {
  readonly at: number;
  readonly ttl: number;
}

/** ICMP echo to the VIP every intervalMs from the client; each reply is kept with its TTL. */
export class Pinger {
  readonly replies: Reply[] = [];
  private readonly sock: Sock;
  private readonly timer: NodeJS.Timeout;
  private seq = 0;
  private readonly id = process.pid & 0xffff;

  constructor(ns: Netns, target: string, intervalMs = 10) {
    this.sock = Sock.open(2, SOCK_RAW, 1, { netns: ns.name });
    this.sock.onReceive((d) => {
      const ihl = (d.data[0]! & 0x0f) * 4;
      if (d.data[ihl] === 0 && d.data.readUInt16BE(ihl + 4) === this.id) {
        this.replies.push({ at: performance.now(), ttl: d.data[8]! });
      }
    });
    const dst = sockaddrIn(target);
    this.timer = setInterval(() => {
      const b = Buffer.alloc(16);
      b[0] = 8;
      b.writeUInt16BE(this.id, 4);
      b.writeUInt16BE(this.seq++ & 0xffff, 6);
      b.writeUInt16BE(inetChecksum(b), 2);
      try {
        this.sock.sendto(b, dst);
      } catch {
        // no route/ARP yet: keep probing
      }
    }, intervalMs);
  }

  /** The first reply from a responder (by TTL) after time t. */
  async firstFrom(ttl: number, after: number, timeoutMs: number): Promise<number> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const r = this.replies.find((x) => x.at > after && x.ttl === ttl);
      if (r) return r.at;
      if (performance.now() > deadline) {
        const last = this.replies.at(-1);
        throw new Error(`no reply with TTL ${ttl} within ${timeoutMs} ms (last reply TTL ${last?.ttl})`);
      }
      await new Promise((res) => setTimeout(res, 10));
    }
  }

  close(): void {
    clearInterval(this.timer);
    this.sock.close();
  }
}

/** Every ARP frame seen on the client's interface. */
export class ArpListener extends PacketListener<GratuitousArpInfo> {
  constructor(ns: Netns, ifname = 'eth0') {
    super(ns, ifname, ETH_P_ARP, parseArp);
  }
}

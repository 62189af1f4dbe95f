// IPv6 helpers for the VRRP host tests: a listener for unsolicited Neighbour
// Advertisements and a wait for a usable link-local address.
import { performance } from 'node:perf_hooks';
import type { Netns } from '../../lab/netns.js';
import { bytesToIp } from '../../src/kernel/sockaddr.js';
import { ETH_P_IPV6, PacketListener } from './packet-listener.js';
import { sleep } from './vrrp-lab.js';

export interface NaFrame {
  readonly mac: string;
  readonly target: string;
  readonly override: boolean;
}

function parseNa(f: Buffer): NaFrame | null {
  // Ethernet 14 + IPv6 40; next header ICMPv6 (58), type 136.
  if (f.length < 14 + 40 + 24 || f[14 + 6] !== 58 || f[54] !== 136) return null;
  return {
    mac: [...f.subarray(6, 12)].map((x) => x.toString(16).padStart(2, '0')).join(':'),
    target: bytesToIp(f.subarray(62, 78)),
    override: (f[58]! & 0x20) !== 0,
  };
}

/** Every unsolicited Neighbour Advertisement seen on an interface: sender MAC, target, Override flag. */
export class NaListener extends PacketListener<NaFrame> {
  constructor(ns: Netns, ifname = 'eth0') {
    super(ns, ifname, ETH_P_IPV6, parseNa);
  }

  get adverts(): ReadonlyArray<NaFrame & { at: number }> {
    return this.frames;
  }
}

/** Waits until the namespace's interface has a usable (non-tentative) IPv6 link-local address. */
export async function linkLocal(ns: Netns, ifname = 'eth0', timeoutMs = 10_000): Promise<string> {
  const end = performance.now() + timeoutMs;
  for (;;) {
    const out = ns.ip('-6', 'addr', 'show', 'dev', ifname, 'scope', 'link');
    const m = /inet6 (fe80::[0-9a-f:]+)\/64/.exec(out);
    if (m && !out.includes('tentative')) return m[1]!;
    if (performance.now() > end)
      throw new Error(`${ns.name} ${ifname} has no usable link-local address:\n${out}`);
    await sleep(100);
  }
}

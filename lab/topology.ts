// Builds a scenario's network from a plain description: one namespace per
// node, and LANs as bridges inside a hub namespace. Veth ends are created
// directly in their namespaces, so nothing ever appears in the host's own
// namespace, and every namespace is recorded in the lab state first.
import { Netns, sh } from './netns.js';
import type { LabState } from './state.js';

export interface LanMember {
  node: string;
  ifname: string;
  /** CIDR, e.g. 10.0.0.2/24; null for an address-less port. */
  addr: string | null;
}

export interface LanSpec {
  name: string;
  members: LanMember[];
}

export interface RouteSpec {
  node: string;
  /** "default" or a CIDR. */
  dst: string;
  via?: string;
  dev?: string;
}

export interface TopologySpec {
  nodes: string[];
  lans: LanSpec[];
  routes?: RouteSpec[];
  /** Nodes that forward IPv4 (directors, routers). */
  forwarders?: string[];
}

export class Topology {
  readonly prefix: string;
  readonly ns = new Map<string, Netns>();
  readonly spec: TopologySpec;

  constructor(prefix: string, spec: TopologySpec) {
    this.prefix = prefix;
    this.spec = spec;
  }

  nsName(node: string): string {
    return `${this.prefix}-${node}`;
  }

  node(name: string): Netns {
    const n = this.ns.get(name);
    if (!n) throw new Error(`no node ${name} in this topology`);
    return n;
  }

  build(state: LabState): void {
    const make = (node: string): Netns => {
      const name = this.nsName(node);
      state.addNetns(name);
      sh('ip', ['netns', 'add', name]);
      const n = new Netns(name);
      n.ip('link', 'set', 'lo', 'up');
      this.ns.set(node, n);
      return n;
    };
    const hub = make('hub');
    for (const node of this.spec.nodes) make(node);
    for (const lan of this.spec.lans) {
      hub.ip('link', 'add', lan.name, 'type', 'bridge', 'mcast_snooping', '0', 'forward_delay', '0');
      hub.ip('link', 'set', lan.name, 'up');
      lan.members.forEach((m, i) => {
        const port = `${lan.name}p${i}`;
        const peer = this.node(m.node);
        hub.ip('link', 'add', port, 'type', 'veth', 'peer', 'name', m.ifname, 'netns', peer.name);
        hub.ip('link', 'set', port, 'master', lan.name);
        hub.ip('link', 'set', port, 'up');
        if (m.addr) peer.ip('addr', 'add', m.addr, 'dev', m.ifname);
        peer.ip('link', 'set', m.ifname, 'up');
      });
    }
    for (const f of this.spec.forwarders ?? []) this.node(f).sysctl('net.ipv4.ip_forward', 1);
    for (const r of this.spec.routes ?? []) {
      this.node(r.node).ip(
        'route',
        'add',
        r.dst,
        ...(r.via ? ['via', r.via] : []),
        ...(r.dev ? ['dev', r.dev] : []),
      );
    }
  }

  /** The IPv4 addresses on a node's interface. */
  addresses(node: string, ifname: string): string[] {
    const out = this.node(node).ip('-4', '-o', 'addr', 'show', 'dev', ifname);
    return [...out.matchAll(/inet (\S+?)\//g)].map((m) => m[1]!);
  }

  hasAddress(node: string, ifname: string, addr: string): boolean {
    return this.addresses(node, ifname).includes(addr);
  }

  setLink(node: string, ifname: string, up: boolean): void {
    this.node(node).ip('link', 'set', ifname, up ? 'up' : 'down');
  }

  /** Interfaces of a node that sit on a LAN. */
  lanInterfaces(node: string): string[] {
    return this.spec.lans.flatMap((l) => l.members.filter((m) => m.node === node).map((m) => m.ifname));
  }
}

// Builds a scenario's network from a plain description: one namespace per
// node, and LANs as bridges inside a hub namespace. Veth ends are created
// directly in their namespaces, so nothing ever appears in the host's own
// namespace, and every namespace is recorded in the lab state first.
import { execFileSync } from 'node:child_process';
import { Netns } from './netns.js';
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

  /**
   * Creates the namespaces, LANs, addresses and routes. Commands go through
   * `ip -batch`, one call per namespace: under TCG (the lab VM) each exec
   * costs up to a second, and a seed-002 topology is some 70 commands.
   */
  build(state: LabState): void {
    const names = ['hub', ...this.spec.nodes];
    for (const node of names) state.addNetns(this.nsName(node));
    batch(
      [],
      names.map((n) => `netns add ${this.nsName(n)}`),
    );
    for (const node of names) this.ns.set(node, new Netns(this.nsName(node)));
    const per = new Map<string, string[]>(names.map((n) => [n, ['link set lo up']]));
    const hub = per.get('hub')!;
    for (const lan of this.spec.lans) {
      hub.push(
        `link add ${lan.name} type bridge mcast_snooping 0 forward_delay 0`,
        `link set ${lan.name} up`,
      );
      lan.members.forEach((m, i) => {
        const port = `${lan.name}p${i}`;
        const cmds = per.get(m.node);
        if (!cmds) throw new Error(`no node ${m.node} in this topology`);
        hub.push(
          `link add ${port} type veth peer name ${m.ifname} netns ${this.nsName(m.node)}`,
          `link set ${port} master ${lan.name}`,
          `link set ${port} up`,
        );
        if (m.addr) cmds.push(`addr add ${m.addr} dev ${m.ifname}`);
        cmds.push(`link set ${m.ifname} up`);
      });
    }
    for (const r of this.spec.routes ?? []) {
      const cmds = per.get(r.node);
      if (!cmds) throw new Error(`no node ${r.node} in this topology`);
      cmds.push(`route add ${r.dst}${r.via ? ` via ${r.via}` : ''}${r.dev ? ` dev ${r.dev}` : ''}`);
    }
    // The hub first: the veth ends it creates are what the nodes configure.
    batch(['-n', this.nsName('hub')], hub);
    for (const node of this.spec.nodes) batch(['-n', this.nsName(node)], per.get(node)!);
    for (const f of this.spec.forwarders ?? []) this.node(f).sysctl('net.ipv4.ip_forward', 1);
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

/** Runs iproute2 commands in one `ip -batch` call (it stops at the first error). */
function batch(opts: string[], cmds: string[]): void {
  if (!cmds.length) return;
  execFileSync('ip', [...opts, '-batch', '-'], {
    input: `${cmds.join('\n')}\n`,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

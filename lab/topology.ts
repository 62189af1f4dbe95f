// The one network-topology builder, for the lab and every test: a topology
// is plain data (namespaces, veth pairs, bridges, addresses, routes,
// sysctls); buildTopology() creates it and returns handles, destroy() removes
// it. Veth ends are created directly in their namespaces, so nothing ever
// appears in the host's own namespace. Commands go through `ip -batch`, one
// call per namespace and phase: under TCG (the lab VM) each exec costs up to
// a second, and a seed-002 topology is some 70 commands. Every call is
// asynchronous, so a test runner's worker stays responsive meanwhile.
import { spawn } from 'node:child_process';
import { deleteNetns, listNetns, Netns } from './netns.js';

/** One interface of a node; addrs are CIDRs (IPv4 or IPv6). */
export interface Port {
  node: string;
  ifname: string;
  addrs?: string[];
}

/** A veth pair between two nodes. */
export interface VethSpec {
  a: Port;
  b: Port;
}

/** A bridge inside node `in`; each port is a veth from the bridge to a member node. */
export interface BridgeSpec {
  name: string;
  in: string;
  /** Addresses on the bridge itself (its node's leg on the segment). */
  addrs?: string[];
  ports: Port[];
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
  veths?: VethSpec[];
  bridges?: BridgeSpec[];
  routes?: RouteSpec[];
  /** Per node, sysctl key → value (set after the links exist, before they are up). */
  sysctls?: Record<string, Record<string, string | number>>;
}

export interface BuildOptions {
  /** The namespace name of each node (called once per node). */
  nsName: (node: string) => string;
  /** Told every namespace name before it is created (the lab's crash record). */
  onNetns?: (name: string) => void;
}

/** The sysctls that make nodes forward IPv4 (directors, routers). */
export function forwarding(nodes: string[]): Record<string, Record<string, number>> {
  return Object.fromEntries(nodes.map((n) => [n, { 'net.ipv4.ip_forward': 1 }]));
}

/** A built topology: one Netns handle per node. */
export class Topology {
  readonly spec: TopologySpec;
  private readonly names: Map<string, string>;
  private readonly ns = new Map<string, Netns>();

  constructor(spec: TopologySpec, names: Map<string, string>) {
    this.spec = spec;
    this.names = names;
    for (const [node, name] of names) this.ns.set(node, new Netns(name));
  }

  nsName(node: string): string {
    return this.node(node).name;
  }

  node(name: string): Netns {
    const n = this.ns.get(name);
    if (!n) throw new Error(`no node ${name} in this topology`);
    return n;
  }

  /** The interfaces of a node that the spec created (veth ends and bridge ports' far ends). */
  interfaces(node: string): string[] {
    return ports(this.spec)
      .filter((p) => p.node === node)
      .map((p) => p.ifname);
  }

  /** The addresses (without prefix) on a node's interface, of one family. */
  addresses(node: string, ifname: string, family: 4 | 6 = 4): string[] {
    const out = this.node(node).ip(`-${family}`, '-o', 'addr', 'show', 'dev', ifname);
    return [...out.matchAll(/inet6? (\S+?)\//g)].map((m) => m[1]!);
  }

  hasAddress(node: string, ifname: string, addr: string): boolean {
    return this.addresses(node, ifname, addr.includes(':') ? 6 : 4).includes(addr);
  }

  mac(node: string, ifname: string): string {
    return (JSON.parse(this.node(node).ip('-j', 'link', 'show', ifname)) as Array<{ address: string }>)[0]!
      .address;
  }

  setLink(node: string, ifname: string, up: boolean): void {
    this.node(node).ip('link', 'set', ifname, up ? 'up' : 'down');
  }

  /** Every namespace (and whatever runs in it) gone; bridge owners last. */
  destroy(): void {
    for (const name of deletionOrder(this.spec, this.names)) this.ns.get(name)!.delete();
  }
}

function ports(spec: TopologySpec): Port[] {
  return [...(spec.veths ?? []).flatMap((v) => [v.a, v.b]), ...(spec.bridges ?? []).flatMap((b) => b.ports)];
}

/** Deleting a member first removes its veth ends, so the bridges' owners go last. */
function deletionOrder(spec: TopologySpec, names: Map<string, string>): string[] {
  const owners = new Set((spec.bridges ?? []).map((b) => b.in));
  const nodes = [...names.keys()];
  return [...nodes.filter((n) => !owners.has(n)), ...nodes.filter((n) => owners.has(n))];
}

const addrCmd = (a: string, dev: string) => `addr add ${a} dev ${dev}${a.includes(':') ? ' nodad' : ''}`;

/** The iproute2 commands per node: create (links), then configure (addresses, up, routes). */
function plan(spec: TopologySpec, nsOf: (node: string) => string) {
  const create = new Map<string, string[]>(spec.nodes.map((n) => [n, []]));
  const configure = new Map<string, string[]>(spec.nodes.map((n) => [n, ['link set lo up']]));
  const at = <T>(m: Map<string, T[]>, node: string): T[] => {
    const l = m.get(node);
    if (!l) throw new Error(`no node ${node} in this topology`);
    return l;
  };
  const up = (p: Port) => {
    const cmds = at(configure, p.node);
    for (const a of p.addrs ?? []) cmds.push(addrCmd(a, p.ifname));
    cmds.push(`link set ${p.ifname} up`);
  };
  for (const v of spec.veths ?? []) {
    at(create, v.a.node).push(
      `link add ${v.a.ifname} type veth peer name ${v.b.ifname} netns ${nsOf(v.b.node)}`,
    );
    up(v.a);
    up(v.b);
  }
  for (const b of spec.bridges ?? []) {
    const cmds = at(create, b.in);
    // No STP and no snooping: a port forwards at once, and VRRP's multicast reaches every member.
    cmds.push(`link add ${b.name} type bridge mcast_snooping 0 forward_delay 0`);
    b.ports.forEach((p, i) => {
      const port = `${b.name}p${i}`;
      cmds.push(
        `link add ${port} type veth peer name ${p.ifname} netns ${nsOf(p.node)}`,
        `link set ${port} master ${b.name}`,
        `link set ${port} up`,
      );
      up(p);
    });
    const own = at(configure, b.in);
    for (const a of b.addrs ?? []) own.push(addrCmd(a, b.name));
    own.push(`link set ${b.name} up`);
  }
  for (const r of spec.routes ?? []) {
    at(configure, r.node).push(
      `route add ${r.dst}${r.via ? ` via ${r.via}` : ''}${r.dev ? ` dev ${r.dev}` : ''}`,
    );
  }
  return { create, configure };
}

/** Creates the namespaces, links, sysctls, addresses and routes; on failure removes what it made. */
export async function buildTopology(spec: TopologySpec, o: BuildOptions): Promise<Topology> {
  const names = new Map(spec.nodes.map((n) => [n, o.nsName(n)]));
  const nsOf = (node: string) => {
    const n = names.get(node);
    if (!n) throw new Error(`no node ${node} in this topology`);
    return n;
  };
  const { create, configure } = plan(spec, nsOf);
  const topo = new Topology(spec, names);
  const present = new Set(listNetns());
  for (const name of names.values()) {
    o.onNetns?.(name);
    if (present.has(name)) deleteNetns(name);
  }
  try {
    await run(
      'ip',
      ['-batch', '-'],
      [...names.values()].map((n) => `netns add ${n}`),
    );
    for (const [node, cmds] of create) await run('ip', ['-n', nsOf(node), '-batch', '-'], cmds);
    for (const [node, kv] of Object.entries(spec.sysctls ?? {})) {
      const args = Object.entries(kv).map(([k, v]) => `${k}=${v}`);
      if (args.length) await run('ip', ['netns', 'exec', nsOf(node), 'sysctl', '-qw', ...args]);
    }
    for (const [node, cmds] of configure) await run('ip', ['-n', nsOf(node), '-batch', '-'], cmds);
  } catch (e) {
    topo.destroy();
    throw e;
  }
  return topo;
}

/** Runs a command (with lines on stdin for `ip -batch -`); rejects with its stderr. */
function run(cmd: string, args: string[], stdin?: string[]): Promise<void> {
  if (stdin && !stdin.length) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const c = spawn(cmd, args, { stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    c.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    c.on('error', reject);
    c.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${err.trim()}`)),
    );
    // `ip -batch` stops reading at its first failing line; its exit code says so, not EPIPE.
    c.stdin.on('error', () => {});
    c.stdin.end(stdin ? `${stdin.join('\n')}\n` : '');
  });
}

// The benchmark's world, built from lab/netns.ts primitives:
//
//   client 10.91.0.2 ── [router 10.91.0.1 | 10.92.0.1] ── LAN bridge ── director 10.92.0.10, VIP 10.92.0.100
//                                                                    └─ rs1..rsN 10.92.0.11..
//
// Without a separate router (the host run) the director is the client's
// gateway and owns the bridge, as in a one-box NAT load balancer. The lab VM
// run adds the router, which DR and TUN need: their replies must bypass the
// director.
//
// CPU split (2 CPUs): the client, the real servers and their softirq work run
// on CPU 0; everything the director does, in a process or in the kernel, runs
// on CPU 1. Processes are pinned with taskset; packets are steered with RPS
// on the director's receiving interfaces (and to CPU 0 on the others), so
// CPU 1's busy time is the load balancer's cost whatever kind it is.
import { type ChildProcess, execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deleteNetnsByPrefix, Netns, sh } from '../../lab/netns.js';
import { sched } from './context.js';

export const VIP = '10.92.0.100';
export const LB_ADDR = '10.92.0.10';
export const CLIENT_ADDR = '10.91.0.2';
export const rsAddr = (i: number): string => `10.92.0.${11 + i}`;
/** Real servers listen for HTTP on 80 and iperf3 on 5201. */
export const HTTP_PORT = 80;
export const BULK_PORT = 5201;

export const CLIENT_CPU = 0;
export const LB_CPU = 1;

export interface TopologyOptions {
  readonly prefix: string;
  readonly servers: number;
  readonly router: boolean;
  readonly workDir: string;
}

export interface Topology {
  readonly client: Netns;
  readonly director: Netns;
  /** The namespace that routes between client and LAN (the director without a router). */
  readonly gateway: Netns;
  readonly servers: readonly Netns[];
  readonly workDir: string;
  /** Points every real server's default route at the director (NAT) or the gateway (direct, DR, TUN). */
  serversRouteVia(which: 'director' | 'gateway'): void;
  destroy(): void;
}

/** A veth pair between two namespaces, each end optionally with an address (CIDR). */
function vethPair(
  a: Netns,
  aIf: string,
  aAddr: string | null,
  b: Netns,
  bIf: string,
  bAddr: string | null,
): void {
  const tmp = `bv${process.pid % 10000}${Math.floor(Math.random() * 1e5)}`;
  sh('ip', ['link', 'add', `${tmp}a`, 'type', 'veth', 'peer', 'name', `${tmp}b`]);
  sh('ip', ['link', 'set', `${tmp}a`, 'netns', a.name, 'name', aIf]);
  sh('ip', ['link', 'set', `${tmp}b`, 'netns', b.name, 'name', bIf]);
  for (const [ns, ifname, addr] of [
    [a, aIf, aAddr],
    [b, bIf, bAddr],
  ] as const) {
    if (addr) ns.ip('addr', 'add', addr, 'dev', ifname);
    ns.ip('link', 'set', ifname, 'up');
  }
}

function rps(ns: Netns, dev: string, cpu: number): void {
  const mask = (1 << cpu).toString(16);
  ns.exec('sh', '-c', `echo ${mask} > /sys/class/net/${dev}/queues/rx-0/rps_cpus`);
}

/** Settings every candidate gets alike; bench/README.md explains each. */
function tune(ns: Netns): void {
  ns.sysctl('net.ipv4.ip_local_port_range', '1024 65535');
  // No TIME_WAIT sockets: with a new connection per request, a reused client
  // port meeting an old TIME_WAIT socket costs a 1 s SYN retransmit and
  // turned earlier runs into noise.
  ns.sysctl('net.ipv4.tcp_max_tw_buckets', 0);
  ns.sysctl('net.core.somaxconn', 65535);
  ns.sysctl('net.ipv4.tcp_max_syn_backlog', 65535);
}

export function buildTopology(o: TopologyOptions): Topology {
  deleteNetnsByPrefix(o.prefix);
  mkdirSync(o.workDir, { recursive: true });
  const client = Netns.create(`${o.prefix}cl`);
  const director = Netns.create(`${o.prefix}lb`);
  const router = o.router ? Netns.create(`${o.prefix}rt`) : null;
  const gateway = router ?? director;
  const servers = Array.from({ length: o.servers }, (_, i) => Netns.create(`${o.prefix}rs${i + 1}`));
  const lanHub = gateway;
  vethPair(client, 'eth0', `${CLIENT_ADDR}/24`, gateway, 'cl0', '10.91.0.1/24');
  client.ip('route', 'add', 'default', 'via', '10.91.0.1');
  lanHub.ip('link', 'add', 'br0', 'type', 'bridge');
  lanHub.ip('link', 'set', 'br0', 'up');
  if (router) {
    router.ip('addr', 'add', '10.92.0.1/24', 'dev', 'br0');
    vethPair(router, 'brlb', null, director, 'eth0', `${LB_ADDR}/24`);
    router.ip('link', 'set', 'brlb', 'master', 'br0');
    director.ip('route', 'add', 'default', 'via', '10.92.0.1');
    router.ip('route', 'add', `${VIP}/32`, 'via', LB_ADDR);
  } else {
    director.ip('addr', 'add', `${LB_ADDR}/24`, 'dev', 'br0');
  }
  servers.forEach((s, i) => {
    vethPair(gateway, `brrs${i + 1}`, null, s, 'eth0', `${rsAddr(i)}/24`);
    gateway.ip('link', 'set', `brrs${i + 1}`, 'master', 'br0');
  });
  for (const ns of [client, director, gateway, ...servers]) tune(ns);
  gateway.sysctl('net.ipv4.ip_forward', 1);
  director.sysctl('net.ipv4.ip_forward', 1);
  director.sysctl('net.netfilter.nf_conntrack_tcp_timeout_time_wait', 10);
  // One-armed NAT (behind a router, the lab VM): the director forwards replies
  // out of the interface they came in on; a redirect would teach the real
  // servers to bypass it, and their replies would never be un-NATed.
  for (const c of ['all', 'default']) director.sysctl(`net.ipv4.conf.${c}.send_redirects`, 0);
  if (router) director.sysctl('net.ipv4.conf.eth0.send_redirects', 0);
  // Steering: whatever the director's namespace receives is processed on LB_CPU.
  for (const dev of director.ip('-o', 'link', 'show').matchAll(/^\d+: ([^:@]+)[@:]/gm)) {
    if (dev[1] !== 'lo' && dev[1] !== 'br0') rps(director, dev[1]!, LB_CPU);
  }
  rps(client, 'eth0', CLIENT_CPU);
  for (const s of servers) rps(s, 'eth0', CLIENT_CPU);
  if (router)
    for (const dev of ['cl0', 'brlb', ...servers.map((_, i) => `brrs${i + 1}`)]) rps(router, dev, CLIENT_CPU);

  const topo: Topology = {
    client,
    director,
    gateway,
    servers,
    workDir: o.workDir,
    serversRouteVia(which) {
      const via = which === 'director' || !router ? LB_ADDR : '10.92.0.1';
      for (const s of servers) s.ip('route', 'replace', 'default', 'via', via);
    },
    destroy() {
      for (const ns of [client, director, ...(router ? [router] : []), ...servers]) ns.delete();
    },
  };
  // Without a router the director is the gateway: its LAN address is the only way out.
  if (!router) for (const s of servers) s.ip('route', 'add', 'default', 'via', LB_ADDR);
  else topo.serversRouteVia('gateway');
  return topo;
}

/** Starts nginx (HTTP, `return 200`) and iperf3 in every real server, pinned to CLIENT_CPU. */
export function startServers(topo: Topology): ChildProcess[] {
  const procs: ChildProcess[] = [];
  topo.servers.forEach((s, i) => {
    const dir = join(topo.workDir, `rs${i + 1}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'nginx.conf'),
      `daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log crit;
events { worker_connections 16000; }
worker_rlimit_nofile 20000;
http {
  access_log off;
  keepalive_requests 1000000;
  client_body_temp_path ${dir};
  server { listen ${HTTP_PORT} reuseport backlog=65535; location / { return 200 "rs${i + 1}\\n"; } }
}
`,
    );
    const rt = sched();
    const run = (...a: string[]) => s.spawn(a[0]!, a.slice(1));
    procs.push(
      run(
        ...rt,
        'taskset',
        '-c',
        String(CLIENT_CPU),
        'prlimit',
        '--nofile=20000',
        'nginx',
        '-c',
        join(dir, 'nginx.conf'),
      ),
    );
    // iperf3 stays in the normal class: a bulk sender never blocks, and in a
    // real-time class it starved the receiver on the same CPU for minutes
    procs.push(run('taskset', '-c', String(CLIENT_CPU), 'iperf3', '-s', '-p', String(BULK_PORT)));
  });
  return procs;
}

/** Waits until every real server answers HTTP from the gateway. */
export async function waitServers(topo: Topology, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < topo.servers.length; i++) {
    for (;;) {
      try {
        execFileSync(
          'ip',
          ['netns', 'exec', topo.client.name, 'curl', '-sf', '-m', '2', `http://${rsAddr(i)}/`],
          {
            stdio: 'ignore',
          },
        );
        break;
      } catch {
        if (Date.now() > deadline)
          throw new Error(`real server rs${i + 1} did not answer in ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }
}

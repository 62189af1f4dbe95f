// The load balancers under test. Each starts on a built topology, serves
// VIP:80 (HTTP) and VIP:5201 (iperf3, first real server only) and stops
// without leaving state behind. Settings are the peers' documented defaults
// for a benchmark: one worker or thread pinned to LB_CPU, logging off, file
// descriptor limits raised above maxconn (bench/README.md).
import { type ChildProcess, execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type {
  DataPlane,
  DataPlaneOp,
  DestSpec,
  Forwarding,
  Scheduler,
  ServiceKey,
} from '../../src/kernel/dataplane.js';
import { IpvsDataPlane } from '../../src/kernel/ipvs/client.js';
import { NftablesDataPlane } from '../../src/kernel/nftables/plane.js';
import { canonicalIp as asIp } from '../../src/kernel/vocabulary.js';
import { sched } from './context.js';
import { BULK_PORT, HTTP_PORT, LB_CPU, rsAddr, type Topology, VIP } from './topology.js';

export type Kind = 'direct' | 'kernel' | 'proxy';

export interface Running {
  stop(): Promise<void>;
}

export interface Candidate {
  readonly id: string;
  readonly label: string;
  readonly kind: Kind;
  readonly servers: number;
  /** The address the client connects to. */
  readonly target: string;
  start(topo: Topology): Promise<Running>;
}

// This machine's hard limit is 20,000 and cannot be raised (no CAP_SYS_RESOURCE):
// HAProxy needs two descriptors per proxied connection, so maxconn stays under half.
const FD_LIMIT = 20_000;
const MAXCONN = 8_000;

function vipUp(topo: Topology): void {
  topo.director.ip('addr', 'replace', `${VIP}/32`, 'dev', 'lo');
}
function vipDown(topo: Topology): void {
  topo.director.ip('addr', 'del', `${VIP}/32`, 'dev', 'lo');
}

export const direct: Candidate = {
  id: 'direct',
  label: 'direct (routed, no LB)',
  kind: 'direct',
  servers: 1,
  target: rsAddr(0),
  async start(topo) {
    topo.serversRouteVia('gateway');
    return { async stop() {} };
  },
};

const key = (port: number): ServiceKey => ({
  kind: 'ip',
  family: 'inet',
  protocol: 'tcp',
  address: asIp(VIP),
  port,
});

function dest(i: number, port: number, forwarding: Forwarding, weight = 1): DestSpec {
  return {
    address: asIp(rsAddr(i)),
    port,
    family: 'inet',
    forwarding,
    weight,
    upperThreshold: 0,
    lowerThreshold: 0,
  };
}

export function serviceOps(scheduler: Scheduler, n: number, forwarding: Forwarding): DataPlaneOp[] {
  const ops: DataPlaneOp[] = [];
  for (const [port, count] of [
    [HTTP_PORT, n],
    [BULK_PORT, 1],
  ] as const) {
    ops.push({ op: 'add-service', service: { key: key(port), scheduler, flags: 0, persistence: null } });
    for (let i = 0; i < count; i++) {
      // wrr gets unequal weights (1, 2, 1, 2 ...) so it differs from rr
      const w = scheduler === 'wrr' ? 1 + (i % 2) : 1;
      ops.push({ op: 'add-dest', key: key(port), dest: dest(i, port, forwarding, w) });
    }
  }
  return ops;
}

async function applyOrThrow(plane: DataPlane, ops: readonly DataPlaneOp[]): Promise<void> {
  const r = await plane.apply(ops);
  if (r.errors.length) throw r.errors[0]!.error;
}

/** floatlb's nftables plane; `shared` is a plane already holding other services (the at-scale run). */
export function nftables(scheduler: Scheduler, n: number, shared?: () => NftablesDataPlane): Candidate {
  return {
    id: `nft-${scheduler}-${n}${shared ? '-10k' : ''}`,
    label: `floatlb nftables NAT, ${scheduler}, ${n} RS${shared ? ', +10k services' : ''}`,
    kind: 'kernel',
    servers: n,
    target: VIP,
    async start(topo) {
      topo.serversRouteVia('director');
      vipUp(topo);
      const plane = shared?.() ?? new NftablesDataPlane({ netns: topo.director.name });
      await applyOrThrow(plane, serviceOps(scheduler, n, 'nat'));
      return {
        async stop() {
          if (shared)
            await applyOrThrow(
              plane,
              [HTTP_PORT, BULK_PORT].map((p) => ({ op: 'delete-service', key: key(p) })),
            );
          else await plane.destroy();
          vipDown(topo);
        },
      };
    },
  };
}

/** IPVS through floatlb's netlink plane (kernels that have IPVS: the lab VM). */
export function ipvs(forwarding: Forwarding, scheduler: Scheduler, n: number): Candidate {
  return {
    id: `ipvs-${forwarding}-${scheduler}-${n}`,
    label: `floatlb IPVS ${forwarding.toUpperCase()}, ${scheduler}, ${n} RS`,
    kind: 'kernel',
    servers: n,
    target: VIP,
    async start(topo) {
      vipUp(topo);
      const rs = topo.servers.slice(0, n);
      if (forwarding === 'nat') topo.serversRouteVia('director');
      else topo.serversRouteVia('gateway');
      for (const s of rs) {
        if (forwarding === 'dr') {
          s.ip('addr', 'replace', `${VIP}/32`, 'dev', 'lo');
          s.sysctl('net.ipv4.conf.all.arp_ignore', 1);
          s.sysctl('net.ipv4.conf.all.arp_announce', 2);
        } else if (forwarding === 'tun') {
          s.ip('link', 'set', 'tunl0', 'up');
          s.ip('addr', 'replace', `${VIP}/32`, 'dev', 'tunl0');
          for (const c of ['all', 'default', 'tunl0', 'eth0']) s.sysctl(`net.ipv4.conf.${c}.rp_filter`, 0);
        }
      }
      const plane = await IpvsDataPlane.open({ netns: topo.director.name });
      await applyOrThrow(plane, serviceOps(scheduler, n, forwarding));
      return {
        async stop() {
          await applyOrThrow(
            plane,
            [HTTP_PORT, BULK_PORT].map((p) => ({ op: 'delete-service', key: key(p) })),
          );
          plane.close();
          for (const s of rs) {
            if (forwarding === 'dr') s.ip('addr', 'del', `${VIP}/32`, 'dev', 'lo');
            if (forwarding === 'tun') s.ip('addr', 'del', `${VIP}/32`, 'dev', 'tunl0');
          }
          vipDown(topo);
        },
      };
    },
  };
}

function proxy(topo: Topology, name: string, cmd: string[]): Promise<ChildProcess> {
  const [first, ...rest] = [
    ...sched(),
    'taskset',
    '-c',
    String(LB_CPU),
    'prlimit',
    `--nofile=${FD_LIMIT}`,
    ...cmd,
  ];
  const child = topo.director.spawn(first!, rest, { stdio: 'pipe' });
  let err = '';
  child.stderr?.on('data', (b: Buffer) => {
    err += b.toString();
  });
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => resolve(child), 700);
    child.once('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`${name} exited with ${code}: ${err.trim().slice(0, 400)}`));
    });
  });
}

/** Stops a proxy and any worker it forked: every process in the director's namespace. */
async function kill(topo: Topology, child: ChildProcess): Promise<void> {
  const gone = child.exitCode === null ? new Promise((r) => child.once('exit', r)) : Promise.resolve();
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 3000);
  await gone;
  clearTimeout(t);
  for (const pid of lbPids(topo)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** Every process in the director's namespace: the load balancer's, for CPU accounting. */
export function lbPids(topo: Topology): number[] {
  return execFileSync('ip', ['netns', 'pids', topo.director.name], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean)
    .map(Number);
}

export function haproxy(n: number): Candidate {
  return {
    id: `haproxy-${n}`,
    label: `HAProxy 2.6 mode tcp, ${n} RS`,
    kind: 'proxy',
    servers: n,
    target: VIP,
    async start(topo) {
      topo.serversRouteVia('director');
      vipUp(topo);
      const dir = join(topo.workDir, 'haproxy');
      mkdirSync(dir, { recursive: true });
      const file = join(dir, 'haproxy.cfg');
      const rs = (port: number, k: number) =>
        Array.from({ length: k }, (_, i) => `  server rs${i + 1} ${rsAddr(i)}:${port}`).join('\n');
      writeFileSync(
        file,
        `global
  nbthread 1
  maxconn ${MAXCONN}
defaults
  mode tcp
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  maxconn ${MAXCONN}
listen http
  bind ${VIP}:${HTTP_PORT}
  balance roundrobin
${rs(HTTP_PORT, n)}
listen bulk
  bind ${VIP}:${BULK_PORT}
${rs(BULK_PORT, 1)}
`,
      );
      const child = await proxy(topo, 'haproxy', ['haproxy', '-db', '-f', file]);
      return {
        async stop() {
          await kill(topo, child);
          vipDown(topo);
        },
      };
    },
  };
}

export function nginxStream(n: number): Candidate {
  return {
    id: `nginx-${n}`,
    label: `nginx 1.22 stream, ${n} RS`,
    kind: 'proxy',
    servers: n,
    target: VIP,
    async start(topo) {
      topo.serversRouteVia('director');
      vipUp(topo);
      const dir = join(topo.workDir, 'nginx-lb');
      mkdirSync(dir, { recursive: true });
      const file = join(dir, 'nginx.conf');
      const up = (port: number, k: number) =>
        Array.from({ length: k }, (_, i) => `    server ${rsAddr(i)}:${port};`).join('\n');
      writeFileSync(
        file,
        `load_module /usr/lib/nginx/modules/ngx_stream_module.so;
daemon off;
worker_processes 1;
worker_rlimit_nofile ${FD_LIMIT};
pid ${dir}/nginx.pid;
error_log ${dir}/error.log crit;
events { worker_connections ${2 * MAXCONN}; }
stream {
  access_log off;
  upstream http { 
${up(HTTP_PORT, n)}
  }
  upstream bulk {
${up(BULK_PORT, 1)}
  }
  server { listen ${VIP}:${HTTP_PORT} backlog=65535; proxy_pass http; }
  server { listen ${VIP}:${BULK_PORT}; proxy_pass bulk; }
}
`,
      );
      const child = await proxy(topo, 'nginx', ['nginx', '-c', file]);
      return {
        async stop() {
          await kill(topo, child);
          vipDown(topo);
        },
      };
    },
  };
}

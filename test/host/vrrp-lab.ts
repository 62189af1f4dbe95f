// Host-test lab for VRRP: a LAN of two directors and a client on a bridge,
// floatlb's standalone speaker and keepalived as peers. What the tests
// observe on the wire (ICMP prober, ARP listener, silencing) is in vrrp-wire.ts.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Netns } from '../../lab/netns.js';
import { buildTopology, type Topology, type TopologySpec } from '../../lab/topology.js';
import type { SettingsInput } from '../../src/vrrp/settings.js';
import { LineProcess } from '../support/line-process.js';
import { requireRoot, requireTool } from '../support/require.js';

export { ArpListener, nft, Pinger, type Reply, silenceVrrp, unsilenceVrrp } from './vrrp-wire.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const BUNDLE = join(ROOT, 'node_modules/.cache/floatlb-vrrp/standalone.mjs');
let built = false;

/** Bundles test/support/vrrp-standalone.ts so each speaker starts in well under a second. */
export function buildStandalone(): string {
  if (!built) {
    mkdirSync(join(ROOT, 'node_modules/.cache/floatlb-vrrp'), { recursive: true });
    execFileSync(
      join(ROOT, 'node_modules/.bin/esbuild'),
      [
        'test/support/vrrp-standalone.ts',
        '--bundle',
        '--platform=node',
        '--format=esm',
        '--packages=external',
        `--outfile=${BUNDLE}`,
        '--log-level=warning',
      ],
      { cwd: ROOT },
    );
    built = true;
  }
  return BUNDLE;
}

export const VIP = '10.7.0.100';
export const TTL = { d1: 61, d2: 62 } as const;

export interface Lan {
  readonly hub: Netns;
  readonly d1: Netns;
  readonly d2: Netns;
  readonly client: Netns;
  mac(ns: Netns): string;
  destroy(): void;
}

let nsCounter = 0;

/**
 * A namespace name vr<pid>-<tag><n>. Not the shared fltt- prefix: other
 * suites' global set-up removes every fltt- namespace, even mid-run.
 */
function vrNetnsName(tag: string): string {
  return `vr${process.pid}-${tag}${nsCounter++}`;
}

/** d1 10.7.0.1, d2 10.7.0.2, client 10.7.0.10 on one bridge; replies from d1 carry TTL 61, from d2 TTL 62. */
export const LAN: TopologySpec = {
  nodes: ['hub', 'd1', 'd2', 'cl'],
  bridges: [
    {
      name: 'vrbr',
      in: 'hub',
      ports: [
        { node: 'd1', ifname: 'eth0', addrs: ['10.7.0.1/24'] },
        { node: 'd2', ifname: 'eth0', addrs: ['10.7.0.2/24'] },
        { node: 'cl', ifname: 'eth0', addrs: ['10.7.0.10/24'] },
      ],
    },
  ],
  sysctls: { d1: { 'net.ipv4.ip_default_ttl': TTL.d1 }, d2: { 'net.ipv4.ip_default_ttl': TTL.d2 } },
};

/** Builds a topology in vr<pid>- namespaces. */
export function vrTopology(spec: TopologySpec): Promise<Topology> {
  requireRoot();
  return buildTopology(spec, { nsName: vrNetnsName });
}

export async function lan(): Promise<Lan> {
  requireTool('keepalived');
  const topo = await vrTopology(LAN);
  return {
    hub: topo.node('hub'),
    d1: topo.node('d1'),
    d2: topo.node('d2'),
    client: topo.node('cl'),
    mac: (ns) => JSON.parse(ns.ip('-j', 'link', 'show', 'eth0'))[0].address as string,
    destroy: () => topo.destroy(),
  };
}

export interface Speaker {
  readonly kind: 'floatlb' | 'keepalived';
  readonly ns: Netns;
  /** Line index marks, so waits can ask for transitions after a point. */
  mark(): number;
  waitState(state: 'MASTER' | 'BACKUP' | 'FAULT', timeoutMs: number, from?: number): Promise<number>;
  /** Graceful stop (SIGTERM: priority 0 when master). */
  stop(): Promise<void>;
  kill9(): Promise<void>;
  output(): string;
}

export function startFloat(
  ns: Netns,
  settings: Partial<SettingsInput>,
): Speaker & { stats(): Promise<Record<string, unknown>> } {
  const dir = mkdtempSync(join(tmpdir(), 'vrfl-'));
  const file = join(dir, 'instance.json');
  writeFileSync(
    file,
    JSON.stringify({
      name: 'VI_1',
      vrid: 51,
      interface: 'eth0',
      vips: [{ address: VIP, prefixLen: 32 }],
      ...settings,
    }),
  );
  const p = new LineProcess(
    spawn('ip', ['netns', 'exec', ns.name, process.execPath, buildStandalone(), file], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, FLOATLB_LOG_LEVEL: 'info' },
    }),
  );
  return {
    kind: 'floatlb',
    ns,
    mark: () => p.lines.length,
    waitState: async (state, timeoutMs, from = 0) =>
      (await p.waitLine(new RegExp(`"state":"${state}"`), timeoutMs, from)).at,
    stop: async () => {
      p.child.kill('SIGTERM');
      await p.exited();
    },
    // ip netns exec execs the command itself, so the child's pid is node's.
    kill9: async () => {
      p.child.kill('SIGKILL');
      await p.exited();
    },
    output: () => p.tail(40),
    stats: async () => {
      const from = p.lines.length;
      p.child.kill('SIGUSR1');
      const l = await p.waitLine(/"stats"/, 5000, from);
      return JSON.parse(l.text).stats as Record<string, unknown>;
    },
  };
}

export interface KaOptions {
  readonly priority: number;
  readonly state?: 'MASTER' | 'BACKUP';
  readonly nopreempt?: boolean;
  readonly version?: 2 | 3;
  readonly advertInt?: number;
  readonly authPass?: string;
  readonly unicastSrc?: string;
  readonly unicastPeers?: readonly string[];
  readonly vrid?: number;
  /** The VIP with its prefix; default VIP/32. An IPv6 one makes keepalived run the instance over IPv6. */
  readonly vip?: string;
}

export function keepalivedConf(o: KaOptions): string {
  const lines = [
    'global_defs {',
    '  router_id vrka',
    `  vrrp_version ${o.version ?? 2}`,
    '}',
    'vrrp_instance VI_1 {',
    `  state ${o.state ?? 'BACKUP'}`,
    '  interface eth0',
    `  virtual_router_id ${o.vrid ?? 51}`,
    `  priority ${o.priority}`,
    `  advert_int ${o.advertInt ?? 1}`,
    ...(o.nopreempt ? ['  nopreempt'] : []),
    ...(o.authPass ? ['  authentication {', '    auth_type PASS', `    auth_pass ${o.authPass}`, '  }'] : []),
    ...(o.unicastSrc ? [`  unicast_src_ip ${o.unicastSrc}`] : []),
    ...(o.unicastPeers?.length ? ['  unicast_peer {', ...o.unicastPeers.map((p) => `    ${p}`), '  }'] : []),
    `  virtual_ipaddress {`,
    `    ${o.vip ?? `${VIP}/32`}`,
    '  }',
    '}',
  ];
  return `${lines.join('\n')}\n`;
}

export function startKeepalived(ns: Netns, o: KaOptions): Speaker {
  const dir = mkdtempSync(join(tmpdir(), 'vrka-'));
  const conf = join(dir, 'keepalived.conf');
  writeFileSync(conf, keepalivedConf(o));
  const pid = (n: string) => join(dir, n);
  const p = new LineProcess(
    spawn(
      'ip',
      [
        'netns',
        'exec',
        ns.name,
        'keepalived',
        '-n',
        '-l',
        '-D',
        '-G',
        '-R',
        '--vrrp',
        '-f',
        conf,
        '-p',
        pid('p'),
        '-r',
        pid('r'),
        '-c',
        pid('c'),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    ),
  );
  const readPid = (n: string): number | null => {
    try {
      return Number(readFileSync(pid(n), 'utf8').trim());
    } catch {
      return null;
    }
  };
  return {
    kind: 'keepalived',
    ns,
    mark: () => p.lines.length,
    waitState: async (state, timeoutMs, from = 0) =>
      (await p.waitLine(new RegExp(`Entering ${state} STATE`), timeoutMs, from)).at,
    stop: async () => {
      p.child.kill('SIGTERM');
      await p.exited();
    },
    kill9: async () => {
      for (const n of ['r', 'p']) {
        const id = readPid(n);
        if (id) {
          try {
            process.kill(id, 'SIGKILL');
          } catch {
            // gone
          }
        }
      }
      await p.exited();
    },
    output: () => p.tail(40),
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

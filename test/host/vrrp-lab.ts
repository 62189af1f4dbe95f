// Host-test lab for VRRP: a LAN of two directors and a client on a bridge,
// floatlb's standalone speaker and keepalived as peers, an ICMP prober that
// tells the responders apart by their default TTL, and an ARP listener.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Netns } from '../../lab/netns.js';
import { buildTopology, type Topology, type TopologySpec } from '../../lab/topology.js';
import { ifNameToIndex, inNetns, SOCK_RAW, Sock } from '../../src/kernel/sock.js';
import { sockaddrIn, sockaddrLl } from '../../src/kernel/sockaddr.js';
import { type GratuitousArpInfo, parseArp } from '../../src/vrrp/arp.js';
import { inetChecksum } from '../../src/vrrp/checksum.js';
import type { SettingsInput } from '../../src/vrrp/settings.js';
import { requireRoot, requireTool } from '../support/require.js';

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

interface Line {
  readonly at: number;
  readonly text: string;
}

/** A child process whose output lines are kept with the monotonic time they arrived. */
class Proc {
  readonly child: ChildProcess;
  readonly lines: Line[] = [];
  private waiters: Array<() => void> = [];

  constructor(child: ChildProcess) {
    this.child = child;
    let buf = '';
    const onData = (d: Buffer) => {
      buf += d.toString();
      const parts = buf.split('\n');
      buf = parts.pop() ?? '';
      for (const text of parts) this.lines.push({ at: performance.now(), text });
      for (const w of this.waiters.splice(0)) w();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
  }

  /** Resolves with the first line (at or after index `from`) that matches. */
  async waitLine(re: RegExp, timeoutMs: number, from = 0): Promise<Line> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const hit = this.lines.slice(from).find((l) => re.test(l.text));
      if (hit) return hit;
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`no line matching ${re} within ${timeoutMs} ms; got:\n${this.tail()}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  tail(n = 15): string {
    return this.lines
      .slice(-n)
      .map((l) => l.text)
      .join('\n');
  }

  exited(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.resolve();
    return new Promise((r) => this.child.once('exit', () => r()));
  }
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
  const p = new Proc(
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
  const p = new Proc(
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
export class ArpListener {
  readonly frames: Array<GratuitousArpInfo & { at: number }> = [];
  private readonly sock: Sock;

  constructor(ns: Netns, ifname = 'eth0') {
    const ETH_P_ARP_BE = 0x0608; // htons(0x0806) as the socket() protocol argument
    this.sock = Sock.open(17, SOCK_RAW, ETH_P_ARP_BE, { netns: ns.name });
    const ifindex = inNetns(ns.name, () => ifNameToIndex(ifname));
    this.sock.bind(sockaddrLl(ifindex, 0x0806));
    this.sock.onReceive((d) => {
      const a = parseArp(d.data);
      if (a) this.frames.push({ ...a, at: performance.now() });
    });
  }

  close(): void {
    this.sock.close();
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

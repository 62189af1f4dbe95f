// A running lab: its state file, its topology, and the processes it starts in
// the namespaces (real servers, directors, peers, the client). Scenarios are
// written against this class.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type AttemptResult, analyze, type Continuity } from './measure.js';
import { LabState, labStateDir, type ProcRecord, teardown } from './state.js';
import { buildTopology, type Topology, type TopologySpec } from './topology.js';

export type Plane = 'nftables' | 'ipvs';

export function kernelHasIpvs(): boolean {
  return existsSync('/proc/net/ip_vs');
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Timeouts stretch by FLOATLB_LAB_TIME_SCALE (the lab VM runs under TCG, several times slower). */
export const TIME_SCALE = Number(process.env.FLOATLB_LAB_TIME_SCALE ?? '1') || 1;

export async function waitFor(
  what: string,
  cond: () => boolean | Promise<boolean>,
  timeoutMs: number,
): Promise<number> {
  const t0 = Date.now();
  const limit = timeoutMs * TIME_SCALE;
  for (;;) {
    try {
      if (await cond()) return Date.now() - t0;
    } catch {
      // not yet
    }
    if (Date.now() - t0 > limit) throw new Error(`timed out after ${limit} ms waiting for ${what}`);
    await sleep(50);
  }
}

export interface DirectorOptions {
  config: string;
  configId?: string;
  plane: Plane;
  extraArgs?: string[];
}

export interface ClientStream {
  /** The interval the client really uses: the one asked for, times the time scale. */
  readonly intervalMs: number;
  readonly results: AttemptResult[];
  stop(): Promise<AttemptResult[]>;
}

export type Narrate = (line: string) => void;

export class Lab {
  readonly id: string;
  readonly state: LabState;
  readonly topo: Topology;
  readonly dir: string;
  /** The source tree: the lab's servers, scenario configs and the built floatlb. */
  readonly root: string;
  readonly plane: Plane;
  narrate: Narrate;
  /** Per node, the processes a node failure kills and a recovery starts again. */
  private readonly roles = new Map<string, Array<{ proc: ProcRecord; restart: () => ProcRecord }>>();
  private readonly children: ChildProcess[] = [];
  /** Processes that must outlive the lab command (`lab up`). */
  private readonly detach: boolean;

  private constructor(
    root: string,
    id: string,
    state: LabState,
    topo: Topology,
    plane: Plane,
    detach: boolean,
    narrate: Narrate,
  ) {
    this.root = root;
    this.id = id;
    this.state = state;
    this.topo = topo;
    this.plane = plane;
    this.detach = detach;
    this.narrate = narrate;
    this.dir = join(labStateDir(), id);
  }

  static async create(opts: {
    root: string;
    id: string;
    scenario: string;
    spec: TopologySpec;
    plane: Plane;
    detach?: boolean;
    narrate?: Narrate;
  }): Promise<Lab> {
    if (!/^[a-z0-9][a-z0-9-]{0,30}$/.test(opts.id)) throw new Error(`bad lab id ${opts.id}`);
    const state = LabState.create(opts.id, opts.scenario);
    const dir = join(labStateDir(), opts.id);
    let topo: Topology;
    try {
      state.addDir(dir);
      mkdirSync(dir, { recursive: true });
      topo = await buildTopology(opts.spec, {
        nsName: (node) => `lab-${opts.id}-${node}`,
        onNetns: (name) => state.addNetns(name),
      });
    } catch (e) {
      teardown(state);
      throw e;
    }
    return new Lab(
      opts.root,
      opts.id,
      state,
      topo,
      opts.plane,
      opts.detach ?? false,
      opts.narrate ?? (() => {}),
    );
  }

  path(...parts: string[]): string {
    return join(this.root, ...parts);
  }

  /** Starts a long-running process in a node's namespace, logged to DIR/logs/WHAT.log. */
  start(
    node: string,
    what: string,
    cmd: string,
    args: string[],
    env: Record<string, string> = {},
  ): ProcRecord {
    mkdirSync(join(this.dir, 'logs'), { recursive: true });
    const log = openSync(join(this.dir, 'logs', `${what}.log`), 'a');
    const child = spawn('ip', ['netns', 'exec', this.topo.nsName(node), cmd, ...args], {
      stdio: ['ignore', log, log],
      detached: true,
      env: { ...process.env, ...env },
    });
    if (!child.pid) throw new Error(`could not start ${what}`);
    if (this.detach) child.unref();
    else this.children.push(child);
    return this.state.addProc(child.pid, what);
  }

  /** Runs a command in a node and returns its stdout. */
  exec(node: string, cmd: string, ...args: string[]): string {
    return this.topo.node(node).exec(cmd, ...args);
  }

  whoAmI(node: string, name: string, listen: string[]): ProcRecord {
    return this.start(node, `http-${name}`, process.execPath, [
      this.path('lab/servers/who-am-i.mjs'),
      '--name',
      name,
      ...listen.flatMap((l) => ['--listen', l]),
    ]);
  }

  echo(node: string, name: string, listen: string[]): ProcRecord {
    return this.start(node, `echo-${name}`, process.execPath, [
      this.path('lab/servers/echo.mjs'),
      '--name',
      name,
      ...listen.flatMap((l) => ['--listen', l]),
    ]);
  }

  /** Starts a process that belongs to the node's role (director, proxy, VRRP peer). */
  startRole(node: string, startFn: () => ProcRecord): ProcRecord {
    const proc = startFn();
    const list = this.roles.get(node) ?? [];
    list.push({ proc, restart: startFn });
    this.roles.set(node, list);
    return proc;
  }

  startDirector(node: string, opts: DirectorOptions): ProcRecord {
    return this.startRole(node, () => this.spawnDirector(node, opts));
  }

  private spawnDirector(node: string, opts: DirectorOptions): ProcRecord {
    const dir = join(this.dir, node);
    mkdirSync(dir, { recursive: true });
    const proc = this.start(
      node,
      `floatlb-${node}`,
      process.execPath,
      [
        this.path('dist/src/cli/main.js'),
        'run',
        '-f',
        opts.config,
        ...(opts.configId ? ['-i', opts.configId] : []),
        '--plane',
        opts.plane,
        '--state-dir',
        join(dir, 'state'),
        '--api-socket',
        join(dir, 'api.sock'),
        '--pid-file',
        join(dir, 'floatlb.pid'),
        ...(opts.extraArgs ?? []),
      ],
      { FLOATLB_LOG_LEVEL: process.env.FLOATLB_LAB_LOG_LEVEL ?? 'info' },
    );
    return proc;
  }

  apiSocket(node: string): string {
    return join(this.dir, node, 'api.sock');
  }

  kill(p: ProcRecord, signal: NodeJS.Signals = 'SIGKILL'): void {
    try {
      process.kill(p.pid, signal);
    } catch {
      // already gone
    }
    this.state.dropProc(p.pid);
  }

  /**
   * A node failure: kill -9 the director and take its LAN links down. A dead
   * process alone would leave the VIP configured and still answering ARP.
   */
  failNode(node: string): void {
    // Links first: a process that sees its parent die (keepalived's VRRP
    // child) could otherwise still send a goodbye advert.
    for (const i of this.topo.interfaces(node)) this.topo.setLink(node, i, false);
    for (const r of this.roles.get(node) ?? []) this.kill(r.proc);
    // Children too: the whole node dies.
    for (const pid of this.pidsIn(node)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }

  pidsIn(node: string): number[] {
    return execFileSync('ip', ['netns', 'pids', this.topo.nsName(node)], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map(Number);
  }

  /** The node comes back as after a reboot: no VIPs, links up, director started. */
  recoverNode(node: string, vips: string[]): void {
    for (const i of this.topo.interfaces(node)) {
      for (const v of vips) {
        if (this.topo.hasAddress(node, i, v)) this.topo.node(node).ip('addr', 'del', `${v}/32`, 'dev', i);
      }
      this.topo.setLink(node, i, true);
    }
    for (const r of this.roles.get(node) ?? []) r.proc = r.restart();
  }

  /** Which of the nodes holds addr on one of its LAN interfaces. */
  holder(addr: string, nodes: string[]): string | null {
    for (const n of nodes) {
      for (const i of this.topo.interfaces(n)) if (this.topo.hasAddress(n, i, addr)) return n;
    }
    return null;
  }

  private clientArgs(proto: 'http' | 'echo', target: string): string[] {
    return [
      this.path('lab/servers/client.mjs'),
      '--target',
      target,
      '--proto',
      proto,
      '--timeout',
      String(1000 * TIME_SCALE),
    ];
  }

  /** count new connections, concurrency at a time; the split by server. */
  async clientCount(
    node: string,
    proto: 'http' | 'echo',
    target: string,
    count: number,
    concurrency = 8,
  ): Promise<{
    ok: number;
    failed: number;
    byServer: Record<string, number>;
    errors: Record<string, number>;
  }> {
    const out = await new Promise<string>((resolve, reject) => {
      const c = spawn(
        'ip',
        [
          'netns',
          'exec',
          this.topo.nsName(node),
          process.execPath,
          ...this.clientArgs(proto, target),
          '--count',
          String(count),
          '--concurrency',
          String(concurrency),
        ],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      let s = '';
      c.stdout.on('data', (d: Buffer) => {
        s += d.toString();
      });
      c.on('error', reject);
      c.on('exit', (code) => (code === 0 ? resolve(s) : reject(new Error(`client exited ${code}`))));
    });
    return JSON.parse(out.trim().split('\n').pop()!);
  }

  /** A new connection every intervalMs until stop(). */
  clientStream(node: string, proto: 'http' | 'echo', target: string, intervalMs = 20): ClientStream {
    // Stretched with the time scale: an open-loop client at full rate in the
    // emulated VM overloads the real servers as soon as another process
    // takes the CPU (a director starting), and every request then times out
    // in the queue; that is the lab's load, not an outage.
    const every = intervalMs * TIME_SCALE;
    const c = spawn(
      'ip',
      [
        'netns',
        'exec',
        this.topo.nsName(node),
        process.execPath,
        ...this.clientArgs(proto, target),
        '--interval',
        String(every),
      ],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    const rec = c.pid ? this.state.addProc(c.pid, 'client') : null;
    this.children.push(c);
    const results: AttemptResult[] = [];
    let buf = '';
    c.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl = buf.indexOf('\n');
      while (nl >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line) results.push(JSON.parse(line) as AttemptResult);
        nl = buf.indexOf('\n');
      }
    });
    const exited = new Promise<void>((r) => c.on('exit', () => r()));
    const state = this.state;
    return {
      intervalMs: every,
      results,
      async stop() {
        c.stdin!.on('error', () => {}); // the client may have gone already
        c.stdin!.end();
        await Promise.race([exited, sleep(3000)]);
        if (c.exitCode === null) c.kill('SIGKILL');
        if (rec) state.dropProc(rec.pid);
        return results.sort((a, b) => a.t - b.t);
      },
    };
  }

  continuity(results: AttemptResult[], from: number, to = Number.POSITIVE_INFINITY): Continuity {
    return analyze(results.filter((r) => r.t >= from && r.t < to));
  }

  /** Everything this lab created, gone. */
  down(): void {
    for (const c of this.children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    teardown(this.state);
  }

  /** The last lines of every log, for a failed run's report. */
  logTails(lines = 15): Record<string, string> {
    const d = join(this.dir, 'logs');
    const out: Record<string, string> = {};
    if (!existsSync(d)) return out;
    for (const f of readdirSync(d)) {
      out[f] = readFileSync(join(d, f), 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    }
    return out;
  }

  log(what: string): string {
    const f = join(this.dir, 'logs', `${what}.log`);
    return existsSync(f) ? readFileSync(f, 'utf8') : '';
  }
}

/** ipvsadm -Ln inside a node, for reports (empty when there is no IPVS). */
export function ipvsTable(lab: Lab, node: string): string {
  try {
    return execFileSync('ip', ['netns', 'exec', lab.topo.nsName(node), 'ipvsadm', '-Ln'], {
      encoding: 'utf8',
    });
  } catch {
    return '';
  }
}

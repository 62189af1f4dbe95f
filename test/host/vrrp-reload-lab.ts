// The reload-without-flap lab: a subject director (floatlb run, or keepalived
// for comparison) master of two instances on d1, keepalived as backup on d2,
// a reload schedule, and a sampler that reads both sides' addresses over
// rtnetlink every 20 ms.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Netns } from '../../lab/netns.js';
import { Rtnl } from '../../src/kernel/rtnetlink.js';

const ROOT = new URL('../../', import.meta.url).pathname;

/** One config of the subject: the VIPs (last octet in 10.7.0.0/24) of each instance and its settings. */
export interface Step {
  readonly what: string;
  readonly a: readonly number[];
  readonly b: readonly number[];
  /** Present: VI_C exists with these VIPs. */
  readonly c?: readonly number[];
  readonly prioB: number;
  /** A track_script on VI_A (a succeeding command), absent for none. */
  readonly track?: { readonly script: string; readonly interval: number };
}

const vip = (n: number) => `10.7.0.${n}`;

/** The subject's keepalived.conf for one step; the same file runs floatlb and keepalived. */
export function subjectConf(s: Step): string {
  const inst = (name: string, vrid: number, prio: number, vips: readonly number[], extra = '') => `
vrrp_instance ${name} {
  state BACKUP
  interface eth0
  virtual_router_id ${vrid}
  priority ${prio}
  advert_int 1
  virtual_ipaddress {
${vips.map((n) => `    ${vip(n)}/32`).join('\n')}
  }${extra}
}`;
  const track = s.track
    ? `
vrrp_script chk {
  script "${s.track.script}"
  interval ${s.track.interval}
  weight -60
}`
    : '';
  return `global_defs {
  router_id subject
  vrrp_skip_check_adv_addr
  script_user root
  enable_script_security
}${track}
${inst('VI_A', 61, 150, s.a, s.track ? '\n  track_script {\n    chk\n  }' : '')}
${inst('VI_B', 62, s.prioB, s.b)}
${s.c ? inst('VI_C', 63, 150, s.c) : ''}
`;
}

/** The backup's config: VI_A and VI_B at priority 100, the subject's first VIP lists. */
export function peerConf(first: Step): string {
  return subjectConf({ ...first, prioB: 100 })
    .replace('router_id subject', 'router_id peer')
    .replaceAll('priority 150', 'priority 100');
}

export interface Director {
  readonly pid: () => number;
  reload(): void;
  stop(): Promise<void>;
  /** The last n lines (default 30). */
  output(n?: number): string;
}

function proc(child: ChildProcess): { lines: string[]; exited: () => Promise<void> } {
  const lines: string[] = [];
  const keep = (b: Buffer) => lines.push(...b.toString().split('\n').filter(Boolean));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return {
    lines,
    exited: () =>
      child.exitCode !== null || child.signalCode !== null
        ? Promise.resolve()
        : new Promise((r) => child.once('exit', () => r())),
  };
}

/** `floatlb run -f FILE` in a namespace; SIGHUP reloads it. */
export function startFloatlbRun(ns: Netns, conf: string, dir: string): Director {
  const child = spawn(
    'ip',
    [
      ...['netns', 'exec', ns.name, process.execPath, join(ROOT, 'dist/src/cli/main.js'), 'run'],
      ...['-f', conf, '--plane', 'nftables', '--state-dir', join(dir, 'state')],
      ...['--api-socket', join(dir, 'api.sock')],
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const p = proc(child);
  return {
    // ip netns exec execs node itself.
    pid: () => child.pid!,
    reload: () => child.kill('SIGHUP'),
    stop: async () => {
      child.kill('SIGTERM');
      await p.exited();
    },
    output: (n = 30) => p.lines.slice(-n).join('\n'),
  };
}

/** keepalived (VRRP only) in a namespace; SIGHUP to its parent reloads it. */
export function startKeepalivedRun(ns: Netns, conf: string, dir: string): Director {
  const pidFile = join(dir, 'keepalived.pid');
  const child = spawn(
    'ip',
    [
      ...['netns', 'exec', ns.name, 'keepalived', '-n', '-l', '-D', '--vrrp', '-f', conf],
      ...['-p', pidFile, '-r', join(dir, 'vrrp.pid'), '-c', join(dir, 'checkers.pid')],
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const p = proc(child);
  const pid = () => Number(readFileSync(pidFile, 'utf8').trim());
  return {
    pid,
    reload: () => process.kill(pid(), 'SIGHUP'),
    stop: async () => {
      child.kill('SIGTERM');
      await p.exited();
    },
    output: (n = 30) => p.lines.slice(-n).join('\n'),
  };
}

export interface Sample {
  readonly at: number;
  /** The index of the step in force (the last reload sent before this sample). */
  readonly step: number;
  readonly subject: ReadonlySet<string>;
  readonly peer: ReadonlySet<string>;
}

/** Reads the 10.7.0.x VIPs (not the hosts' own .1/.2) on both sides every intervalMs. */
export class Sampler {
  readonly samples: Sample[] = [];
  step = 0;
  private readonly rt: [Rtnl, Rtnl];
  private timer: NodeJS.Timeout | null = null;
  private busy = false;

  constructor(subject: Netns, peer: Netns, intervalMs = 20) {
    this.rt = [new Rtnl({ netns: subject.name }), new Rtnl({ netns: peer.name })];
    const vips = async (r: Rtnl) =>
      new Set(
        (await r.addresses({ family: 'inet' }))
          .map((a) => a.address)
          .filter((a) => a.startsWith('10.7.0.') && a !== '10.7.0.1' && a !== '10.7.0.2'),
      );
    this.timer = setInterval(() => {
      if (this.busy) return; // a slow dump skips a beat rather than piling up
      this.busy = true;
      const step = this.step;
      Promise.all([vips(this.rt[0]), vips(this.rt[1])])
        .then(([subject, peer]) => this.samples.push({ at: performance.now(), step, subject, peer }))
        // A dump in flight when close() shuts the sockets is not a sample.
        .catch(() => undefined)
        .finally(() => {
          this.busy = false;
        });
    }, intervalMs);
  }

  /** Resolves once a sample satisfies the predicate (a liveness bound only). */
  async until(what: string, ok: (s: Sample) => boolean, timeoutMs: number): Promise<Sample> {
    const from = this.samples.length;
    const end = performance.now() + timeoutMs;
    for (;;) {
      const hit = this.samples.slice(from).find(ok);
      if (hit) return hit;
      if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    for (const r of this.rt) r.close();
  }
}

export function tempDir(): { dir: string; write(name: string, text: string): string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'vrreload-'));
  return {
    dir,
    write(name, text) {
      const p = join(dir, name);
      writeFileSync(p, text);
      return p;
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

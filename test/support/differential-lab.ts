// The keepalived differential lab: keepalived 2.2.7 in one namespace and
// `floatlb run` in another, on the same keepalived.conf, checking the same
// real servers. IPVS tables are per namespace, so each director has its own.
//
//   ka (10.90.1.2) ─┐                 ┌─ real servers: one process serving
//                   ├─ srv (a0 | b0) ─┤  every checker's protocol on each
//   fl (10.90.2.2) ─┘                 └─ address on srv's lo
//
// A fault is made once, on the shared real servers, so both directors see
// exactly the same fault at the same moment.
import { type ChildProcess, execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Netns } from '../../lab/netns.js';
import type { Topology } from '../../lab/topology.js';
import { spawnFloatlbRun } from './director-lab.js';
import { ipvsRules, type KeepalivedRun, spawnKeepalivedLvs, until } from './keepalived.js';
import { buildTestTopology } from './netns.js';

const ROOT = new URL('../..', import.meta.url).pathname;

/**
 * FLOATLB_KDIFF_TRACE=1: progress lines on stderr as they happen (vitest holds
 * a file's console output until the file ends).
 */
export function trace(msg: string): void {
  if (process.env.FLOATLB_KDIFF_TRACE) process.stderr.write(`kdiff ${new Date().toISOString()} ${msg}\n`);
}

/** Real server i (1-based) by family. */
export const rs4 = (i: number) => `10.91.0.${10 + i}`;
export const rs6 = (i: number) => `fd91::${(16 + i).toString(16)}`;

export type ServerKind = 'tcp' | 'http' | 'https' | 'smtp' | 'udp' | 'dns';

export interface Tables {
  readonly ka: string[];
  readonly fl: string[];
}

export interface DifferentialLab {
  readonly srv: Netns;
  readonly ka: Netns;
  readonly fl: Netns;
  readonly dir: string;
  /** floatlb's log so far. */
  flLog(): string;
  /** Starts both directors on the same config text. */
  start(conf: string): Promise<void>;
  /** Rewrites the config and sends SIGHUP to both. */
  reload(conf: string): void;
  kaLog(): string;
  stopServer(addr: string, kind: ServerKind): Promise<void>;
  startServer(addr: string, kind: ServerKind): Promise<void>;
  httpStatus(addr: string, status: number): Promise<void>;
  dnsRcode(addr: string, rcode: number): Promise<void>;
  /** PING_CHECK faults: echo requests to addr are dropped (or no longer). */
  dropPing(addr: string, drop: boolean): void;
  /** A file the configs name (MISC_CHECK flags, FILE_CHECK values). */
  writeFile(name: string, text: string): void;
  removeFile(name: string): void;
  tables(): Tables;
  cleanup(): void;
}

/** addresses go on srv's lo; the real servers listen on `listening` (the others refuse every connection). */
export async function buildDifferentialLab(
  addresses: string[],
  certDir: string,
  listening: string[],
): Promise<DifferentialLab> {
  const topo: Topology = await buildTestTopology('kd', {
    nodes: ['srv', 'ka', 'fl'],
    veths: [
      {
        a: { node: 'srv', ifname: 'a0', addrs: ['10.90.1.1/24', 'fd90:1::1/64'] },
        b: { node: 'ka', ifname: 'eth0', addrs: ['10.90.1.2/24', 'fd90:1::2/64'] },
      },
      {
        a: { node: 'srv', ifname: 'b0', addrs: ['10.90.2.1/24', 'fd90:2::1/64'] },
        b: { node: 'fl', ifname: 'eth0', addrs: ['10.90.2.2/24', 'fd90:2::2/64'] },
      },
    ],
    routes: [
      { node: 'ka', dst: 'default', via: '10.90.1.1' },
      { node: 'ka', dst: '::/0', via: 'fd90:1::1' },
      { node: 'fl', dst: 'default', via: '10.90.2.1' },
      { node: 'fl', dst: '::/0', via: 'fd90:2::1' },
    ],
  });
  const srv = topo.node('srv');
  const ka = topo.node('ka');
  const fl = topo.node('fl');
  for (const a of addresses) srv.ip('addr', 'add', a.includes(':') ? `${a}/128` : `${a}/32`, 'dev', 'lo');
  const dir = mkdtempSync(join(tmpdir(), 'floatlb-kdiff-'));
  writeFileSync(
    join(dir, 'ping.nft'),
    [
      'table inet fdiff {',
      ' set ping4 { type ipv4_addr; }',
      ' set ping6 { type ipv6_addr; }',
      ' chain in { type filter hook input priority 0;',
      '  ip daddr @ping4 icmp type echo-request drop',
      '  ip6 daddr @ping6 icmpv6 type echo-request drop',
      ' }',
      '}',
      '',
    ].join('\n'),
  );
  srv.exec('nft', '-f', join(dir, 'ping.nft'));
  const servers: ChildProcess = srv.spawn(
    process.execPath,
    [join(ROOT, 'test/support/diff-servers.mjs'), certDir, ...listening],
    { stdio: 'pipe' },
  );
  const waiting = new Map<number, () => void>();
  let readyNow: () => void;
  const ready = new Promise<void>((r) => {
    readyNow = r;
  });
  createInterface({ input: servers.stdout! }).on('line', (line) => {
    const j = JSON.parse(line) as { ready?: boolean; ack?: number };
    if (j.ready) readyNow();
    if (j.ack !== undefined) waiting.get(j.ack)?.();
  });
  const exited = new Promise<never>((_, reject) =>
    servers.once('exit', (c) => reject(new Error(`real servers exited with ${c}`))),
  );
  exited.catch(() => {});
  trace('namespaces built; waiting for the real servers');
  await Promise.race([ready, exited]);
  trace('real servers ready');
  let n = 0;
  const send = (cmd: Record<string, unknown>) =>
    new Promise<void>((resolve) => {
      const id = ++n;
      waiting.set(id, resolve);
      servers.stdin!.write(`${JSON.stringify({ ...cmd, n: id })}\n`);
    });

  const confPath = join(dir, 'keepalived.conf');
  const flLogPath = process.env.FLOATLB_KDIFF_FLLOG ?? join(dir, 'floatlb.log');
  const flLog = () =>
    existsSync(flLogPath) ? readFileSync(flLogPath, 'utf8').trimEnd().split('\n').at(-1) : undefined;
  let kaRun: KeepalivedRun | null = null;
  let flProc: ChildProcess | null = null;
  const set = (addr: string) => (addr.includes(':') ? 'ping6' : 'ping4');

  return {
    srv,
    ka,
    fl,
    dir,
    flLog: () => (existsSync(flLogPath) ? readFileSync(flLogPath, 'utf8') : ''),
    async start(conf) {
      writeFileSync(confPath, conf);
      kaRun = spawnKeepalivedLvs(ka, confPath, dir);
      mkdirSync(join(dir, 'fl'));
      // FLOATLB_KDIFF_FLLOG=FILE: floatlb's log at debug level, kept for study.
      const debugLog = process.env.FLOATLB_KDIFF_FLLOG;
      // FLOATLB_KDIFF_CPUPROF=DIR: a CPU profile of floatlb, written when it stops.
      const prof = process.env.FLOATLB_KDIFF_CPUPROF;
      const run = spawnFloatlbRun(fl, confPath, join(dir, 'fl'), 'ipvs', [], {
        logLevel: debugLog ? 'debug' : 'info',
        logFile: flLogPath,
        ...(prof ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${prof}`] } : {}),
      });
      flProc = run.proc;
      trace('directors started');
      const tick = setInterval(
        () => trace(`waiting: floatlb said ${flLog()}; keepalived has ${ipvsRules(ka).length} rules`),
        10_000,
      );
      // Programmed tables, not the API, are what the comparisons need.
      const programmed = Promise.all([
        until('floatlb programmed IPVS', () => ipvsRules(fl).length > 0, 600_000, 1000),
        until('keepalived programmed IPVS', () => ipvsRules(ka).length > 0, 600_000, 1000),
      ]);
      await Promise.race([programmed, run.exited]).finally(() => clearInterval(tick));
      trace('both directors programmed IPVS');
    },
    reload(conf) {
      writeFileSync(confPath, conf);
      kaRun!.reload();
      flProc!.kill('SIGHUP');
    },
    kaLog: () => kaRun?.log() ?? '',
    stopServer: (addr, kind) => send({ op: 'stop', addr, kind }),
    startServer: (addr, kind) => send({ op: 'start', addr, kind }),
    httpStatus: (addr, status) => send({ op: 'http', addr, status }),
    dnsRcode: (addr, rcode) => send({ op: 'dns', addr, rcode }),
    dropPing(addr, drop) {
      srv.exec('nft', drop ? 'add' : 'delete', 'element', 'inet', 'fdiff', set(addr), `{ ${addr} }`);
    },
    writeFile: (name, text) => writeFileSync(join(dir, name), text),
    removeFile: (name) => rmSync(join(dir, name), { force: true }),
    tables() {
      // One process from this (large) test process for both tables: under the
      // VM's emulation every fork of it costs a great deal of the CPU that both
      // directors share.
      const out = execFileSync(
        'sh',
        ['-c', `ip netns exec ${ka.name} ipvsadm -S -n && echo @@ && ip netns exec ${fl.name} ipvsadm -S -n`],
        { encoding: 'utf8' },
      );
      const [a = '', b = ''] = out.split('@@\n');
      const rules = (t: string) =>
        t
          .split('\n')
          .filter((l) => l.trim() !== '')
          .sort();
      return { ka: rules(a), fl: rules(b) };
    },
    cleanup() {
      if (process.env.FLOATLB_KDIFF_CPUPROF && flProc) {
        // A graceful stop, so that node writes the profile.
        const prof = process.env.FLOATLB_KDIFF_CPUPROF;
        flProc.kill('SIGTERM');
        for (let i = 0; i < 120 && !readdirSync(prof).some((f) => f.endsWith('.cpuprofile')); i++)
          spawnSync('sleep', ['1']);
      }
      flProc?.kill('SIGKILL');
      kaRun?.proc.kill('SIGKILL');
      topo.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// Load generators and CPU accounting. wrk (one thread, pinned to the client
// CPU) for requests, iperf3 for bulk throughput. The load balancer's CPU is
// its processes' utime+stime (/proc/PID/stat) plus LB_CPU's softirq time
// (/proc/stat), where RPS puts all of the director's packet processing, less
// the softirq rate that CPU showed just before the run. LB_CPU's whole busy
// time is useless on a shared machine (other people's builds fill it), and
// their work is user time, so softirq separates ours from theirs.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import type { Netns } from '../../lab/netns.js';
import { type MachineShare, sched, share, snapshot } from './context.js';
import { CLIENT_CPU, LB_CPU } from './topology.js';

const execFileP = promisify(execFile);
const TICK = 100; // USER_HZ

export interface CpuSample {
  readonly busy: number;
  readonly softirq: number;
  readonly total: number;
}

/** One CPU's counters in seconds. */
export function cpuSample(cpu = LB_CPU): CpuSample {
  const line = readFileSync('/proc/stat', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`cpu${cpu} `));
  if (!line) throw new Error(`cpu${cpu} not in /proc/stat`);
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = f[3]! + f[4]!;
  return { busy: (total - idle) / TICK, softirq: f[6]! / TICK, total: total / TICK };
}

/** utime + stime of the given processes, in seconds (gone processes count 0). */
export function procCpu(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(f[11]) + Number(f[12]);
    } catch {
      // exited
    }
  }
  return ticks / TICK;
}

export interface WrkResult {
  readonly requests: number;
  readonly seconds: number;
  readonly rps: number;
  readonly p50ms: number;
  readonly p99ms: number;
  readonly errors: number;
}

const UNIT: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 };
function ms(v: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(v.trim());
  if (!m) throw new Error(`wrk: cannot read latency ${v}`);
  return Number(m[1]) * UNIT[m[2]]!;
}

/** Parses wrk's --latency report. */
export function parseWrk(out: string): WrkResult {
  const req = /(\d+) requests in ([\d.]+)(ms|s|m)/.exec(out);
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
  const p50 = /^\s+50%\s+(\S+)/m.exec(out);
  const p99 = /^\s+99%\s+(\S+)/m.exec(out);
  if (!req || !rps || !p50 || !p99) throw new Error(`wrk: unexpected output: ${out.slice(0, 300)}`);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  const errors =
    (sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0) + (non2xx ? Number(non2xx[1]) : 0);
  return {
    requests: Number(req[1]),
    seconds: ms(`${req[2]}${req[3]}`) / 1000,
    rps: Number(rps[1]),
    p50ms: ms(p50[1]!),
    p99ms: ms(p99[1]!),
    errors,
  };
}

export interface Measured extends WrkResult, MachineShare {
  /** The LB processes' CPU plus LB_CPU's softirq time (background subtracted), seconds. */
  readonly lbCpuSec: number;
  /** LB_CPU's whole busy time, anyone's (shared machine: context only). */
  readonly lbCpuBusySec: number;
  /** The LB processes' own CPU seconds (0 for a kernel plane). */
  readonly lbProcSec: number;
  /** LB_CPU's softirq fraction just before the run (someone else's traffic). */
  readonly background: number;
  readonly load1: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runWrk(
  client: Netns,
  url: string,
  o: {
    seconds: number;
    connections: number;
    close: boolean;
    pids: () => number[];
    /** The bench's namespaces (context.netnsInodes): processes in them are not foreign. */
    ours?: ReadonlySet<string>;
  },
): Promise<Measured> {
  // background: what LB_CPU does with no load from us
  const b0 = cpuSample();
  await sleep(500);
  const b1 = cpuSample();
  const background = (b1.softirq - b0.softirq) / Math.max(0.01, b1.total - b0.total);
  const pids = o.pids();
  const m0 = snapshot(o.ours ?? new Set());
  const c0 = cpuSample();
  const p0 = procCpu(pids);
  const args = ['netns', 'exec', client.name, ...sched(), 'taskset', '-c', String(CLIENT_CPU), 'wrk', '-t1'];
  args.push(`-c${o.connections}`, `-d${o.seconds}s`, '--latency', '--timeout', '5s');
  if (o.close) args.push('-H', 'Connection: close');
  args.push(url);
  const { stdout } = await execFileP('ip', args, { encoding: 'utf8' });
  const c1 = cpuSample();
  const p1 = procCpu(pids);
  const m1 = snapshot(o.ours ?? new Set());
  const w = parseWrk(stdout);
  const wall = c1.total - c0.total;
  return {
    ...w,
    ...share(m0, m1, CLIENT_CPU),
    lbCpuSec: p1 - p0 + Math.max(0, c1.softirq - c0.softirq - background * wall),
    lbProcSec: p1 - p0,
    lbCpuBusySec: c1.busy - c0.busy,
    background,
    load1: Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]),
  };
}

export interface Bulk {
  readonly gbps: number;
  readonly lbCpuSec: number;
}

export async function runIperf(client: Netns, host: string, port: number, seconds: number): Promise<Bulk> {
  const c0 = cpuSample();
  const { stdout } = await execFileP(
    'ip',
    [
      'netns',
      'exec',
      client.name,
      'taskset',
      '-c',
      String(CLIENT_CPU),
      'iperf3',
      '-J',
      '-c',
      host,
      '-p',
      String(port),
      '-t',
      String(seconds),
    ],
    { encoding: 'utf8', maxBuffer: 1 << 24 },
  );
  const c1 = cpuSample();
  const doc = JSON.parse(stdout) as { end?: { sum_received?: { bits_per_second?: number } }; error?: string };
  const bps = doc.end?.sum_received?.bits_per_second;
  if (doc.error || bps === undefined) throw new Error(`iperf3: ${doc.error ?? 'no result'}`);
  return { gbps: bps / 1e9, lbCpuSec: c1.busy - c0.busy };
}

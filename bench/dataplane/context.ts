// What the machine did besides the sample: the data-plane bench is CPU-bound
// on both CPUs (they are ~100% busy during every sample), so its req/s
// follows the CPU it gets. Two takers are visible from inside the VM and are
// recorded with every sample: the hypervisor (steal, /proc/stat) and
// processes outside the bench's namespaces (other people's builds and tests,
// utime + stime from /proc). bench/README.md, "Noise", has the experiments.
import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';

const TICK = 100; // USER_HZ

/** SCHED_RR priority for wrk, the real servers' nginx and the proxies; 0 = the normal scheduler. */
let rtPriority = 50;
export function setRealtime(prio: number): void {
  rtPriority = prio;
}
/**
 * Command prefix that runs a bench process in the real-time class. Round robin,
 * not FIFO: two of the bench's processes share CPU 0, and under FIFO one that
 * never blocks would keep the other off it for good.
 */
export function sched(): string[] {
  return rtPriority > 0 ? ['chrt', '-r', String(rtPriority)] : [];
}

export interface Snapshot {
  readonly cpus: ReadonlyArray<{ steal: number; idle: number; total: number }>;
  /** NET_RX softirqs run on each CPU so far (/proc/softirqs). */
  readonly netRx: readonly number[];
  /** utime + stime ticks of every process outside the bench, by pid. */
  readonly foreign: ReadonlyMap<number, number>;
}

/** Network namespace inodes of the bench's namespaces (processes in them are the bench's). */
export function netnsInodes(names: readonly string[]): Set<string> {
  const s = new Set<string>();
  for (const n of names) {
    try {
      s.add(`net:[${statSync(`/run/netns/${n}`).ino}]`);
    } catch {
      // not mounted there
    }
  }
  return s;
}

/** One named row of /proc/softirqs or /proc/interrupts: its count on each CPU. */
export function perCpuRow(text: string, name: string): number[] {
  return (text.split('\n').find((l) => l.trim().startsWith(`${name}:`)) ?? '')
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number)
    .filter((n) => Number.isFinite(n));
}

export function snapshot(ours: ReadonlySet<string>): Snapshot {
  const cpus = readFileSync('/proc/stat', 'utf8')
    .split('\n')
    .filter((l) => /^cpu\d/.test(l))
    .map((l) => {
      const f = l.split(/\s+/).slice(1).map(Number);
      const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
      return { steal: f[7]!, idle: f[3]! + f[4]!, total };
    });
  const foreign = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    try {
      if (ours.has(readlinkSync(`/proc/${d}/ns/net`))) continue;
      const s = readFileSync(`/proc/${d}/stat`, 'utf8');
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
      // kernel threads (ksoftirqd, kworkers) do the bench's packet work too: not foreign
      if (d === '2' || f[1] === '2') continue;
      foreign.set(Number(d), Number(f[11]) + Number(f[12]));
    } catch {
      // exited, or a kernel thread without a netns link
    }
  }
  const netRx = perCpuRow(readFileSync('/proc/softirqs', 'utf8'), 'NET_RX');
  return { cpus, foreign, netRx };
}

export interface MachineShare {
  /** The larger of the two CPUs' steal fractions during the sample. */
  readonly steal: number;
  /** CPU seconds that processes outside the bench used during the sample (exited ones are missed). */
  readonly foreignSec: number;
  /** The smaller of the two CPUs' idle fractions: ~0 means the bench had no CPU to spare. */
  readonly idle: number;
  /**
   * NET_RX softirqs run on the client's CPU during the sample. Each packet that
   * crosses to that CPU is handed over by an IPI (RPS); how many packets one
   * wake-up carries decides much of that CPU's cost per request (bench/README.md, Noise).
   */
  readonly netRxClientCpu?: number;
}

/** What the machine did between two snapshots; `clientCpu` runs wrk and the real servers. */
export function share(a: Snapshot, b: Snapshot, clientCpu: number): MachineShare {
  let steal = 0;
  let idle = 1;
  b.cpus.forEach((c, i) => {
    const p = a.cpus[i]!;
    const tot = Math.max(1, c.total - p.total);
    steal = Math.max(steal, (c.steal - p.steal) / tot);
    idle = Math.min(idle, (c.idle - p.idle) / tot);
  });
  let ticks = 0;
  for (const [pid, t] of b.foreign) ticks += t - (a.foreign.get(pid) ?? 0);
  const netRxClientCpu = (b.netRx[clientCpu] ?? 0) - (a.netRx[clientCpu] ?? 0);
  return { steal: round3(steal), foreignSec: round3(ticks / TICK), idle: round3(idle), netRxClientCpu };
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

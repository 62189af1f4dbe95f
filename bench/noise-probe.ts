// Where the data plane's run-to-run noise comes from: one candidate, many
// runs, each run's req/s beside what might explain it, sampled every slice:
// per-CPU steal/softirq/user/system (/proc/stat), context switches, the
// server's accepted connections (its netns' /proc/PID/net/snmp), listen
// overflows, retransmits and SYN retries (client and server netns),
// conntrack and TIME_WAIT counts before and after, and the CPU time of
// processes that are not the bench's own.
//
//   node dist/bench/noise-probe.js [--candidate direct|nft-rr-1] [--runs N] [--seconds S]
//                                  [--slice-ms MS] [--prefix P] [--connections C]
import { execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deleteNetnsByPrefix } from '../lab/netns.js';
import { direct, nftables } from './dataplane/candidates.js';
import { perCpuRow } from './dataplane/context.js';
import { parseWrk } from './dataplane/load.js';
import { buildTopology, CLIENT_CPU, HTTP_PORT, startServers, waitServers } from './dataplane/topology.js';

const argv = process.argv.slice(2);
const opt = (n: string, d: string) => {
  const i = argv.indexOf(`--${n}`);
  return i >= 0 && argv[i + 1] ? argv[i + 1]! : d;
};
const PREFIX = opt('prefix', 'bnp-');
const RUNS = Number(opt('runs', '20'));
const SECONDS = Number(opt('seconds', '3'));
const SLICE = Number(opt('slice-ms', '500'));
const CONNS = Number(opt('connections', '32'));
/** Scheduling priority of the bench's own processes (wrk, nginx); 0 = unchanged. */
const NICE = Number(opt('nice', '0'));
/** SCHED_FIFO priority for the bench's own processes; 0 = the normal scheduler. */
const RT = Number(opt('rt', '0'));
const cand = opt('candidate', 'direct') === 'direct' ? direct : nftables('rr', 1);

type Cpu = { user: number; sys: number; idle: number; softirq: number; steal: number };
function cpus(): { cpu: Cpu[]; ctxt: number } {
  const lines = readFileSync('/proc/stat', 'utf8').split('\n');
  const cpu = lines
    .filter((l) => /^cpu\d/.test(l))
    .map((l) => {
      const f = l.split(/\s+/).slice(1).map(Number);
      return { user: f[0]! + f[1]!, sys: f[2]!, idle: f[3]! + f[4]!, softirq: f[6]!, steal: f[7]! };
    });
  const ctxt = Number(lines.find((l) => l.startsWith('ctxt '))!.split(' ')[1]);
  return { cpu, ctxt };
}

/**
 * Per-CPU counts of NET_RX softirqs (/proc/softirqs) and of function-call
 * IPIs (/proc/interrupts CAL, which RPS uses to hand packets to another CPU):
 * per request, they show how many packets each wake-up carries.
 */
function wakeups(): { netRx: number[]; ipi: number[] } {
  return {
    netRx: perCpuRow(readFileSync('/proc/softirqs', 'utf8'), 'NET_RX'),
    ipi: perCpuRow(readFileSync('/proc/interrupts', 'utf8'), 'CAL'),
  };
}

/** Named counters of a netns, read through a process inside it. */
function netCounters(pid: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of ['snmp', 'netstat']) {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/net/${f}`, 'utf8');
    } catch {
      return out;
    }
    const l = text.split('\n');
    for (let i = 0; i + 1 < l.length; i += 2) {
      const k = l[i]!.split(/\s+/);
      const v = l[i + 1]!.split(/\s+/);
      for (let j = 1; j < k.length; j++) out[`${k[0]}${k[j]}`] = Number(v[j]);
    }
  }
  return out;
}

/** utime+stime ticks of every process on the machine, by pid. */
function allProcs(): Map<number, { comm: string; t: number }> {
  const m = new Map<number, { comm: string; t: number }>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const s = readFileSync(`/proc/${d}/stat`, 'utf8');
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
      m.set(Number(d), {
        comm: s.slice(s.indexOf('(') + 1, s.lastIndexOf(')')),
        t: Number(f[11]) + Number(f[12]),
      });
    } catch {
      // gone
    }
  }
  return m;
}

async function sh(ns: string, cmd: string): Promise<string> {
  return new Promise((res) => {
    const p = spawn('ip', ['netns', 'exec', ns, 'sh', '-c', cmd], { stdio: ['ignore', 'pipe', 'ignore'] });
    let o = '';
    p.stdout.on('data', (b: Buffer) => {
      o += b.toString();
    });
    p.on('close', () => res(o.trim()));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const d = (a: Record<string, number>, b: Record<string, number>, k: string) => (b[k] ?? 0) - (a[k] ?? 0);

async function main(): Promise<void> {
  deleteNetnsByPrefix(PREFIX);
  const topo = buildTopology({
    prefix: PREFIX,
    servers: 1,
    router: false,
    workDir: join(tmpdir(), `${PREFIX}work`),
  });
  const ours = new Set<number>([process.pid]);
  try {
    const srv = startServers(topo);
    await waitServers(topo);
    const run = await cand.start(topo);
    const serverPids = execFileSync('ip', ['netns', 'pids', topo.servers[0]!.name], { encoding: 'utf8' })
      .split('\n')
      .map(Number)
      .filter(Boolean);
    const rsPid = srv[0].pid!;
    for (const p of serverPids) ours.add(p);
    if (NICE) execFileSync('renice', ['-n', String(NICE), '-p', ...serverPids.map(String)]);
    if (RT) for (const p of serverPids) execFileSync('chrt', ['-a', '-f', '-p', String(RT), String(p)]);
    const target = cand.id === 'direct' ? '10.92.0.11' : '10.92.0.100';
    const counters = async (label: string) => ({
      label,
      ct: Number((await sh(topo.director.name, 'cat /proc/sys/net/netfilter/nf_conntrack_count')) || 0),
      twClient: Number(await sh(topo.client.name, 'ss -Htan state time-wait | wc -l')),
      twServer: Number(await sh(topo.servers[0]!.name, 'ss -Htan state time-wait | wc -l')),
    });
    for (let r = 1; r <= RUNS; r++) {
      const before = await counters('before');
      const wrk = spawn(
        'ip',
        [
          'netns',
          'exec',
          topo.client.name,
          ...(RT ? ['chrt', '-f', String(RT)] : []),
          'nice',
          '-n',
          String(NICE),
          'taskset',
          '-c',
          String(CLIENT_CPU),
          'wrk',
          '-t1',
          `-c${CONNS}`,
          `-d${SECONDS}s`,
          '--latency',
          '--timeout',
          '5s',
          '-H',
          'Connection: close',
          `http://${target}:${HTTP_PORT}/`,
        ],
        { stdio: ['ignore', 'pipe', 'ignore'] },
      );
      let out = '';
      wrk.stdout.on('data', (b: Buffer) => {
        out += b.toString();
      });
      const done = new Promise<void>((res) => wrk.on('close', () => res()));
      ours.add(wrk.pid!);
      await sleep(50);
      const w0 = wakeups();
      const s0 = { c: cpus(), rs: netCounters(rsPid), cl: netCounters(wrk.pid!), p: allProcs() };
      const p0 = s0.p;
      const slices: unknown[] = [];
      let prev = s0;
      let finished = false;
      void done.then(() => {
        finished = true;
      });
      while (!finished) {
        await Promise.race([sleep(SLICE), done]);
        const cur = { c: cpus(), rs: netCounters(rsPid), cl: prev.cl, p: p0 };
        const cl = netCounters(wrk.pid!);
        if (Object.keys(cl).length) cur.cl = cl;
        const dt = cur.c.cpu.map((c, i) => {
          const q = prev.c.cpu[i]!;
          const tot =
            c.user + c.sys + c.idle + c.softirq + c.steal - (q.user + q.sys + q.idle + q.softirq + q.steal);
          const f = (k: keyof Cpu) => +((c[k] - q[k]) / Math.max(1, tot)).toFixed(2);
          return { usr: f('user'), sys: f('sys'), si: f('softirq'), st: f('steal'), idle: f('idle') };
        });
        slices.push({
          accepts: d(prev.rs, cur.rs, 'Tcp:PassiveOpens'),
          cpu: dt,
          ctxt: cur.c.ctxt - prev.c.ctxt,
        });
        prev = cur;
      }
      const p1 = allProcs();
      const w1 = wakeups();
      const after = await counters('after');
      const w = parseWrk(out);
      const others: Array<[string, number]> = [];
      for (const [pid, v] of p1) {
        if (ours.has(pid)) continue;
        const dt = v.t - (p0.get(pid)?.t ?? 0);
        if (dt > 0) others.push([`${v.comm}:${pid}`, dt]);
      }
      others.sort((a, b) => b[1] - a[1]);
      const all = { c: cpus() };
      const st = all.c.cpu.map((c, i) => {
        const q = s0.c.cpu[i]!;
        const tot =
          c.user + c.sys + c.idle + c.softirq + c.steal - (q.user + q.sys + q.idle + q.softirq + q.steal);
        return {
          st: +((c.steal - q.steal) / tot).toFixed(3),
          si: +((c.softirq - q.softirq) / tot).toFixed(3),
          usr: +((c.user - q.user) / tot).toFixed(3),
          sys: +((c.sys - q.sys) / tot).toFixed(3),
          idle: +((c.idle - q.idle) / tot).toFixed(3),
        };
      });
      const rec = {
        run: r,
        rps: Math.round(w.rps),
        p50: w.p50ms,
        p99: w.p99ms,
        err: w.errors,
        load1: Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]),
        cpu: st,
        // per 1,000 requests, per CPU
        netRxPerKreq: w1.netRx.map(
          (n, i) => +(((n - (w0.netRx[i] ?? 0)) / Math.max(1, w.requests)) * 1000).toFixed(1),
        ),
        ipiPerKreq: w1.ipi.map(
          (n, i) => +(((n - (w0.ipi[i] ?? 0)) / Math.max(1, w.requests)) * 1000).toFixed(1),
        ),
        othersTicks: others.reduce((a, b) => a + b[1], 0),
        oursTicks: [...ours].reduce((a, pid) => a + (p1.get(pid)?.t ?? 0) - (p0.get(pid)?.t ?? 0), 0),
        wall: w.seconds,
        requests: w.requests,
        topOthers: others.slice(0, 4),
        rs: {
          listenOverflows: d(s0.rs, prev.rs, 'TcpExt:ListenOverflows'),
          listenDrops: d(s0.rs, prev.rs, 'TcpExt:ListenDrops'),
          retrans: d(s0.rs, prev.rs, 'Tcp:RetransSegs'),
          synRecvDrop: d(s0.rs, prev.rs, 'TcpExt:TCPReqQFullDrop'),
        },
        cl: {
          retrans: d(s0.cl, prev.cl, 'Tcp:RetransSegs'),
          timeouts: d(s0.cl, prev.cl, 'TcpExt:TCPTimeouts'),
          synRetrans: d(s0.cl, prev.cl, 'TcpExt:TCPSynRetrans'),
          attemptFails: d(s0.cl, prev.cl, 'Tcp:AttemptFails'),
        },
        before,
        after,
        slices,
      };
      process.stdout.write(`${JSON.stringify(rec)}\n`);
      await sleep(500);
    }
    await run.stop();
  } finally {
    topo.destroy();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`noise-probe: ${(e as Error).stack ?? String(e)}\n`);
  deleteNetnsByPrefix(PREFIX);
  process.exitCode = 1;
});

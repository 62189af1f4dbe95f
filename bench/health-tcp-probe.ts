// TCP_CHECK prober cost alone, without the scheduler: N probes, C at a time,
// against one loopback listener in a child process, through the batched
// epoll connector and through node:net. CPU is this process's
// process.cpuUsage(), so the listener's work is not counted; the kernel's
// loopback handshake is (it runs in the connecting process's context).
//
//   node dist/bench/health-tcp-probe.js [--probes 20000] [--concurrency 256]
import { spawn } from 'node:child_process';
import net from 'node:net';
import { loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { probeTcp, probeTcpNet } from '../src/health/probes/tcp.js';
import type { BoundCheck, ProbeResult, TcpCheck } from '../src/health/types.js';

type Probe = (spec: TcpCheck & BoundCheck, signal: AbortSignal) => Promise<ProbeResult>;

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

async function listen(): Promise<void> {
  const srv = net.createServer((s) => {
    s.on('error', () => {});
    s.destroy();
  });
  srv.listen({ host: '127.0.0.1', port: 0, backlog: 4096 }, () => {
    process.stdout.write(`${(srv.address() as net.AddressInfo).port}\n`);
  });
}

async function run(name: string, fn: Probe, port: number, n: number, c: number): Promise<void> {
  const spec: TcpCheck & BoundCheck = { type: 'TCP_CHECK', host: '127.0.0.1', port, connectTimeout: 2000 };
  const outcomes = new Map<string, number>();
  let started = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const worker = async () => {
    while (started < n) {
      started++;
      // One controller per attempt, as the scheduler does.
      const r = await fn(spec, new AbortController().signal);
      const k = r.ok ? 'ok' : (r.reason ?? 'failed');
      outcomes.set(k, (outcomes.get(k) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: c }, worker));
  const cpu = process.cpuUsage(c0);
  const wall = (performance.now() - t0) / 1000;
  const per1k = (us: number) => (us / 1000 / (n / 1000)).toFixed(1);
  console.log(
    `${name.padEnd(5)} ${n} probes in ${wall.toFixed(1)} s  cpu per 1000: ${per1k(cpu.user + cpu.system)} ms ` +
      `(user ${per1k(cpu.user)}, sys ${per1k(cpu.system)})  ${JSON.stringify(Object.fromEntries(outcomes))}`,
  );
}

async function main(): Promise<void> {
  const n = arg('--probes', 20000);
  const c = arg('--concurrency', 256);
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--listen'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const port = Number((await lines.next()).value);
  console.log(`health-tcp-probe: ${n} probes, ${c} at a time, load average ${loadavg()[0]!.toFixed(1)}`);
  try {
    // Warm both paths, then alternate so machine load falls on each alike.
    await run('warm', probeTcp, port, 2000, c);
    await run('warm', probeTcpNet, port, 2000, c);
    for (let i = 0; i < 2; i++) {
      await run('fast', probeTcp, port, n, c);
      await run('net', probeTcpNet, port, n, c);
    }
  } finally {
    child.kill('SIGKILL');
  }
}

if (process.argv.includes('--listen')) void listen();
else void main();

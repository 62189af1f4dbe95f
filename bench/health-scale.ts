// Health-check scale benchmark: N TCP targets (loopback addresses x ports,
// default 40 x 250 = 10,000) checked every second. Measures the checker's
// CPU and RSS over a window for floatlb and for keepalived's checker
// process, and counts the checks each actually made (accepts at the
// listeners), so the ratio is per check, not only per second.
//
//   node dist/bench/health-scale.js [--addrs 40] [--ports 250] [--seconds 30] [--only floatlb|keepalived]
//        [--prober fast|net] [--concurrency 256] [--listener node|nginx] [--check tcp|ping|smtp]
//
// --check ping runs PING_CHECK against the same addresses (the kernel answers
// on loopback; an nftables counter counts the echo requests); --check smtp
// runs SMTP_CHECK against a Node listener that speaks SMTP (greeting, HELO,
// QUIT) and counts the conversations it starts. Both halves get the same
// targets and timings.
//
// --prober net runs floatlb's TCP_CHECK through its node:net fallback instead
// of the batched epoll connector, so the two can be compared under the same
// machine load. --concurrency is the checker's in-flight limit (the
// director's default is 256). --listener nginx accepts the checks with nginx
// behind an nftables redirect instead of a Node process (for the lab VM).
//
// keepalived's checker needs IPVS. Where the kernel has none, run the whole
// benchmark in the lab VM so both halves share one (emulated) machine:
//   node dist/lab/vm/cli.js run --timeout 900 -- node dist/bench/health-scale.js
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { HealthChecker, type TargetConfig } from '../src/health/index.js';
import { probeTcpNet } from '../src/health/probes/tcp.js';
import type { BoundCheck, TcpCheck } from '../src/health/types.js';

interface Opts {
  addrs: number;
  ports: number;
  seconds: number;
  settle: number;
  only: 'floatlb' | 'keepalived' | null;
  prober: 'fast' | 'net';
  concurrency: number;
  listener: 'node' | 'nginx';
  check: 'tcp' | 'ping' | 'smtp';
}

export interface HalfResult {
  name: string;
  cpuSeconds: number;
  cpuPercent: number;
  rssMb: number;
  checks: number;
  checksPerSecond: number;
  cpuMsPer1kChecks: number;
  note?: string;
}

const BASE_PORT = 20000;
const CHECK_TYPE = { tcp: 'TCP_CHECK', ping: 'PING_CHECK', smtp: 'SMTP_CHECK' } as const;
const NGINX_PORT = 19999;
const self = fileURLToPath(import.meta.url);

function parseArgs(argv: string[]): Opts & { role: string } {
  const o: Opts & { role: string } = {
    addrs: 40,
    ports: 250,
    seconds: 30,
    settle: 3,
    only: null,
    prober: 'fast',
    concurrency: 256,
    listener: 'node',
    check: 'tcp',
    role: 'main',
  };
  for (let i = 0; i < argv.length; i++) {
    const [k, v] = [argv[i], argv[i + 1]];
    if (k === '--addrs') o.addrs = Number(v);
    else if (k === '--ports') o.ports = Number(v);
    else if (k === '--seconds') o.seconds = Number(v);
    else if (k === '--settle') o.settle = Number(v);
    else if (k === '--only') o.only = v as Opts['only'];
    else if (k === '--role') o.role = v!;
    else if (k === '--prober') o.prober = v === 'net' ? 'net' : 'fast';
    else if (k === '--concurrency') o.concurrency = Number(v);
    else if (k === '--listener') o.listener = v === 'nginx' ? 'nginx' : 'node';
    else if (k === '--check') o.check = v === 'ping' ? 'ping' : v === 'smtp' ? 'smtp' : 'tcp';
    else continue;
    i++;
  }
  return o;
}

function addrOf(i: number): string {
  return `127.0.${1 + Math.floor(i / 250)}.${1 + (i % 250)}`;
}

function* targets(o: Opts): Generator<{ host: string; port: number }> {
  for (let a = 0; a < o.addrs; a++)
    for (let p = 0; p < o.ports; p++) yield { host: addrOf(a), port: BASE_PORT + p };
}

/**
 * Role "listen": binds every target and counts accepted connections. The
 * handshake completes in the kernel; a deep backlog lets a listener that is
 * short of CPU catch up later instead of dropping SYNs (which would show as
 * the checker's timeouts).
 */
async function listen(o: Opts): Promise<void> {
  let accepted = 0;
  const onConn = (s: net.Socket) => {
    accepted++;
    s.on('error', () => {});
    if (o.check !== 'smtp') {
      s.destroy();
      return;
    }
    // SMTP: greeting, a 250 for HELO, 221 and close for QUIT.
    s.setEncoding('latin1');
    s.write('220 bench ESMTP\r\n');
    let buf = '';
    s.on('data', (d: string) => {
      buf += d;
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (/^QUIT/i.test(line)) s.end('221 bye\r\n');
        else s.write('250 ok\r\n');
      }
    });
  };
  const servers: Promise<void>[] = [];
  for (const t of targets(o)) {
    const srv = net.createServer(onConn);
    servers.push(new Promise((r) => srv.listen({ host: t.host, port: t.port, backlog: 1024 }, () => r())));
  }
  await Promise.all(servers);
  process.stdout.write('ready\n');
  for await (const line of createInterface({ input: process.stdin })) {
    if (line === 'count') process.stdout.write(`${accepted}\n`);
  }
  process.exit(0);
}

/** Role "floatlb": runs the checker until stdin closes. */
async function runFloatlb(o: Opts): Promise<void> {
  const hc = new HealthChecker({
    concurrency: o.concurrency,
    ...(o.prober === 'net'
      ? { prober: (spec, signal) => probeTcpNet(spec as TcpCheck & BoundCheck, signal) }
      : {}),
  });
  const list: TargetConfig[] = [];
  for (const t of targets(o)) {
    list.push({
      id: `${t.host}:${t.port}`,
      host: t.host,
      port: t.port,
      checks: [{ type: CHECK_TYPE[o.check], delayLoop: 1000, connectTimeout: 1000, retry: 0 }],
    });
  }
  await hc.setTargets(list);
  hc.start();
  // Keep the process alive (check timers are unref'd) until told to stop.
  const keep = setInterval(() => {}, 1 << 30);
  for await (const _ of createInterface({ input: process.stdin })) {
    // no commands
  }
  clearInterval(keep);
  await hc.stop();
  process.exit(0);
}

interface Sample {
  cpuTicks: number;
  rssKb: number;
}

const CLK_TCK = 100;

function sampleProc(pid: number): Sample {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuTicks = Number(f[11]) + Number(f[12]);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return { cpuTicks, rssKb };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Accepts the checks' connections and counts them. */
interface TargetListener {
  ready(): Promise<void>;
  count(): Promise<number>;
  stop(): void;
}

/**
 * nginx's stream module accepts on one port and closes at once; nftables
 * redirects every target port to it and counts the connections. The accept
 * side is then C in both halves of the comparison, which matters in the
 * emulated lab VM, where a Node listener would take the CPU being measured.
 */
class NginxListener implements TargetListener {
  private readonly dir = mkdtempSync(join(tmpdir(), 'hc-nginx-'));
  private child: ChildProcess | null = null;

  constructor(private readonly o: Opts) {}

  async ready(): Promise<void> {
    const conf = join(this.dir, 'nginx.conf');
    writeFileSync(
      conf,
      [
        'daemon off;',
        'master_process off;',
        'worker_processes 1;',
        `pid ${join(this.dir, 'nginx.pid')};`,
        `error_log ${join(this.dir, 'error.log')} crit;`,
        'worker_rlimit_nofile 65536;',
        'load_module /usr/lib/nginx/modules/ngx_stream_module.so;',
        'events { worker_connections 16384; }',
        `stream { server { listen ${NGINX_PORT} backlog=4096; return ""; } }`,
        '',
      ].join('\n'),
    );
    const ports = `${BASE_PORT}-${BASE_PORT + this.o.ports - 1}`;
    execFileSync('nft', ['-f', '-'], {
      // Every initial SYN is counted before NAT, in a filter chain: a NAT
      // chain sees only packets that start a new conntrack entry.
      input: `table ip hcbench {
  chain syns {
    type filter hook output priority -200;
    ip daddr 127.0.0.0/8 tcp dport ${ports} tcp flags & (syn | ack) == syn counter
  }
  chain out {
    type nat hook output priority -100;
    ip daddr 127.0.0.0/8 tcp dport ${ports} redirect to :${NGINX_PORT}
  }
}
`,
    });
    this.child = spawn('nginx', ['-c', conf, '-p', this.dir], { stdio: ['ignore', 'ignore', 'inherit'] });
    const end = Date.now() + 60_000;
    for (;;) {
      const up = await new Promise<boolean>((resolve) => {
        const s = net.connect(NGINX_PORT, '127.0.0.1', () => {
          s.destroy();
          resolve(true);
        });
        s.on('error', () => resolve(false));
      });
      if (up) return;
      if (Date.now() > end) throw new Error('nginx did not start listening');
      await sleep(200);
    }
  }

  async count(): Promise<number> {
    const out = execFileSync('nft', ['list', 'chain', 'ip', 'hcbench', 'syns'], { encoding: 'utf8' });
    return Number(/counter packets (\d+)/.exec(out)?.[1] ?? Number.NaN);
  }

  stop(): void {
    this.child?.kill('SIGKILL');
    try {
      execFileSync('nft', ['delete', 'table', 'ip', 'hcbench']);
    } catch {
      // already gone
    }
  }
}

/** PING_CHECK: loopback answers in the kernel; an nftables counter counts the echo requests. */
class PingCounter implements TargetListener {
  async ready(): Promise<void> {
    execFileSync('nft', ['-f', '-'], {
      input: `table ip hcping {
  chain out {
    type filter hook output priority -200;
    ip daddr 127.0.0.0/8 icmp type echo-request counter
  }
}
`,
    });
  }

  async count(): Promise<number> {
    const out = execFileSync('nft', ['list', 'chain', 'ip', 'hcping', 'out'], { encoding: 'utf8' });
    return Number(/counter packets (\d+)/.exec(out)?.[1] ?? Number.NaN);
  }

  stop(): void {
    try {
      execFileSync('nft', ['delete', 'table', 'ip', 'hcping']);
    } catch {
      // already gone
    }
  }
}

class Listener implements TargetListener {
  private readonly child: ChildProcess;
  private readonly lines: string[] = [];
  private wake: (() => void) | null = null;

  constructor(o: Opts) {
    this.child = spawn(
      process.execPath,
      [self, '--role', 'listen', '--addrs', `${o.addrs}`, '--ports', `${o.ports}`, '--check', o.check],
      {
        stdio: ['pipe', 'pipe', 'inherit'],
      },
    );
    createInterface({ input: this.child.stdout! }).on('line', (l) => {
      this.lines.push(l);
      this.wake?.();
    });
  }

  async line(): Promise<string> {
    while (this.lines.length === 0) {
      await new Promise<void>((r) => {
        this.wake = r;
      });
    }
    return this.lines.shift()!;
  }

  async ready(): Promise<void> {
    await this.line();
  }

  async count(): Promise<number> {
    this.child.stdin!.write('count\n');
    return Number(await this.line());
  }

  stop(): void {
    this.child.kill('SIGKILL');
  }
}

/** Measures `pid` over the window while the listener counts its checks. */
async function measure(name: string, pid: () => number, lis: TargetListener, o: Opts): Promise<HalfResult> {
  await sleep(o.settle * 1000);
  const p = pid();
  const c0 = await lis.count();
  const s0 = sampleProc(p);
  const t0 = performance.now();
  let rssMax = s0.rssKb;
  const end = t0 + o.seconds * 1000;
  while (performance.now() < end) {
    await sleep(1000);
    rssMax = Math.max(rssMax, sampleProc(p).rssKb);
  }
  const s1 = sampleProc(p);
  const c1 = await lis.count();
  const wall = (performance.now() - t0) / 1000;
  const cpuSeconds = (s1.cpuTicks - s0.cpuTicks) / CLK_TCK;
  const checks = c1 - c0;
  return {
    name,
    cpuSeconds,
    cpuPercent: (100 * cpuSeconds) / wall,
    rssMb: rssMax / 1024,
    checks,
    checksPerSecond: checks / wall,
    cpuMsPer1kChecks: checks ? (cpuSeconds * 1e6) / checks : Number.NaN,
  };
}

async function benchFloatlb(lis: TargetListener, o: Opts): Promise<HalfResult> {
  const args = [self, '--role', 'floatlb', '--addrs', `${o.addrs}`, '--ports', `${o.ports}`];
  args.push('--check', o.check);
  args.push('--prober', o.prober, '--concurrency', `${o.concurrency}`);
  const child = spawn(process.execPath, args, {
    stdio: ['pipe', 'inherit', 'inherit'],
    env: { ...process.env, FLOATLB_LOG_LEVEL: 'warn' },
  });
  try {
    return await measure(`floatlb-${o.prober}`, () => child.pid!, lis, o);
  } finally {
    child.stdin!.end();
    await new Promise((r) => child.once('exit', r));
  }
}

export function keepalivedConf(o: Opts): string {
  // No max_auto_priority: under the lab VM's emulation the checker overruns
  // RLIMIT_RTTIME once keepalived raises it to realtime, and the kernel kills it.
  const out = ['global_defs {', '  router_id hcbench', '}'];
  for (let a = 0; a < o.addrs; a++) {
    out.push(`virtual_server 10.255.${Math.floor(a / 250)}.${1 + (a % 250)} 80 {`);
    out.push('  delay_loop 1', '  lb_algo rr', '  lb_kind NAT', '  protocol TCP');
    for (let p = 0; p < o.ports; p++) {
      out.push(`  real_server ${addrOf(a)} ${BASE_PORT + p} {`);
      out.push(`    ${CHECK_TYPE[o.check]} {`, '      connect_timeout 1', '      retry 0', '    }', '  }');
    }
    out.push('}');
  }
  return `${out.join('\n')}\n`;
}

async function benchKeepalived(lis: TargetListener, o: Opts): Promise<HalfResult> {
  const dir = mkdtempSync(join(tmpdir(), 'hc-kabench-'));
  const conf = join(dir, 'keepalived.conf');
  writeFileSync(conf, keepalivedConf(o));
  const logFile = join(dir, 'keepalived.log');
  const args = ['--check', '-n', '-l', '-D', '-f', conf, '-p', join(dir, 'k.pid'), '-c', join(dir, 'c.pid')];
  args.push('-r', join(dir, 'r.pid'));
  const out = openSync(logFile, 'w');
  const child = spawn('keepalived', args, { stdio: ['ignore', out, out] });
  closeSync(out);
  const checkerPid = () => Number(readFileSync(join(dir, 'c.pid'), 'utf8').trim());
  try {
    const deadline = Date.now() + 60_000;
    while (!existsSync(join(dir, 'c.pid')) && child.exitCode === null && Date.now() < deadline)
      await sleep(200);
    await sleep(1000);
    const log = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
    const pidOk = existsSync(join(dir, 'c.pid')) && existsSync(`/proc/${checkerPid()}`);
    if (child.exitCode !== null || !pidOk) {
      const why = /IPVS: Can't initialize ipvs[^\n]*/.exec(log)?.[0] ?? 'checker process exited';
      const tail = log.split('\n').slice(-12).join('\n  ');
      throw new Error(`keepalived checker did not start: ${why}\n  ${tail}`);
    }
    return await measure('keepalived', checkerPid, lis, o);
  } finally {
    child.kill('SIGTERM');
    await Promise.race([new Promise((r) => child.once('exit', r)), sleep(10_000)]);
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}

function fmt(r: HalfResult): string {
  return [
    r.name.padEnd(13),
    `cpu ${r.cpuSeconds.toFixed(2)} s (${r.cpuPercent.toFixed(1)}% of a core)`,
    `rss ${r.rssMb.toFixed(1)} MB`,
    `checks ${r.checks} (${r.checksPerSecond.toFixed(0)}/s)`,
    `${r.cpuMsPer1kChecks.toFixed(1)} ms cpu per 1000 checks`,
  ].join('  ');
}

async function main(o: Opts): Promise<void> {
  const n = o.addrs * o.ports;
  console.log(
    `health-scale: ${n} ${CHECK_TYPE[o.check]} targets, delay_loop 1 s, window ${o.seconds} s after ${o.settle} s settle`,
  );
  console.log(
    `kernel ${execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim()}, ipvs ${existsSync('/proc/net/ip_vs')}, ` +
      `prober ${o.prober}, concurrency ${o.concurrency}, listener ${o.listener}, load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
  );
  const lis: TargetListener =
    o.check === 'ping' ? new PingCounter() : o.listener === 'nginx' ? new NginxListener(o) : new Listener(o);
  await lis.ready();
  const results: HalfResult[] = [];
  try {
    if (o.only !== 'keepalived') {
      results.push(await benchFloatlb(lis, o));
      console.log(fmt(results.at(-1)!));
    }
    if (o.only !== 'floatlb') {
      try {
        results.push(await benchKeepalived(lis, o));
        console.log(fmt(results.at(-1)!));
      } catch (e) {
        console.log(`keepalived  not measured: ${(e as Error).message}`);
      }
    }
  } finally {
    lis.stop();
  }
  console.log(
    `load average after: ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  const f = results.find((r) => r.name.startsWith('floatlb'));
  const k = results.find((r) => r.name === 'keepalived');
  if (f && k) {
    console.log(
      `ratio floatlb/keepalived: cpu ${(f.cpuSeconds / k.cpuSeconds).toFixed(2)}x, ` +
        `cpu per check ${(f.cpuMsPer1kChecks / k.cpuMsPer1kChecks).toFixed(2)}x, rss ${(f.rssMb / k.rssMb).toFixed(2)}x`,
    );
  }
  console.log(`RESULT ${JSON.stringify({ targets: n, seconds: o.seconds, results })}`);
}

const opts = parseArgs(process.argv.slice(2));
if (opts.role === 'listen') void listen(opts);
else if (opts.role === 'floatlb') void runFloatlb(opts);
else void main(opts);

// Adapter latency: linkToLB.sh, unLinkToLB.sh and checkLB.sh, each called N
// times (default 1,000) as an unprivileged user of the API group, against a
// director on the same host over its unix socket. Reports p50/p90/p99/max of
// the wall time from spawn to exit, next to what starting Node costs (which
// is why the scripts are sh + curl).
//
//   node dist/bench/adapter-latency.js [--calls 1000] [--json]
//
// Needs root (it creates the user adbench, installs the adapter under a
// temporary prefix with adapters/install.sh, and removes both afterwards).
// The director is floatlb's Director with its real control API and config
// handling; its kernel side is an in-memory plane, since what is measured is
// the scripts and the API round trip, not the kernel.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createMetrics } from '../src/api/metrics.js';
import { ApiServer } from '../src/api/server.js';
import { parseConfigText } from '../src/config/index.js';
import { Director, type HealthSource } from '../src/director/director.js';
import type { ApplyResult, DataPlane, DataPlaneOp, ServiceState } from '../src/kernel/dataplane.js';
import { serviceId } from '../src/kernel/dataplane.js';
import { directorReload } from '../test/support/api-context.js';

// dist/bench/ when built, bench/ under vite-node.
const ROOT = existsSync(resolve(import.meta.dirname, '..', 'adapters'))
  ? resolve(import.meta.dirname, '..')
  : resolve(import.meta.dirname, '..', '..');
const USER = 'adbench';
const LB = '192.168.0.50';
const NODES = ['192.168.1.2', '192.168.1.3'];

/** Keeps services and destinations in memory. */
class MemoryPlane implements DataPlane {
  readonly kind = 'ipvs' as const;
  private services = new Map<string, ServiceState>();
  async list(): Promise<ServiceState[]> {
    return [...this.services.values()];
  }
  async apply(ops: readonly DataPlaneOp[]): Promise<ApplyResult> {
    for (const op of ops) {
      const id = serviceId('service' in op ? op.service.key : op.key);
      const cur = this.services.get(id);
      if (op.op === 'add-service' || op.op === 'update-service') {
        this.services.set(id, { ...op.service, dests: cur?.dests ?? [], stats: null });
      } else if (op.op === 'delete-service') this.services.delete(id);
      else if (cur) {
        const same = (d: { address: string; port: number }) =>
          d.address === op.dest.address && d.port === op.dest.port;
        const rest = cur.dests.filter((d) => !same(d));
        const dests =
          op.op === 'delete-dest'
            ? rest
            : [...rest, { ...op.dest, activeConns: 0, inactiveConns: 0, persistentConns: 0, stats: null }];
        this.services.set(id, { ...cur, dests });
      }
    }
    return { applied: ops.length, errors: [], transactions: 1 };
  }
  close(): void {}
}

/** Every target healthy. */
const healthy: HealthSource = {
  async setTargets() {},
  onState: () => () => undefined,
  states: () => [],
  start() {},
  async stop() {},
};

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1]! : def;
}

function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function runOnce(cmd: string, args: string[], who: { uid: number; gid: number }): Promise<[number, number]> {
  return new Promise((res, rej) => {
    const t0 = process.hrtime.bigint();
    const c = spawn(cmd, args, { uid: who.uid, gid: who.gid, stdio: 'ignore', cwd: '/' });
    c.on('error', rej);
    c.on('close', (code) => res([Number(process.hrtime.bigint() - t0) / 1e6, code ?? -1]));
  });
}

export interface Dist {
  calls: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

function dist(xs: number[]): Dist {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
  const r = (x: number) => Math.round(x * 10) / 10;
  return { calls: s.length, p50: r(q(50)), p90: r(q(90)), p99: r(q(99)), max: r(s.at(-1)!) };
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('adapter-latency needs root (it creates a user)');
  const calls = Number(arg('calls', '1000'));
  const dir = mkdtempSync(join(tmpdir(), 'adbench-'));
  chmodSync(dir, 0o755);
  try {
    execFileSync('userdel', [USER], { stdio: 'ignore' });
  } catch {}
  try {
    execFileSync('groupdel', [USER], { stdio: 'ignore' });
  } catch {}
  sh('groupadd', ['--system', USER]);
  sh('useradd', ['--system', '--gid', USER, '--no-create-home', '--shell', '/usr/sbin/nologin', USER]);
  const who = { uid: Number(sh('id', ['-u', USER])), gid: Number(sh('id', ['-g', USER])) };
  const plane = new MemoryPlane();
  const director = new Director({
    plane,
    health: healthy,
    adminStatePath: join(dir, 'admin.json'),
    loadConfig: async () =>
      parseConfigText(
        `virtual_server ${LB} 20026 {\n  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n  active_standby\n${NODES.map(
          (n) => `  real_server ${n} 20026 {\n    weight 1\n  }\n`,
        ).join('')}}\n`,
        { file: 'bench.conf' },
      ),
  });
  await director.start();
  const sock = join(dir, 'api.sock');
  const api = new ApiServer(
    {
      director,
      vrrp: () => [],
      startedAt: new Date(),
      configFile: 'bench.conf',
      reload: directorReload(director),
    },
    { unix: { path: sock, gid: who.gid, mode: 0o660 }, metrics: createMetrics(() => plane).registry },
  );
  await api.listen();
  const prefix = join(dir, 'loadBalanceAdapt');
  sh('sh', [join(ROOT, 'adapters', 'install.sh'), '--prefix', prefix, '--user', USER, '--director', sock]);
  try {
    const nodeStart: number[] = [];
    const curlAlone: number[] = [];
    for (let i = 0; i < 30; i++) {
      nodeStart.push((await runOnce(process.execPath, ['-e', '0'], who))[0]);
      curlAlone.push(
        (
          await runOnce(
            'curl',
            ['-s', '-o', '/dev/null', '--unix-socket', sock, `http://x/v1/pools/${LB}`],
            who,
          )
        )[0],
      );
    }
    const t: Record<string, number[]> = { 'checkLB.sh': [], 'linkToLB.sh': [], 'unLinkToLB.sh': [] };
    const wrong: string[] = [];
    const expected: Record<string, number> = { 'checkLB.sh': 0, 'linkToLB.sh': 0, 'unLinkToLB.sh': 0 };
    for (let i = 0; i < calls; i++) {
      // A switchover every iteration: unlink the old node, link the new one, check it.
      const [oldNode, newNode] = i % 2 ? NODES : [NODES[1]!, NODES[0]!];
      for (const [script, node] of [
        ['unLinkToLB.sh', oldNode],
        ['linkToLB.sh', newNode],
        ['checkLB.sh', newNode],
      ] as const) {
        const [ms, code] = await runOnce(join(prefix, script), ['-lb', LB, node!], who);
        t[script]!.push(ms);
        if (code !== expected[script]) wrong.push(`${script} ${node}: exit ${code}`);
      }
    }
    const result = {
      calls,
      load: sh('cat', ['/proc/loadavg']).split(' ').slice(0, 3).join(' '),
      nodeStartup: dist(nodeStart),
      curlAlone: dist(curlAlone),
      scripts: Object.fromEntries(Object.entries(t).map(([k, v]) => [k, dist(v)])),
      wrongExitCodes: wrong.length,
    };
    if (process.argv.includes('--json')) console.log(JSON.stringify(result, null, 2));
    else {
      console.log(`adapter latency, ${calls} calls per script, director on the same host (unix socket)`);
      console.log(`load average at the end: ${result.load}`);
      console.log('| what | calls | p50 ms | p90 ms | p99 ms | max ms |');
      console.log('| --- | --- | --- | --- | --- | --- |');
      const row = (name: string, d: Dist) =>
        console.log(`| ${name} | ${d.calls} | ${d.p50} | ${d.p90} | ${d.p99} | ${d.max} |`);
      for (const [k, d] of Object.entries(result.scripts)) row(k, d);
      row('curl alone (one GET)', result.curlAlone);
      row('node -e 0 (startup only)', result.nodeStartup);
      if (wrong.length) console.log(`WRONG EXIT CODES: ${wrong.length}: ${wrong.slice(0, 5).join('; ')}`);
    }
    if (wrong.length) process.exitCode = 1;
  } finally {
    await api.close();
    await director.stop();
    try {
      execFileSync('userdel', [USER], { stdio: 'ignore' });
      execFileSync('groupdel', [USER], { stdio: 'ignore' });
    } catch {}
    rmSync(dir, { recursive: true, force: true });
  }
}

if (!process.env.FLOATLB_LOG_LEVEL) {
  // The director's own log would drown the report; loggers bind at import,
  // so the level has to be in the environment before this module loads.
  const r = spawnSync(process.execPath, process.argv.slice(1), {
    stdio: 'inherit',
    env: { ...process.env, FLOATLB_LOG_LEVEL: 'warn' },
  });
  process.exit(r.status ?? 1);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});

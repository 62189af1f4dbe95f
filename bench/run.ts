// `npm run bench`: every benchmark this machine can run, into
// docs/bench/results.json, RESULTS.md and the charts. The previous run's
// results.json is kept as results-previous.json and compared against.
//
//   node dist/bench/run.js [--smoke] [--out DIR] [--rounds N] [--seconds S] [--prefix NETNS-PREFIX]
//   node dist/bench/run.js --report-only      (re-render from results.json)
// --only dataplane: the data-plane phase alone, into results.json in --out (no report):
//   two of these back to back show how repeatable its medians are.
// --vm: also the IPVS data plane in the lab VM (about 10 more minutes), into vm-results.json.
//
// --smoke: every candidate briefly, small tables; proves the harness works
// (the host test tier runs it) and says nothing about speed.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { deleteNetnsByPrefix, Netns } from '../lab/netns.js';
import type { DataPlaneOp } from '../src/kernel/dataplane.js';
import { NftablesDataPlane } from '../src/kernel/nftables/plane.js';
import { canonicalIp as asIp } from '../src/kernel/vocabulary.js';
import { benchDirector, type DirectorBench } from './control/director.js';
import { type Candidate, direct, haproxy, nftables, nginxStream } from './dataplane/candidates.js';
import { setRealtime } from './dataplane/context.js';
import { type PhaseResult, runPhase } from './dataplane/phase.js';
import { buildTopology, startServers, waitServers } from './dataplane/topology.js';
import { weightRuns } from './report/goals.js';
import { keptRuns } from './report/machines.js';
import { updateReadme, writeReport } from './report/markdown.js';
import { type NoiseInput, repeatability } from './report/noise.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const argv = process.argv.slice(2);
const flag = (n: string) => argv.includes(`--${n}`);
const opt = (n: string, d: string) => {
  const i = argv.indexOf(`--${n}`);
  return i >= 0 && argv[i + 1] ? argv[i + 1]! : d;
};
const smoke = flag('smoke');
const PREFIX = opt('prefix', smoke ? `bnt${process.pid % 100000}-` : 'bnb-');

export interface Results {
  readonly smoke: boolean;
  readonly startedAt: string;
  readonly wallSec: number;
  readonly machine: { kernel: string; cpu: string; [other: string]: string };
  readonly load: { start: number[]; end: number[] };
  readonly settings: {
    rounds: number;
    seconds: number;
    /** SCHED_RR priority of the bench's processes; absent in runs before it existed. */
    rt?: number;
    connections: number;
    bulkSeconds: number;
    scaleServices: number;
  };
  readonly dataplane: PhaseResult;
  readonly scale: PhaseResult & {
    readonly loadSec: number;
    readonly planeWeightMs: number[];
    readonly listSec: number;
  };
  readonly control: DirectorBench[];
  readonly extra: Record<string, unknown>;
  readonly notes: string[];
}

function log(line: string): void {
  process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
}

function version(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return (
    `${r.stdout ?? ''}${r.stderr ?? ''}`
      .split('\n')
      .find((l) => l.trim())
      ?.trim() ?? 'absent'
  );
}

function machine(): { kernel: string; cpu: string; [other: string]: string } {
  const c = cpus();
  return {
    kernel: execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim(),
    cpu: `${c.length} × ${c[0]?.model ?? '?'}`,
    memory: `${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    ipvs: existsSync('/proc/net/ip_vs') ? 'yes' : 'no (CONFIG_IP_VS not set)',
    node: process.version,
    nft: version('nft', ['--version']),
    haproxy: version('haproxy', ['-v']),
    nginx: version('nginx', ['-v']),
    wrk: version('wrk', ['-v']),
    iperf3: version('iperf3', ['-v']),
    keepalived: version('keepalived', ['-v']),
  };
}

/** Other services for the at-scale run: N x 8 real servers, wrr, outside the bench's addresses. */
function otherServices(n: number): DataPlaneOp[] {
  const ops: DataPlaneOp[] = [];
  for (let i = 0; i < n; i++) {
    const key = {
      kind: 'ip' as const,
      family: 'inet' as const,
      protocol: 'tcp' as const,
      address: asIp(`10.${100 + (i >> 16)}.${(i >> 8) & 0xff}.${i & 0xff}`),
      port: 80,
    };
    ops.push({ op: 'add-service', service: { key, scheduler: 'wrr', flags: 0, persistence: null } });
    for (let j = 0; j < 8; j++) {
      const dest = {
        address: asIp(`172.16.${j}.${(i % 250) + 1}`),
        port: 8080 + (i >> 8),
        family: 'inet' as const,
        forwarding: 'nat' as const,
        weight: 1 + j,
        upperThreshold: 0,
        lowerThreshold: 0,
      };
      ops.push({ op: 'add-dest', key, dest });
    }
  }
  return ops;
}

/** Runs one of the existing bench/ programs and returns its stdout. */
function child(script: string, args: string[], timeoutS: number): string {
  const r = spawnSync(process.execPath, [join(ROOT, 'dist', 'bench', script), ...args], {
    encoding: 'utf8',
    timeout: timeoutS * 1000,
    maxBuffer: 1 << 26,
    env: { ...process.env, FLOATLB_LOG_LEVEL: 'warn' },
  });
  if (r.status !== 0)
    throw new Error(`${script} ${args.join(' ')}: exit ${r.status}: ${(r.stderr ?? '').slice(-400)}`);
  return r.stdout;
}

/** Re-renders RESULTS.md, the charts and the README table from results.json. */
function reportOnly(out: string): void {
  const cur = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as Results;
  const prevFile = join(out, 'results-previous.json');
  const prev = existsSync(prevFile) ? (JSON.parse(readFileSync(prevFile, 'utf8')) as Results) : null;
  writeReport(out, cur, prev);
  readme(out, cur);
}

/** The README's table follows the committed results, never a smoke run's or another directory's. */
function readme(out: string, r: Results): void {
  if (r.smoke || out !== join(ROOT, 'docs', 'bench')) return;
  updateReadme(
    join(ROOT, 'README.md'),
    r,
    weightRuns(out).find((w) => w.transport === 'netlink'),
    keptRuns(join(out, 'other-machines')),
  );
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const out = resolve(opt('out', join(ROOT, 'docs', 'bench')));
  mkdirSync(out, { recursive: true });
  if (flag('report-only')) return reportOnly(out);
  const settings = {
    // 10 short rounds rather than 5 long ones: the machine's speed wanders on a
    // scale of seconds to minutes, so more draws steady a median more than longer ones
    rounds: Number(opt('rounds', smoke ? '1' : '10')),
    seconds: Number(opt('seconds', smoke ? '1' : '2')),
    // SCHED_RR priority of wrk, the real servers and the proxies (0: the normal scheduler)
    rt: Number(opt('rt', '50')),
    connections: 32,
    bulkSeconds: smoke ? 1 : 2,
    warmupSeconds: smoke ? 0 : 1,
    scaleServices: smoke ? 50 : 10_000,
  };
  setRealtime(settings.rt);
  const notes: string[] = [];
  const load = { start: loadavg(), end: [] as number[] };
  log(
    `bench: ${smoke ? 'smoke' : 'full'} run, load average ${load.start.map((x) => x.toFixed(2)).join(' ')}`,
  );
  deleteNetnsByPrefix(PREFIX);
  const topo = buildTopology({
    prefix: PREFIX,
    servers: 8,
    router: false,
    workDir: join(tmpdir(), `${PREFIX}work`),
  });
  const extra: Record<string, unknown> = {};
  try {
    startServers(topo);
    await waitServers(topo);
    const cands: Candidate[] = [
      direct,
      nftables('rr', 1),
      nftables('rr', 8),
      nftables('wrr', 8),
      nftables('mh', 8),
      haproxy(1),
      nginxStream(1),
      // the peers with 8 servers only in the smoke run: the full run's 20 minutes go to the goals
      ...(smoke ? [haproxy(8), nginxStream(8)] : []),
    ];
    log('data plane: host kernel, namespaces');
    const dataplane = await runPhase(topo, cands, { ...settings, log });
    if (opt('only', '') === 'dataplane') {
      const file = join(out, 'results.json');
      if (existsSync(file)) renameSync(file, join(out, 'results-previous.json'));
      const wallSec = (performance.now() - t0) / 1000;
      const startedAt = new Date(Date.now() - wallSec * 1000).toISOString();
      const cur = {
        smoke,
        startedAt,
        wallSec,
        machine: machine(),
        load: { start: load.start, end: loadavg() },
        settings,
        dataplane,
      };
      writeFileSync(file, `${JSON.stringify(cur, null, 1)}\n`);
      log(`data plane only: done in ${wallSec.toFixed(0)} s; ${file}`);
      const prevFile = join(out, 'results-previous.json');
      const prev = existsSync(prevFile) ? (JSON.parse(readFileSync(prevFile, 'utf8')) as NoiseInput) : null;
      process.stdout.write(`${repeatability(cur, prev).join('\n')}\n`);
      return;
    }

    log(`at scale: loading ${settings.scaleServices} other services x 8 into the nftables plane`);
    const plane = new NftablesDataPlane({ netns: topo.director.name });
    const l0 = performance.now();
    const loaded = await plane.apply(otherServices(settings.scaleServices));
    if (loaded.errors.length) throw loaded.errors[0]!.error;
    const loadSec = (performance.now() - l0) / 1000;
    log(`loaded in ${loadSec.toFixed(1)} s`);
    const scalePhase = await runPhase(topo, [direct, nftables('rr', 1, () => plane)], {
      ...settings,
      bulkSeconds: 0,
      log,
    });
    // one weight change on the loaded table, plane.apply to commit (no API, no director)
    const planeWeightMs: number[] = [];
    const some = otherServices(Math.min(settings.scaleServices, 64));
    for (let i = 0; i < (smoke ? 3 : 20); i++) {
      const op = some[9 * (i % 8) + 1] as Extract<DataPlaneOp, { op: 'add-dest' }>;
      const t = performance.now();
      const r = await plane.apply([{ op: 'update-dest', key: op.key, dest: { ...op.dest, weight: 20 + i } }]);
      planeWeightMs.push(performance.now() - t);
      if (r.errors.length) throw r.errors[0]!.error;
    }
    await plane.destroy();
    // the whole table read back is timed in the control phase (director.resync at 10,000)
    const scale = { ...scalePhase, loadSec, planeWeightMs, listSec: Number.NaN };

    log('control plane: director + API + nftables plane, at 1, 1,000 and 10,000 services');
    const control: DirectorBench[] = [];
    const sizes = smoke ? [1, 20] : [1, 1000, 10_000];
    for (const n of sizes) {
      const ns = Netns.create(`${PREFIX}cp`);
      try {
        const p = new NftablesDataPlane({ netns: ns.name });
        const big = n >= 10_000;
        control.push(
          await benchDirector(p, {
            services: n,
            // a change no longer reads the table back, so every size gets enough samples for a p99
            weightSamples: smoke ? 3 : 500,
            // a reload re-parses the whole config: a few at 10,000
            reloadSamples: smoke ? 2 : big ? 2 : 3,
            resync: big || smoke,
            pairSamples: smoke ? 4 : 500,
            ...(smoke ? { warmup: 2 } : {}),
          }),
        );
        const c = control.at(-1)!;
        const w = [...c.weightMs].sort((a, b) => a - b);
        log(
          `control ${n}: start ${c.startSec.toFixed(1)} s, weight p50 ${w[w.length >> 1]!.toFixed(1)} ms, max ${w.at(-1)!.toFixed(1)} ms, resync ${c.resyncSec?.toFixed(1) ?? '-'} s, load ${loadavg()[0]!.toFixed(1)}`,
        );
      } finally {
        ns.delete();
      }
    }

    log('existing benches: config parsing, TCP probe cost, adapters');
    const tries: Array<[string, string, string[], number]> = [
      ['config', 'config-scale.js', smoke ? ['200', '8'] : ['10000', '8'], 300],
      ['adapters', 'adapter-latency.js', ['--calls', smoke ? '5' : '100', '--json'], 300],
      ['tcpProbe', 'health-tcp-probe.js', ['--probes', smoke ? '500' : '20000'], 300],
    ];
    for (const [k, script, args, tmo] of tries) {
      try {
        const o = child(script, args, tmo);
        extra[k] = k === 'tcpProbe' ? o.trim().split('\n') : JSON.parse(o.slice(o.indexOf('{')));
      } catch (e) {
        notes.push(`${script} did not complete: ${(e as Error).message}`);
      }
    }
    if (flag('vm')) {
      log('lab VM: IPVS NAT/DR/TUN against direct and HAProxy (emulated; ratios only)');
      const r = spawnSync(
        process.execPath,
        [
          join(ROOT, 'dist', 'lab', 'vm', 'cli.js'),
          'run',
          '--timeout',
          '1500',
          '--',
          process.execPath,
          join(ROOT, 'dist', 'bench', 'vm-dataplane.js'),
          join(out, 'vm-results.json'),
          '--rounds',
          smoke ? '1' : '3',
          '--seconds',
          smoke ? '1' : '3',
        ],
        { stdio: ['ignore', 'inherit', 'inherit'] },
      );
      if (r.status !== 0) notes.push(`lab VM run failed: exit ${r.status}`);
    }
    load.end = loadavg();
    const results: Results = {
      smoke,
      startedAt: new Date(Date.now() - (performance.now() - t0)).toISOString(),
      wallSec: (performance.now() - t0) / 1000,
      machine: machine(),
      load,
      settings,
      dataplane,
      scale,
      control,
      extra,
      notes,
    };
    const file = join(out, 'results.json');
    if (existsSync(file) && !smoke) renameSync(file, join(out, 'results-previous.json'));
    writeFileSync(file, `${JSON.stringify(results, null, 1)}\n`);
    const prevFile = join(out, 'results-previous.json');
    const prev =
      existsSync(prevFile) && !smoke ? (JSON.parse(readFileSync(prevFile, 'utf8')) as Results) : null;
    writeReport(out, results, prev);
    readme(out, results);
    log(`bench: done in ${results.wallSec.toFixed(0)} s; ${join(out, 'RESULTS.md')}`);
  } finally {
    topo.destroy();
  }
}

if (!process.env.FLOATLB_LOG_LEVEL) {
  // The director logs every operation at info; loggers bind at import, so
  // the level must be in the environment before the modules load.
  const r = spawnSync(process.execPath, process.argv.slice(1), {
    stdio: 'inherit',
    env: { ...process.env, FLOATLB_LOG_LEVEL: 'warn' },
  });
  process.exit(r.status ?? 1);
}

main().catch((e: unknown) => {
  log(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  deleteNetnsByPrefix(PREFIX);
  process.exitCode = 1;
});

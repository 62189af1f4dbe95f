// Control plane through the real director and its HTTP API on a unix socket,
// programming a real plane in a scratch namespace:
//   - start: config of N virtual servers x 8 real servers applied from cold;
//   - weight: POST /v1/realservers/weight, timed from the call to the reply,
//     which the director sends after the kernel transaction committed;
//   - pair: the same call on an active/standby pair (rr, two real servers,
//     weights 1/0), as the MRS adapters flip it: standby 1, active 0, and back;
//   - reload: the config file rewritten with one weight changed, then
//     POST /v1/reload, timed the same way.
// Health checks are stubbed as all-up (every target reports up, so every real
// server is programmed): what is timed is config -> kernel. Every sample is
// checked to have changed exactly one real server in the kernel.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ApiClient, callApi } from '../../src/api/client.js';
import { createMetrics } from '../../src/api/metrics.js';
import { ApiServer } from '../../src/api/server.js';
import { loadConfigSync } from '../../src/config/index.js';
import { Director, type HealthSource } from '../../src/director/director.js';
import type { TargetConfig } from '../../src/health/index.js';
import type { DataPlane } from '../../src/kernel/dataplane.js';
import type { Nft } from '../../src/kernel/nftables/nft.js';
import { directorReload } from '../../test/support/api-context.js';
import { generateConfig } from '../config-scale.js';

function healthy(): HealthSource {
  let targets: TargetConfig[] = [];
  return {
    async setTargets(list) {
      targets = list;
    },
    onState: () => () => undefined,
    states: () => targets.map((t) => ({ id: t.id, up: true, reason: 'bench', checks: [] })),
    start() {},
    async stop() {},
  };
}

export interface DirectorBench {
  readonly services: number;
  readonly startSec: number;
  readonly plane: string;
  /** API call to reply (kernel committed), ms, one per sample. */
  readonly weightMs: number[];
  /** Of which plane.apply (the kernel transaction), ms, one per sample. */
  readonly weightPlaneMs: number[];
  /**
   * Where a weight change's time goes, ms per sample: the director's
   * setOverride call (persist + reconcile), its reconcile (desired, diff,
   * plane.apply), and the kernel I/O inside plane.apply (on nftables:
   * libnftables or floatlb's own netlink batch, sent to the kernel's commit).
   */
  readonly weightPhases?: {
    setOverride: number[];
    reconcile: number[];
    kernelIo: number[];
    /** CPU (user + system) of this process during the kernel I/O: the commit runs in the sender's context. */
    kernelCpu: number[];
  };
  /** director.resync(): the whole table read back and diffed, s (null: not measured). */
  readonly resyncSec: number | null;
  /** Weight changes on the active/standby pair, API call to reply, ms (absent in older runs). */
  readonly pairMs?: number[];
  /** Of which the kernel transaction, ms. */
  readonly pairPlaneMs?: number[];
  /**
   * Changes made before the samples and not counted in them: the first pass
   * through the sample cycle after the cold load (absent in older runs).
   */
  readonly warmup?: number;
  /** Those changes' times, API call to reply, ms: the weight cycle's, then the pair's. */
  readonly warmupMs?: { weight: number[]; pair: number[] };
  /** Reload of a config differing in one line, ms. */
  readonly reloadMs: number[];
  readonly reloadOps: number[];
}

/** The first virtual server's VIP and its first real server, as generateConfig writes them. */
const VS0 = 'tcp/10.0.0.1:80';
const RS0 = '172.16.0.1:8080';
/** The active/standby pair, after the generated services. */
const PAIR_VS = 'tcp/10.254.0.1:80';
const PAIR = ['172.31.255.1:8080', '172.31.255.2:8080'] as const;
const PAIR_CONF = [
  'virtual_server 10.254.0.1 80 {',
  '  lb_algo rr',
  '  lb_kind NAT',
  '  protocol TCP',
  ...PAIR.map((a, i) => `  real_server ${a.replace(':', ' ')} {\n    weight ${1 - i}\n  }`),
  '}',
  '',
].join('\n');
/** The sampled weights of the first real server: 10 … 59, then again. */
const WEIGHT_CYCLE = 50;
/** Warm-up changes: one pass through the weight cycle, so every modulus the samples meet was seen once. */
export const WARMUP = WEIGHT_CYCLE;
/** An MRS failover as two calls each way: the standby up, the active down, and back. */
const FLIPS: ReadonlyArray<readonly [string, number]> = [
  [PAIR[1], 1],
  [PAIR[0], 0],
  [PAIR[0], 1],
  [PAIR[1], 0],
];

export async function benchDirector(
  plane: DataPlane,
  o: {
    services: number;
    weightSamples: number;
    reloadSamples: number;
    resync?: boolean;
    /** Weight changes on the active/standby pair (0: no pair in the config). */
    pairSamples?: number;
    /**
     * Changes of each kind made, and timed apart, before its samples (default
     * WARMUP): the samples describe a running director, not the first
     * changes after a cold load of the whole table.
     */
    warmup?: number;
  },
): Promise<DirectorBench> {
  // times each kernel transaction, to split a weight change into kernel and the rest
  const applied: number[] = [];
  const apply = plane.apply.bind(plane);
  plane.apply = async (ops) => {
    const t = performance.now();
    const r = await apply(ops);
    applied.push(performance.now() - t);
    return r;
  };
  const dir = mkdtempSync(join(tmpdir(), 'bnc-director-'));
  const file = join(dir, 'keepalived.conf');
  const generated = generateConfig(o.services, 8);
  const base = generated + (o.pairSamples ? PAIR_CONF : '');
  writeFileSync(file, base);
  const director = new Director({
    plane,
    health: healthy(),
    adminStatePath: join(dir, 'admin.json'),
    loadConfig: async () => loadConfigSync(file),
  });
  const phases = {
    setOverride: [] as number[],
    reconcile: [] as number[],
    kernelIo: [] as number[],
    kernelCpu: [] as number[],
  };
  const timed = { setOverride: 0, reconcile: 0, kernelIo: 0, kernelCpu: 0 };
  const wrap = <F extends (...a: never[]) => Promise<unknown>>(f: F, k: keyof typeof timed): F =>
    (async (...a: Parameters<F>) => {
      const t = performance.now();
      const c = process.cpuUsage();
      try {
        return await f(...a);
      } finally {
        timed[k] += performance.now() - t;
        if (k === 'kernelIo') {
          const u = process.cpuUsage(c);
          timed.kernelCpu += (u.user + u.system) / 1000;
        }
      }
    }) as F;
  director.setOverride = wrap(director.setOverride.bind(director), 'setOverride');
  director.reconcile = wrap(director.reconcile.bind(director), 'reconcile');
  const nft = (plane as { nft?: Pick<Nft, 'run' | 'runBatch'> }).nft;
  if (nft) {
    nft.run = wrap(nft.run.bind(nft), 'kernelIo');
    nft.runBatch = wrap(nft.runBatch.bind(nft), 'kernelIo');
  }
  const t0 = performance.now();
  const started = await director.start();
  const startSec = (performance.now() - t0) / 1000;
  if (started.errors.length) throw new Error(`director start: ${started.errors[0]}`);
  const sock = join(dir, 'api.sock');
  const api = new ApiServer(
    { director, vrrp: () => [], startedAt: new Date(), configFile: file, reload: directorReload(director) },
    { unix: { path: sock, gid: 0, mode: 0o600 }, metrics: createMetrics(() => plane).registry },
  );
  await api.listen();
  const ep = { target: sock, timeoutMs: 600_000 };
  // one kept-alive connection for the samples, as a long-lived caller holds it;
  // FLOATLB_BENCH_FRESH=1: a fresh connection per call, as the CLI makes
  const kept = process.env.FLOATLB_BENCH_FRESH === '1' ? null : new ApiClient(ep);
  const call = (m: 'GET' | 'POST', path: string, body?: unknown) =>
    kept ? kept.call(m, path, body) : callApi(ep, m, path, body);
  try {
    const weightMs: number[] = [];
    const weightPlaneMs: number[] = [];
    /** One weight call, timed; checked to have changed exactly one real server. */
    const change = async (what: string, body: object): Promise<[ms: number, planeMs: number]> => {
      applied.length = 0;
      const t = performance.now();
      const r = await call('POST', '/v1/realservers/weight', body);
      const ms = performance.now() - t;
      if (r.status !== 200) throw new Error(`${what}: ${r.status} ${JSON.stringify(r.body)}`);
      const ops = director.lastReconcile?.ops ?? [];
      if (ops.length !== 1 || ops[0]!.op !== 'update-dest')
        throw new Error(`${what} applied ${ops.length} operations, not one update-dest`);
      return [ms, applied.reduce((a, b) => a + b, 0)];
    };
    const warmup = o.warmup ?? WARMUP;
    const warmupMs = { weight: [] as number[], pair: [] as number[] };
    const weightBody = (i: number) => ({ virtualServer: VS0, server: RS0, weight: 10 + (i % WEIGHT_CYCLE) });
    for (let i = 0; i < warmup; i++) warmupMs.weight.push((await change('weight warm-up', weightBody(i)))[0]);
    for (let i = 0; i < o.weightSamples; i++) {
      timed.setOverride = timed.reconcile = timed.kernelIo = timed.kernelCpu = 0;
      const [ms, planeMs] = await change('weight change', weightBody(warmup + i));
      weightMs.push(ms);
      weightPlaneMs.push(planeMs);
      phases.setOverride.push(timed.setOverride);
      phases.reconcile.push(timed.reconcile);
      phases.kernelIo.push(timed.kernelIo);
      phases.kernelCpu.push(timed.kernelCpu);
    }
    const pairMs: number[] = [];
    const pairPlaneMs: number[] = [];
    const pairBody = (i: number) => {
      const [server, weight] = FLIPS[i % FLIPS.length]!;
      return { virtualServer: PAIR_VS, server, weight };
    };
    for (let i = 0; o.pairSamples && i < warmup; i++)
      warmupMs.pair.push((await change('pair warm-up', pairBody(i)))[0]);
    for (let i = 0; i < (o.pairSamples ?? 0); i++) {
      const [ms, planeMs] = await change('pair flip', pairBody(warmup + i));
      pairMs.push(ms);
      pairPlaneMs.push(planeMs);
    }
    for (const server of o.pairSamples ? PAIR : [])
      await call('POST', '/v1/realservers/weight', { virtualServer: PAIR_VS, server, weight: null });
    // back to the config's own weight, so a reload only sees the edited line
    await call('POST', '/v1/realservers/weight', { virtualServer: VS0, server: RS0, weight: null });
    const reloadMs: number[] = [];
    const reloadOps: number[] = [];
    // the last virtual server's first real server: "weight 1" -> "weight 7" and back
    const lastAt = generated.lastIndexOf('    weight 1\n');
    for (let i = 0; i < o.reloadSamples; i++) {
      const w = i % 2 === 0 ? 7 : 1;
      writeFileSync(file, `${base.slice(0, lastAt)}    weight ${w}\n${base.slice(lastAt + 13)}`);
      const t = performance.now();
      const r = await call('POST', '/v1/reload');
      reloadMs.push(performance.now() - t);
      const body = r.body as { operations?: number; errors?: unknown[] };
      if (r.status !== 200 || body.errors?.length)
        throw new Error(`reload: ${r.status} ${JSON.stringify(r.body)}`);
      reloadOps.push(body.operations ?? -1);
    }
    let resyncSec: number | null = null;
    if (o.resync) {
      const t = performance.now();
      const r = await director.resync();
      resyncSec = (performance.now() - t) / 1000;
      if (r.ops.length) throw new Error(`resync found ${r.ops.length} operations of drift`);
    }
    return {
      plane: plane.kind,
      services: o.services,
      startSec,
      weightMs,
      weightPlaneMs,
      weightPhases: phases,
      ...(o.pairSamples ? { pairMs, pairPlaneMs } : {}),
      warmup,
      warmupMs,
      resyncSec,
      reloadMs,
      reloadOps,
    };
  } finally {
    await kept?.close();
    await api.close();
    await director.stop({ flush: false });
    rmSync(dir, { recursive: true, force: true });
  }
}

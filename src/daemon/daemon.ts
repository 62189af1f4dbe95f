// `floatlb run`: the composition root. It builds the data plane, the health
// checker, the director, VRRP (with the connection-sync daemon that follows
// it) and the control API, and owns the one reload that SIGHUP and
// POST /v1/reload both run.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { EventLog, ProbeLedger, RateHistory } from '../api/events.js';
import { createMetrics, type Metrics } from '../api/metrics.js';
import type { Json, ReloadReport } from '../api/routes.js';
import { ApiServer } from '../api/server.js';
import { loadConfig } from '../config/index.js';
import type { FloatlbConfig } from '../config/model.js';
import { Director, describeOp } from '../director/director.js';
import { natRealServers, preflightWarnings } from '../director/preflight.js';
import { HealthChecker } from '../health/index.js';
import type { DataPlane } from '../kernel/dataplane.js';
import { KernelRouteTable } from '../kernel/routes.js';
import { Rtnl } from '../kernel/rtnetlink.js';
import { openDataPlane, type PlaneRequest } from '../kernel/select-plane.js';
import { logger } from '../util/log.js';
import { VrrpManager } from '../vrrp/manager.js';
import { RtnlVipManager } from '../vrrp/rtnl-vips.js';
import { SyncDaemonFollower, wantedSyncDaemon } from '../vrrp/sync-daemon.js';
import { hostFacts } from './host-facts.js';
import { StaticNetwork, staticFromConfig } from './static-net.js';
import { kernelVrrpDeps } from './vrrp-kernel.js';

const log = logger('daemon');

export interface DaemonOptions {
  readonly configFile: string;
  readonly configId?: string;
  readonly plane: PlaneRequest;
  readonly stateDir: string;
  readonly apiSocket: string;
  readonly apiSocketGid?: number;
  readonly apiSocketMode?: number;
  readonly apiListen?: { host: string; port: number };
  /** The read-only status page listener. */
  readonly statusListen?: { host: string; port: number };
  readonly apiTokenFile?: string;
  readonly apiTls?: { cert: string; key: string };
  readonly pidFile?: string;
  readonly flushOnStop?: boolean;
  readonly checkConcurrency?: number;
}

export interface Daemon {
  readonly director: Director;
  /** Re-reads the config and applies it: the data plane by difference, then VRRP. */
  reload(): Promise<ReloadReport>;
  readonly api: ApiServer;
  readonly metrics: Metrics;
  readonly plane: DataPlane;
  stop(): Promise<void>;
}

export async function startDaemon(opts: DaemonOptions): Promise<Daemon> {
  const { plane, choice } = await openDataPlane({ request: opts.plane });
  log.info({ plane: plane.kind, reason: choice.reason }, 'data plane selected');
  const metrics = createMetrics(() => plane);
  const health = new HealthChecker({
    ...(opts.checkConcurrency ? { concurrency: opts.checkConcurrency } : {}),
  });
  // What the status page shows besides config and kernel state.
  const events = new EventLog();
  const probes = new ProbeLedger();
  const rates = new RateHistory();
  const vrrpSince = new Map<string, string>();
  health.onProbe((ev) => {
    if (log.isLevelEnabled('debug')) log.debug(ev, 'probe');
    metrics.observeProbe(ev);
    if (!ev.skipped) probes.record(ev.target, ev.ok, ev.latencyMs, ev.reason);
  });
  health.onState((ev) => {
    metrics.realServerUp.set({ target: ev.target }, ev.up ? 1 : 0);
    events.add('health', `${ev.target} ${ev.up ? 'UP' : 'DOWN'}: ${ev.reason}`);
  });
  mkdirSync(opts.stateDir, { recursive: true });

  let vrrp: VrrpManager | null = null;
  let sync: SyncDaemonFollower | null = null;
  const config = (): FloatlbConfig => director.currentConfig!;
  const director: Director = new Director({
    plane,
    health,
    adminStatePath: join(opts.stateDir, 'admin-state.json'),
    loadConfig: () => loadConfig(opts.configFile, opts.configId ? { configId: opts.configId } : {}),
    onApplied: (ops, errors) => {
      for (const op of ops) metrics.reconcileOps.inc({ op: op.op });
      if (errors) metrics.reconcileErrors.inc(errors);
      if (errors) events.add('refused', `the data plane refused ${errors} of ${ops.length} operations`);
      void sync?.poke();
    },
  });
  metrics.setRefusedSource(() => director.refusedServices());
  const first = await director.start();
  log.info(
    { operations: first.ops.length, errors: first.errors.length, ops: first.ops.map(describeOp) },
    'started',
  );

  const rtnl = new Rtnl();
  // The checks read the host only when there is a NAT real server to check.
  if (natRealServers(config()).length > 0) {
    for (const w of preflightWarnings(config(), await hostFacts(rtnl))) log.warn(w);
  }
  // static_* entries are held whatever the VRRP state, from before the instances start.
  const statics = new StaticNetwork(new RtnlVipManager(rtnl, 'eth0'), new KernelRouteTable(rtnl));
  await statics.apply(staticFromConfig(config()));
  const startVrrp = async (c: FloatlbConfig) => {
    if (!c.vrrpInstances.length) return null;
    const m = new VrrpManager(
      c,
      kernelVrrpDeps(config, rtnl, (instance, state) => {
        vrrpSince.set(instance, new Date().toISOString());
        // The manager is assigned after its first transitions: read the reason on the next turn.
        setImmediate(() => {
          const why = vrrp?.status().find((v) => v.name === instance)?.reason;
          events.add('vrrp', `${instance} -> ${state}${why ? `: ${why}` : ''}`);
        });
        void sync?.poke();
      }),
    );
    await m.start();
    return m;
  };
  vrrp = await startVrrp(config());
  // The sync daemon is set from the VRRP roles on every pass (role change,
  // reconcile, reload), and a failed pass is retried.
  if (plane.syncDaemon) {
    sync = new SyncDaemonFollower(plane.syncDaemon, () =>
      wantedSyncDaemon(config().globalDefs.lvsSyncDaemon, vrrp?.roles() ?? new Map()),
    );
    void sync.poke();
  }
  const vrrpStatus = () => vrrp?.status() ?? [];
  metrics.setVrrpSource(() =>
    vrrpStatus().map((v) => {
      const st = (v.stats ?? {}) as { splitBrain?: number; dropped?: Record<string, number> };
      return {
        name: String(v.name),
        state: String(v.state),
        splitBrain: st.splitBrain ?? 0,
        dropped: st.dropped ?? {},
      };
    }),
  );
  // VRRP reloads by difference, instance by instance: nothing unchanged is touched.
  const reloadVrrp = async () => {
    const c = config();
    await statics.apply(staticFromConfig(c));
    if (vrrp) await vrrp.update(c);
    else vrrp = await startVrrp(c);
    await sync?.poke();
  };

  // One reload at a time, whoever asks: a second waits for the first.
  let reloading: Promise<unknown> = Promise.resolve();
  const reload = (): Promise<ReloadReport> => {
    const run = reloading.then(async (): Promise<ReloadReport> => {
      const r = await director.reload();
      log.info({ operations: r.ops.length, ops: r.ops.map(describeOp) }, 'reloaded');
      events.add('reload', `reloaded: ${r.ops.length} operations, ${r.errors.length} errors`);
      await reloadVrrp();
      return { operations: r.ops.length, errors: r.errors, warnings: director.configWarnings };
    });
    reloading = run.catch(() => undefined);
    return run;
  };

  const token = opts.apiTokenFile ? readFileSync(opts.apiTokenFile, 'utf8').trim() : undefined;
  if (opts.apiListen && !token) throw new Error('a TCP API listener needs --api-token-file');
  mkdirSync(dirname(opts.apiSocket), { recursive: true });
  const api = new ApiServer(
    {
      director,
      vrrp: (): Json => vrrpStatus() as Json,
      startedAt: new Date(),
      configFile: opts.configFile,
      reload,
    },
    {
      unix: {
        path: opts.apiSocket,
        ...(opts.apiSocketGid !== undefined ? { gid: opts.apiSocketGid } : {}),
        ...(opts.apiSocketMode !== undefined ? { mode: opts.apiSocketMode } : {}),
      },
      ...(opts.apiListen && token
        ? { tcp: { ...opts.apiListen, token, ...(opts.apiTls ? { tls: opts.apiTls } : {}) } }
        : {}),
      metrics: metrics.registry,
      status: {
        director,
        vrrp: vrrpStatus,
        planeReason: choice.reason,
        events,
        probes,
        rates,
        vrrpSince,
      },
      ...(opts.statusListen ? { statusListen: opts.statusListen } : {}),
      ...(token ? { statusToken: token } : {}),
    },
  );
  await api.listen();
  // The data plane's counters become rates for the page's charts.
  const sampler = setInterval(() => {
    plane.list().then(
      (s) => rates.sample(s),
      () => undefined,
    );
  }, 1000);
  sampler.unref();
  if (opts.pidFile) writeFileSync(opts.pidFile, `${process.pid}\n`);

  let stopping: Promise<void> | null = null;
  return {
    director,
    api,
    metrics,
    plane,
    reload,
    stop() {
      stopping ??= (async () => {
        // Release the VIP first (priority 0), so the peer takes over at once.
        clearInterval(sampler);
        await vrrp?.stop();
        await statics.release();
        await sync?.poke();
        sync?.close();
        rtnl.close();
        await api.close();
        await director.stop(opts.flushOnStop ? { flush: true } : {});
        plane.close();
        if (opts.pidFile) rmSync(opts.pidFile, { force: true });
        log.info('stopped; kernel state left in place');
      })();
      return stopping;
    },
  };
}

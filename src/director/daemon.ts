// `floatlb run`: wires config, data plane, health checker, director, control
// API, metrics and signals into one long-running process.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createMetrics, type Metrics } from '../api/metrics.js';
import type { Json } from '../api/routes.js';
import { ApiServer } from '../api/server.js';
import { loadConfig } from '../config/index.js';
import type { FloatlbConfig } from '../config/model.js';
import { HealthChecker } from '../health/index.js';
import type { DataPlane } from '../kernel/dataplane.js';
import { Rtnl } from '../kernel/rtnetlink.js';
import { openDataPlane, type PlaneRequest } from '../kernel/select-plane.js';
import { getIpForward, getSendRedirects } from '../kernel/sysctl.js';
import { logger } from '../util/log.js';
import { Director, describeOp } from './director.js';
import { type HostFacts, natRealServers, preflightWarnings } from './preflight.js';
import { VrrpManager } from './vrrp-manager.js';
import { kernelVrrpDeps } from './vrrp-wiring.js';

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
  readonly apiTokenFile?: string;
  readonly apiTls?: { cert: string; key: string };
  readonly pidFile?: string;
  readonly flushOnStop?: boolean;
  readonly checkConcurrency?: number;
}

export interface Daemon {
  readonly director: Director;
  /** Re-reads the config: data plane diff, then VRRP if its settings changed. */
  reload(): Promise<void>;
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
  health.onProbe((ev) => metrics.observeProbe(ev));
  health.onState((ev) => metrics.realServerUp.set({ target: ev.target }, ev.up ? 1 : 0));
  mkdirSync(opts.stateDir, { recursive: true });
  const director = new Director({
    plane,
    health,
    adminStatePath: join(opts.stateDir, 'admin-state.json'),
    loadConfig: () => loadConfig(opts.configFile, opts.configId ? { configId: opts.configId } : {}),
    onApplied: (ops, errors) => {
      for (const op of ops) metrics.reconcileOps.inc({ op: op.op });
      if (errors) metrics.reconcileErrors.inc(errors);
    },
  });
  const first = await director.start();
  log.info(
    { operations: first.ops.length, errors: first.errors.length, ops: first.ops.map(describeOp) },
    'started',
  );

  const rtnl = new Rtnl();
  // The checks read the host only when there is a NAT real server to check.
  if (natRealServers(director.currentConfig!).length > 0) {
    for (const w of preflightWarnings(director.currentConfig!, await hostFacts(rtnl))) log.warn(w);
  }
  let vrrp: VrrpManager | null = null;
  const startVrrp = async (config: FloatlbConfig) => {
    if (!config.vrrpInstances.length) return null;
    const m = new VrrpManager(
      config,
      kernelVrrpDeps(config, rtnl, plane, () => undefined),
    );
    await m.start();
    return m;
  };
  vrrp = await startVrrp(director.currentConfig!);
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
  // A reload restarts VRRP only when its own settings changed: a restart
  // releases the VIP to the peer for a moment.
  const vrrpKey = (c: FloatlbConfig | null) =>
    JSON.stringify(
      c ? [c.vrrpInstances.map(({ source: _s, ...i }) => i), c.vrrpSyncGroups, c.vrrpScripts] : null,
    );
  let vrrpApplied = vrrpKey(director.currentConfig);
  const reloadVrrp = async () => {
    const key = vrrpKey(director.currentConfig);
    if (key === vrrpApplied) return;
    log.warn('VRRP settings changed: restarting VRRP instances');
    await vrrp?.stop();
    vrrp = await startVrrp(director.currentConfig!);
    vrrpApplied = key;
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
      afterReload: reloadVrrp,
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
    },
  );
  await api.listen();
  if (opts.pidFile) writeFileSync(opts.pidFile, `${process.pid}\n`);

  let stopping: Promise<void> | null = null;
  return {
    director,
    api,
    metrics,
    plane,
    async reload() {
      const r = await director.reload();
      log.info({ operations: r.ops.length, ops: r.ops.map(describeOp) }, 'reloaded');
      await reloadVrrp();
    },
    stop() {
      stopping ??= (async () => {
        // Release the VIP first (priority 0), so the peer takes over at once.
        await vrrp?.stop();
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

/** SIGHUP reloads; SIGTERM and SIGINT stop. */
export function handleSignals(d: Daemon): void {
  process.on('SIGHUP', () => {
    log.info('SIGHUP: reloading');
    d.reload().catch((e: unknown) => log.error({ err: (e as Error).message }, 'reload refused'));
  });
  const stop = (sig: string) => {
    log.info(`${sig}: stopping`);
    d.stop().then(
      () => process.exit(0),
      (e: unknown) => {
        log.error({ err: e }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

/** What the start-up checks need to know about this host's network settings. */
async function hostFacts(rtnl: Rtnl): Promise<HostFacts> {
  const names = new Map((await rtnl.links()).map((l) => [l.index, l.name]));
  const addresses = (await rtnl.addresses()).map((a) => ({
    ifname: names.get(a.ifindex) ?? '',
    family: a.family,
    address: a.address,
    prefixLen: a.prefixLen,
  }));
  // A knob that cannot be read (no IPv4 on the interface) counts as off.
  const orOff = (read: () => boolean) => {
    try {
      return read();
    } catch {
      return false;
    }
  };
  return {
    ipForward: orOff(getIpForward),
    addresses,
    sendRedirects: (ifname) => orOff(() => getSendRedirects(ifname)),
  };
}

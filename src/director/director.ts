// The director: config × health × admin state → desired kernel state, applied
// as a minimal diff. One reconcile runs at a time; requests that arrive while
// it runs are coalesced into one more pass. "Actual" is the last committed
// state held in memory (committed.ts), read from the kernel only at start,
// after a failed apply and on the periodic resync. A health event or an admin
// change recomputes only the virtual servers it touches.
import type { ConfigResult, FloatlbConfig } from '../config/index.js';
import type { VirtualServer } from '../config/model.js';
import type { StateEvent, TargetConfig, TargetState } from '../health/index.js';
import { type DataPlane, type DataPlaneOp, type LvsTimeouts, serviceId } from '../kernel/dataplane.js';
import { logger } from '../util/log.js';
import { type AdminReport, afterWrite } from './admin-report.js';
import {
  type AdminState,
  AdminStateWriter,
  EMPTY_ADMIN_STATE,
  isWeight,
  type LinkState,
  loadAdminState,
  type RealServerOverride,
  withLink,
  withOverride,
  withOwned,
} from './admin-state.js';
import { healthTargets, type PlannedTarget, sslLoadProblem } from './checks.js';
import { Committed } from './committed.js';
import { type PoolStatus, realServerKey, virtualServerId } from './desired.js';
import { DesiredState } from './desired-state.js';
import { describeOp, diffServices } from './diff.js';
import { applyLvsGlobals } from './lvs-globals.js';
import {
  applyHaSuspend,
  defaultScriptRunner,
  HA_SUSPEND_POLL_MS,
  hostAddresses,
  type ScriptRunner,
  scriptFor,
} from './vs-scripts.js';

export { describeOp, type ScriptRunner };

const log = logger('director');

/** What the director needs of a health checker; HealthChecker fits. */
export interface HealthSource {
  setTargets(list: TargetConfig[]): Promise<void>;
  onState(fn: (ev: StateEvent) => void): () => void;
  states(): TargetState[];
  start(): void;
  stop(): Promise<void>;
  /** Pauses a target's checks, keeping its state (ha_suspend). */
  setSuspended?(id: string, suspended: boolean): void;
  /** Runs notify_down for these targets where up (omega, at shutdown). */
  notifyDownAll?(ids: ReadonlySet<string>, reason: string): Promise<void>;
}

export interface DirectorOptions {
  readonly plane: DataPlane;
  readonly health: HealthSource;
  readonly loadConfig: () => Promise<ConfigResult>;
  readonly adminStatePath: string;
  /** Called after every reconcile with the operations applied (metrics). */
  readonly onApplied?: (ops: readonly DataPlaneOp[], errors: number) => void;
  /** Runs quorum scripts (tests observe them); default: as their user, under script security. */
  readonly runScript?: ScriptRunner;
  /** This host's addresses, for ha_suspend; default: the interfaces Node sees. */
  readonly localAddresses?: () => ReadonlySet<string>;
  /** Writes the admin state durably; default: temp file, fsync, rename, fsync of the directory. */
  readonly writeAdminState?: (path: string, s: AdminState, owned: boolean) => Promise<void>;
  /** How often the kernel is read back to find drift (ms); default 10 minutes, 0: never. */
  readonly resyncMs?: number;
}

export const DEFAULT_RESYNC_MS = 600_000;

export class DirectorError extends Error {
  readonly status: number;
  constructor(message: string, status = 400) {
    super(message);
    this.name = 'DirectorError';
    this.status = status;
  }
}

export interface ReconcileReport {
  readonly ops: readonly DataPlaneOp[];
  readonly errors: readonly string[];
  readonly transactions: number;
}

export type { AdminReport } from './admin-report.js';

export class Director {
  private config: FloatlbConfig | null = null;
  private admin: AdminState = EMPTY_ADMIN_STATE;
  /** What each health target is about, by the checker's id. */
  private targets = new Map<string, PlannedTarget>();
  private readonly desired = new DesiredState((vs, up) => this.runQuorumScript(vs, up));
  /** What the kernel holds as far as the director knows; null: read it at the next pass. */
  private committed: Committed | null = null;
  private dirty: Set<number> | 'all' = 'all';
  private resyncing = false;
  private resyncTimer: NodeJS.Timeout | null = null;
  private timeouts: LvsTimeouts | null = null;
  /** Global LVS settings the plane could not apply. */
  globalWarnings: string[] = [];
  private running: Promise<ReconcileReport> | null = null;
  private again = false;
  private stopped = false;
  private unsubscribe: (() => void) | null = null;
  private suspendTimer: NodeJS.Timeout | null = null;
  private readonly suspended = new Set<string>();
  /** Quorum scripts still running; stop() waits for them. */
  private readonly scripts = new Set<Promise<void>>();
  readonly counters = {
    reconciles: 0,
    opsApplied: 0,
    opErrors: 0,
    reloads: 0,
    reloadFailures: 0,
    /** Full reads of the kernel (start, after errors, resync). */
    kernelReads: 0,
    /** Resyncs that found the kernel different from the committed state. */
    drifts: 0,
  };
  lastReconcile: ReconcileReport | null = null;
  configWarnings: string[] = [];
  private readonly writer: AdminStateWriter;

  constructor(private readonly opts: DirectorOptions) {
    this.writer = new AdminStateWriter(opts.adminStatePath, opts.writeAdminState);
  }

  get plane(): DataPlane {
    return this.opts.plane;
  }

  get currentConfig(): FloatlbConfig | null {
    return this.config;
  }

  get adminState(): AdminState {
    return this.admin;
  }

  /** Loads config and admin state, adopts kernel state, starts checks. */
  async start(): Promise<ReconcileReport> {
    this.admin = loadAdminState(this.opts.adminStatePath);
    const r = await this.mustLoad();
    await this.applyGlobals(r.config!, true);
    await this.applyConfig(r);
    this.unsubscribe = this.opts.health.onState((ev) => this.onHealth(ev));
    this.opts.health.start();
    this.suspendTimer = setInterval(() => this.applySuspension(), HA_SUSPEND_POLL_MS);
    this.suspendTimer.unref();
    const every = this.opts.resyncMs ?? DEFAULT_RESYNC_MS;
    if (every > 0) {
      this.resyncTimer = setInterval(() => void this.resync().catch(() => undefined), every);
      this.resyncTimer.unref();
    }
    return this.reconcile();
  }

  /** Re-reads the config; a bad config changes nothing and is reported. */
  async reload(): Promise<ReconcileReport> {
    this.counters.reloads++;
    let r: ConfigResult;
    try {
      r = await this.mustLoad();
    } catch (e) {
      this.counters.reloadFailures++;
      throw e;
    }
    await this.applyGlobals(r.config!, false);
    await this.applyConfig(r);
    return this.reconcile();
  }

  async stop(opts: { flush?: boolean } = {}): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    if (this.suspendTimer) clearInterval(this.suspendTimer);
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    await this.opts.health.stop();
    if (this.running) await this.running.catch(() => undefined);
    await this.omega();
    await Promise.all([...this.scripts]);
    await this.writer.flush();
    const flush = opts.flush ?? this.config?.globalDefs.lvsFlushOnStop ?? false;
    if (flush) {
      const owned = new Set(this.admin.ownedServices);
      const ops: DataPlaneOp[] = (await this.plane.list())
        .filter((s) => owned.has(serviceId(s.key)))
        .map((s) => ({ op: 'delete-service', key: s.key }));
      await this.plane.apply(ops);
      log.info({ services: ops.length }, 'flushed owned services on stop');
    }
  }

  private async mustLoad(): Promise<ConfigResult> {
    const r = await this.opts.loadConfig();
    if (!r.ok || !r.config) {
      const first = r.diagnostics.find((d) => d.severity === 'error');
      const where = first
        ? `${first.file}:${first.line}:${first.column}: ${first.message}`
        : 'unusable config';
      throw new DirectorError(`config rejected, nothing changed: ${where}`, 422);
    }
    const ssl = sslLoadProblem(r.config);
    if (ssl) throw new DirectorError(`config rejected, nothing changed: ${ssl}`, 422);
    return r;
  }

  private async applyConfig(r: ConfigResult): Promise<void> {
    const config = r.config!;
    const plan = healthTargets(config);
    if (plan.skipped.length)
      log.error({ checkers: plan.skipped }, 'checkers that cannot run: their real servers count as down');
    this.configWarnings = r.diagnostics
      .filter((d) => d.severity === 'warning')
      .map((d) => `${d.file}:${d.line}:${d.column}: ${d.message}`);
    // Every warning reaches the log, so a keyword that does nothing is never silent.
    for (const w of this.configWarnings) log.warn(`config: ${w}`);
    await this.opts.health.setTargets(plan.targets.map((t) => t.config));
    this.targets = new Map(plan.targets.map((t) => [t.config.id, t]));
    this.config = config;
    this.desired.index(config);
    this.dirty = 'all';
    this.suspended.clear();
    this.applySuspension();
  }

  /** ha_suspend: checks paused while this host does not hold the VIP (the VRRP backup). */
  private applySuspension(): void {
    const set = this.opts.health.setSuspended?.bind(this.opts.health);
    if (this.config && set)
      applyHaSuspend(this.config, this.suspended, set, this.opts.localAddresses ?? hostAddresses);
  }

  private runQuorumScript(vs: VirtualServer, up: boolean): void {
    const ref = up ? vs.quorumUp : vs.quorumDown;
    if (!ref) return;
    const what = `${up ? 'quorum_up' : 'quorum_down'} ${virtualServerId(vs)}`;
    const g = this.config?.globalDefs;
    const script = scriptFor(ref, g?.scriptUser ?? null, g?.scriptGroup ?? null);
    const runner = this.opts.runScript ?? defaultScriptRunner(g?.enableScriptSecurity ?? false);
    const run = runner(script, what)
      .catch((e: unknown) => log.warn({ script: what, err: (e as Error).message }, 'quorum script failed'))
      .finally(() => this.scripts.delete(run));
    this.scripts.add(run);
  }

  /** omega: at shutdown, quorum_down for services that hold quorum, notify_down for live servers. */
  private async omega(): Promise<void> {
    const ids = new Set<string>();
    for (const vs of this.config?.virtualServers ?? []) {
      if (!vs.omega) continue;
      if (this.desired.quorum.get(virtualServerId(vs))) this.runQuorumScript(vs, false);
      for (const rs of vs.realServers) ids.add(realServerKey(vs, rs));
    }
    if (ids.size) await this.opts.health.notifyDownAll?.(ids, 'shutdown (omega)');
  }

  /** lvs_flush (start only) and lvs_timeouts, through the plane's global settings. */
  private async applyGlobals(config: FloatlbConfig, atStart: boolean): Promise<void> {
    const r = await applyLvsGlobals(this.plane, config.globalDefs, atStart, this.timeouts);
    this.timeouts = r.timeouts;
    this.globalWarnings = r.warnings;
  }

  /**
   * Runs a reconcile now, or once more after the one in progress. Without
   * `only` every virtual server is recomputed; with it, only those (by index
   * in the config), diffed against the committed state.
   */
  reconcile(only?: Iterable<number>): Promise<ReconcileReport> {
    if (only === undefined) this.dirty = 'all';
    else if (this.dirty !== 'all') for (const i of only) this.dirty.add(i);
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      let report: ReconcileReport;
      do {
        this.again = false;
        report = await this.reconcileOnce();
      } while (this.again && !this.stopped);
      return report;
    })().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** Reads the kernel back and repairs whatever differs from the committed state. */
  resync(): Promise<ReconcileReport> {
    this.committed = null;
    this.resyncing = true;
    return this.reconcile();
  }

  private onHealth(ev: StateEvent): void {
    log.info({ target: ev.target, up: ev.up, reason: ev.reason }, 'health changed');
    const t = this.targets.get(ev.target);
    if (!t) return void this.reconcile();
    void this.reconcile(this.desired.setResult(t, ev));
  }

  private async reconcileOnce(): Promise<ReconcileReport> {
    const config = this.config;
    if (!config) return { ops: [], errors: [], transactions: 0 };
    let scope = this.dirty;
    this.dirty = new Set();
    const resync = this.resyncing;
    this.resyncing = false;
    if (!this.committed) {
      this.committed = new Committed(await this.plane.list());
      this.counters.kernelReads++;
      scope = 'all';
    }
    const full = scope === 'all';
    if (full) this.desired.readResults(this.opts.health.states(), this.targets);
    const wanted = this.desired.compute(config, this.admin, scope === 'all' ? null : scope, this.plane);
    // A refused service floatlb owned is left as the kernel holds it, not deleted.
    const owned = full ? new Set(this.admin.ownedServices.filter((id) => !this.desired.isRefused(id))) : null;
    const diff = diffServices(wanted, this.committed.services, owned);
    let errors: string[] = [];
    let transactions = 0;
    if (diff.ops.length) {
      const res = await this.plane.apply(diff.ops);
      transactions = res.transactions;
      errors = res.errors.map((e) => `${e.op.op}: ${e.error.message}`);
      for (const op of diff.ops) log.info({ op: describeOp(op) }, 'applied');
      for (const e of errors) log.error({ error: e }, 'operation failed');
      this.counters.opsApplied += res.applied;
      this.counters.opErrors += res.errors.length;
      // What the kernel holds after a failure is unknown: read it at the next pass.
      if (res.errors.length) this.committed = null;
      else this.committed.fold(diff.ops);
    }
    if (resync && diff.ops.length) {
      this.counters.drifts++;
      log.warn({ operations: diff.ops.length }, 'the kernel differed from the committed state; repaired');
    }
    const ownedNow = full ? withOwned(this.admin, diff.owned) : this.admin;
    if (ownedNow !== this.admin) {
      this.admin = ownedNow;
      // through the writer, so it never races an admin change's write
      await this.writer.save(this.admin);
    }
    this.counters.reconciles++;
    this.opts.onApplied?.(diff.ops, errors.length);
    this.lastReconcile = { ops: diff.ops, errors, transactions };
    return this.lastReconcile;
  }

  // Admin operations: validate, then write the admin state and change the
  // kernel at the same time. The write (temp file, fsync, rename, fsync of
  // the directory) runs on the thread pool, so it no longer adds its tens of
  // milliseconds to the kernel change. A reply says `persisted: true` only
  // when the write was durable before it; `durable` waits for that. A kill
  // -9 before the write is durable loses the change (the kernel returns to
  // the file's state at the next start), which the reply did not claim.

  poolsStatus(): readonly PoolStatus[] {
    return this.desired.pools();
  }

  /** Services the data plane cannot program, with why and the nearest setting it can. */
  refusedServices(): Array<{ service: string; reason: string }> {
    return this.desired.refusedServices();
  }

  /** Pools answering on a VIP (several ports of one LB IP form one pool). */
  poolsForVip(vip: string): PoolStatus[] {
    return this.desired.poolsForVip(vip);
  }

  /** Virtual servers computed since start (a change recomputes only its own). */
  get virtualServersComputed(): number {
    return this.desired.computed;
  }

  /** Links are the adapters' contract: the reply always waits until the state is durable. */
  async setLink(vip: string, node: string, state: LinkState): Promise<AdminReport> {
    const pools = this.poolsForVip(vip);
    if (!pools.length) throw new DirectorError(`no virtual server answers on ${vip}`, 404);
    if (!pools.some((p) => p.members.some((m) => m.node === node))) {
      throw new DirectorError(`${node} is not a real server behind ${vip}`, 404);
    }
    const exclusive = pools.some((p) => p.activeStandby);
    const written = this.persist(withLink(this.admin, vip, node, state, exclusive));
    return afterWrite(written, this.reconcile(this.desired.byVipAddress(vip)), true);
  }

  async setOverride(
    virtualServer: string,
    server: string,
    o: RealServerOverride | null,
    opts: { durable?: boolean } = {},
  ): Promise<AdminReport> {
    if (o?.weight !== undefined && !isWeight(o.weight)) {
      throw new DirectorError(`weight ${JSON.stringify(o.weight)} is not an integer 0-65535`);
    }
    // by the desired state's index: a scan of 10,000 virtual servers costs more than the kernel change
    const at = this.desired.byId(virtualServer)[0];
    const vs = at === undefined ? undefined : this.config?.virtualServers[at];
    if (!vs) throw new DirectorError(`no virtual server ${virtualServer}`, 404);
    const rs = vs.realServers.find(
      (r) => `${r.address.includes(':') ? `[${r.address}]` : r.address}:${r.port}` === server,
    );
    if (!rs) throw new DirectorError(`no real server ${server} in ${virtualServer}`, 404);
    const key = realServerKey(vs, rs);
    const merged = o === null ? null : { ...this.admin.overrides[key], ...o };
    const written = this.persist(withOverride(this.admin, key, merged));
    return afterWrite(written, this.reconcile(this.desired.byId(virtualServer)), opts.durable ?? true);
  }

  /** Starts the durable write of the new state; the state is in force at once. */
  private persist(next: AdminState): Promise<void> {
    this.admin = next;
    const written = this.writer.save(next);
    written.catch((e: unknown) => log.error({ err: (e as Error).message }, 'admin state not written'));
    return written;
  }
}

// The health checker: real servers (targets) and their checks. A target is up
// when all its checks are up (keepalived's rule); state events fire only on
// change, probe events on every attempt for metrics. notify_up/notify_down
// scripts run detached from the scheduler with a timeout.
import { logger } from '../util/log.js';
import { type Clock, realClock } from './clock.js';
import { type NotifyScript, runNotifyScript } from './notify.js';
import { probe as realProbe } from './probes/index.js';
import { CheckRunner, type CheckStatus, type ProbeFn } from './scheduler.js';
import { Semaphore } from './semaphore.js';
import type { BoundCheck, ProbeEvent, StateEvent, TargetSpec } from './types.js';

const log = logger('health');

export const DEFAULT_CONCURRENCY = 256;
export const DEFAULT_NOTIFY_TIMEOUT_MS = 10_000;

export type { NotifyScript };

export interface TargetConfig extends TargetSpec {
  notifyUp?: NotifyScript;
  notifyDown?: NotifyScript;
}

export interface CheckerOptions {
  /** Most probes in flight at once across all targets (default 256). */
  concurrency?: number;
  clock?: Clock;
  /** The probe implementation; tests inject fakes. */
  prober?: ProbeFn;
  notifyTimeoutMs?: number;
  enableScriptSecurity?: boolean;
  /** Runs a notify script; injectable so tests can observe calls. */
  runNotify?: (script: NotifyScript, ev: StateEvent) => Promise<void>;
}

export interface TargetState {
  id: string;
  up: boolean;
  reason: string;
  weight?: number;
  weightDelta?: number;
  checks: CheckStatus[];
}

type Listener<T> = (ev: T) => void;

interface Target {
  config: TargetConfig;
  runners: CheckRunner[];
  up: boolean;
  weight?: number;
  weightDelta?: number;
  key: string;
}

export class HealthChecker {
  private readonly targets = new Map<string, Target>();
  private readonly sem: Semaphore;
  private readonly clock: Clock;
  private readonly prober: ProbeFn;
  private readonly stateListeners: Array<Listener<StateEvent>> = [];
  private readonly probeListeners: Array<Listener<ProbeEvent>> = [];
  private started = false;
  /** Notify scripts still running; stop() waits for them. */
  private readonly notifying = new Set<Promise<void>>();

  constructor(private readonly opts: CheckerOptions = {}) {
    this.sem = new Semaphore(opts.concurrency ?? DEFAULT_CONCURRENCY);
    this.clock = opts.clock ?? realClock;
    this.prober = opts.prober ?? realProbe;
  }

  onState(fn: Listener<StateEvent>): () => void {
    this.stateListeners.push(fn);
    return () => this.stateListeners.splice(this.stateListeners.indexOf(fn) >>> 0, 1);
  }

  onProbe(fn: Listener<ProbeEvent>): () => void {
    this.probeListeners.push(fn);
    return () => this.probeListeners.splice(this.probeListeners.indexOf(fn) >>> 0, 1);
  }

  get inFlight(): number {
    return this.sem.inFlight;
  }

  /**
   * Replaces the target set. Targets whose id and checks are unchanged keep
   * their state and schedule; others are stopped, created or restarted.
   */
  async setTargets(list: TargetConfig[]): Promise<void> {
    const next = new Map(list.map((t) => [t.id, t]));
    const stops: Promise<void>[] = [];
    for (const [id, t] of this.targets) {
      const want = next.get(id);
      if (!want || keyOf(want) !== t.key) {
        stops.push(...t.runners.map((r) => r.stop()));
        this.targets.delete(id);
      } else {
        t.config = want;
      }
    }
    for (const cfg of list) if (!this.targets.has(cfg.id)) this.add(cfg);
    await Promise.all(stops);
  }

  private add(cfg: TargetConfig): void {
    const t: Target = { config: cfg, runners: [], up: false, key: keyOf(cfg) };
    cfg.checks.forEach((c, i) => {
      const bound: BoundCheck = { ...c, host: cfg.host, port: cfg.port };
      const startUp = !(c.alpha ?? cfg.alpha ?? false);
      const runner = new CheckRunner(cfg.id, i, bound, startUp, this.clock, this.sem, this.prober, {
        onProbe: (ev) => this.emitProbe(ev),
        onChange: () => this.reevaluate(t),
      });
      t.runners.push(runner);
    });
    t.up = t.runners.every((r) => r.status.up);
    this.targets.set(cfg.id, t);
    if (this.started) for (const r of t.runners) r.start();
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    for (const t of this.targets.values()) for (const r of t.runners) r.start();
  }

  /** Stops every check, waits for probes and notify scripts in flight. */
  async stop(): Promise<void> {
    this.started = false;
    const all: Promise<void>[] = [];
    for (const t of this.targets.values()) for (const r of t.runners) all.push(r.stop());
    await Promise.all(all);
    await Promise.all([...this.notifying]);
  }

  state(id: string): TargetState | undefined {
    const t = this.targets.get(id);
    if (!t) return undefined;
    const failing = t.runners.find((r) => !r.status.up);
    return {
      id,
      up: t.up,
      reason: failing ? failing.status.reason : 'all checks up',
      ...(t.weight === undefined ? {} : { weight: t.weight }),
      ...(t.weightDelta === undefined ? {} : { weightDelta: t.weightDelta }),
      checks: t.runners.map((r) => ({ ...r.status })),
    };
  }

  states(): TargetState[] {
    return [...this.targets.keys()].map((id) => this.state(id)!);
  }

  private reevaluate(t: Target): void {
    if (this.targets.get(t.config.id) !== t) return;
    const up = t.runners.every((r) => r.status.up);
    const dyn = t.runners.filter((r) => r.status.weight !== undefined);
    // Several misc_dynamic checks on one server add up their weights.
    const weight = dyn.length ? dyn.reduce((a, r) => a + r.status.weight!, 0) : undefined;
    // FILE_CHECK adjustments add up too, on top of the weight.
    const deltas = t.runners.filter((r) => r.status.weightDelta !== undefined);
    const weightDelta = deltas.length ? deltas.reduce((a, r) => a + r.status.weightDelta!, 0) : undefined;
    if (up === t.up && weight === t.weight && weightDelta === t.weightDelta) return;
    const changedState = up !== t.up;
    t.up = up;
    t.weight = weight;
    t.weightDelta = weightDelta;
    const failing = t.runners.find((r) => !r.status.up);
    const ev: StateEvent = {
      target: t.config.id,
      up,
      reason: failing ? failing.status.reason : 'all checks up',
      ...(weight === undefined ? {} : { weight }),
      ...(weightDelta === undefined ? {} : { weightDelta }),
    };
    log.info(
      { target: ev.target, up, reason: ev.reason, weight, weightDelta },
      up ? 'real server up' : 'real server down',
    );
    for (const fn of this.stateListeners) safeCall(fn, ev);
    if (changedState) this.notify(t, ev);
  }

  private emitProbe(ev: ProbeEvent): void {
    for (const fn of this.probeListeners) safeCall(fn, ev);
  }

  private notify(t: Target, ev: StateEvent): void {
    const script = ev.up ? t.config.notifyUp : t.config.notifyDown;
    if (!script) return;
    const run = (this.opts.runNotify ?? ((s, e) => this.runNotifyScript(s, e)))(script, ev)
      .catch((e: unknown) => log.warn({ target: ev.target, err: String(e) }, 'notify script failed'))
      .finally(() => this.notifying.delete(run));
    this.notifying.add(run);
  }

  private async runNotifyScript(script: NotifyScript, ev: StateEvent): Promise<void> {
    const r = await runNotifyScript(script, {
      enableScriptSecurity: this.opts.enableScriptSecurity ?? false,
      timeoutMs: this.opts.notifyTimeoutMs ?? DEFAULT_NOTIFY_TIMEOUT_MS,
    });
    if (r.timedOut || r.error || r.code !== 0) {
      log.warn({ target: ev.target, command: script.command, ...r }, 'notify script did not exit 0');
    }
  }

  /** Pauses (or resumes) a target's checks; its state stays as it was (keepalived's ha_suspend). */
  setSuspended(id: string, suspended: boolean): void {
    const t = this.targets.get(id);
    if (t) for (const r of t.runners) r.suspended = suspended;
  }

  /** Runs the notify_down script of every target that is up (keepalived's omega, at shutdown). */
  async notifyDownAll(ids: ReadonlySet<string>, reason: string): Promise<void> {
    const runs: Promise<void>[] = [];
    for (const t of this.targets.values()) {
      if (!ids.has(t.config.id) || !t.up || !t.config.notifyDown) continue;
      const ev: StateEvent = { target: t.config.id, up: false, reason };
      runs.push(
        this.runNotifyScript(t.config.notifyDown, ev).catch((e: unknown) =>
          log.warn({ target: ev.target, err: String(e) }, 'notify script failed'),
        ),
      );
    }
    await Promise.all(runs);
  }
}

function keyOf(t: TargetSpec): string {
  return JSON.stringify([t.host, t.port, t.alpha ?? false, t.checks], (_k, v: unknown) =>
    v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v,
  );
}

function safeCall<T>(fn: Listener<T>, ev: T): void {
  try {
    fn(ev);
  } catch (e) {
    log.error({ err: String(e) }, 'health listener threw');
  }
}

// One CheckRunner per (real server, checker): fixed-rate ticks every
// delay_loop after a random first delay, retries with delay_before_retry
// while the check is up, and rise/fall hysteresis on the retried outcome.
// A tick that finds the previous cycle still running is skipped and counted,
// so one hanging server never shifts anyone else's schedule.
import type { Clock, TimerHandle } from './clock.js';
import type { Semaphore } from './semaphore.js';
import { type BoundCheck, type ProbeEvent, type ProbeResult, resolveTiming, type Timing } from './types.js';

export type ProbeFn = (spec: BoundCheck, signal: AbortSignal) => Promise<ProbeResult>;

/** Extra time the scheduler grants a prober past its own timeout before giving up on it. */
export const GUARD_GRACE_MS = 500;

export interface CheckStatus {
  up: boolean;
  reason: string;
  weight?: number;
  /** FILE_CHECK: the adjustment to add to the real server's weight. */
  weightDelta?: number;
  okStreak: number;
  failStreak: number;
  completed: number;
  skipped: number;
}

export interface RunnerHooks {
  /** Called for every attempt (and every skipped tick). */
  onProbe(ev: ProbeEvent): void;
  /** Called when this check's up/down state or dynamic weight changes. */
  onChange(runner: CheckRunner): void;
}

export class CheckRunner {
  readonly timing: Timing;
  readonly status: CheckStatus;
  private timer: TimerHandle | null = null;
  private nextAt = 0;
  private running = false;
  private stopped = true;
  private readonly stopCtl = new AbortController();
  private attemptCtl = new AbortController();
  private idle: Promise<void> = Promise.resolve();
  /** While set, ticks pass without probing and the status stays as it is (ha_suspend). */
  suspended = false;

  constructor(
    readonly targetId: string,
    readonly index: number,
    readonly spec: BoundCheck,
    startUp: boolean,
    private readonly clock: Clock,
    private readonly sem: Semaphore,
    private readonly probeFn: ProbeFn,
    private readonly hooks: RunnerHooks,
  ) {
    this.timing = resolveTiming(spec);
    this.status = {
      up: startUp,
      reason: startUp ? 'initial state up' : 'alpha: waiting for the first pass',
      okStreak: 0,
      failStreak: 0,
      completed: 0,
      skipped: 0,
    };
  }

  /** The timeout of one attempt, as the scheduler enforces it. */
  attemptTimeout(): number {
    const s = this.spec;
    if (s.type === 'MISC_CHECK') return s.miscTimeout ?? this.timing.delayLoop;
    // SMTP: connect, greeting, HELO reply and QUIT reply each get connect_timeout, per host.
    if (s.type === 'SMTP_CHECK') return this.timing.connectTimeout * 4 * Math.max(1, s.hosts?.length ?? 0);
    return this.timing.connectTimeout;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    const first = this.timing.warmup > 0 ? this.clock.random() * this.timing.warmup : 0;
    this.nextAt = this.clock.now() + first;
    this.timer = this.clock.setTimeout(() => this.tick(), first);
  }

  /** Stops ticking, aborts any probe in flight and resolves once it has ended. */
  stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
    this.stopCtl.abort();
    this.attemptCtl.abort();
    return this.idle;
  }

  get busy(): boolean {
    return this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    const now = this.clock.now();
    this.nextAt += this.timing.delayLoop;
    // After a stall longer than a period, resume the cadence from now.
    if (this.nextAt < now) this.nextAt = now + this.timing.delayLoop;
    this.timer = this.clock.setTimeout(() => this.tick(), this.nextAt - now);
  }

  private tick(): void {
    this.timer = null;
    if (this.stopped) return;
    if (this.suspended) {
      this.schedule();
      return;
    }
    if (this.running) {
      this.status.skipped++;
      this.hooks.onProbe({
        target: this.targetId,
        check: this.index,
        type: this.spec.type,
        ok: false,
        latencyMs: 0,
        reason: 'previous probe still running',
        skipped: true,
      });
    } else {
      this.running = true;
      this.idle = this.cycle().finally(() => {
        this.running = false;
      });
    }
    this.schedule();
  }

  /** One scheduled run: the first attempt plus retries while the check is up. */
  private async cycle(): Promise<void> {
    const retries = this.status.up ? this.timing.retry : 0;
    let last: ProbeResult | null = null;
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (attempt > 0 && !(await this.sleep(this.timing.delayBeforeRetry))) return;
      last = await this.attempt();
      if (this.stopped) return;
      if (last.ok) break;
    }
    if (last) this.record(last);
  }

  private sleep(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      if (this.stopped) return resolve(false);
      const t = this.clock.setTimeout(() => {
        this.stopCtl.signal.removeEventListener('abort', onStop);
        resolve(!this.stopped);
      }, ms);
      const onStop = () => {
        this.clock.clearTimeout(t);
        resolve(false);
      };
      this.stopCtl.signal.addEventListener('abort', onStop, { once: true });
    });
  }

  private async attempt(): Promise<ProbeResult> {
    await this.sem.acquire();
    try {
      if (this.stopped) return { ok: false, reason: 'stopped', latencyMs: 0 };
      const r = await this.guarded();
      this.status.completed++;
      this.hooks.onProbe({
        target: this.targetId,
        check: this.index,
        type: this.spec.type,
        ok: r.ok,
        latencyMs: r.latencyMs,
        ...(r.reason === undefined ? {} : { reason: r.reason }),
      });
      return r;
    } finally {
      this.sem.release();
    }
  }

  /**
   * Runs the prober with an abort signal and a hard deadline of our own.
   * Attempts of one runner never overlap, so they share one controller until
   * it is aborted (by stop or by the guard); creating a signal and wiring it
   * to stop for every attempt cost about a tenth of the checker's CPU.
   */
  private guarded(): Promise<ProbeResult> {
    if (this.attemptCtl.signal.aborted && !this.stopped) this.attemptCtl = new AbortController();
    const ctl = this.attemptCtl;
    const limit = this.attemptTimeout() + GUARD_GRACE_MS;
    const t0 = this.clock.now();
    let guard: TimerHandle | null = null;
    let done = false;
    const hard = new Promise<ProbeResult>((resolve) => {
      const giveUp = () => {
        if (done) return;
        ctl.abort();
        resolve({ ok: false, reason: `no result within ${limit} ms`, latencyMs: this.clock.now() - t0 });
      };
      // After this loop turn's I/O: a result that came in while this process
      // was too busy to run its callbacks is taken, not counted as a failure.
      guard = this.clock.setTimeout(
        () => (this.clock.afterIo ? this.clock.afterIo(giveUp) : giveUp()),
        limit,
      );
    });
    const run = this.probeFn(this.spec, ctl.signal).catch(
      (e: unknown): ProbeResult => ({
        ok: false,
        reason: `prober error: ${e instanceof Error ? e.message : String(e)}`,
        latencyMs: this.clock.now() - t0,
      }),
    );
    return Promise.race([run, hard]).finally(() => {
      done = true;
      if (guard !== null) this.clock.clearTimeout(guard);
    });
  }

  /** Applies rise/fall to a cycle's outcome. */
  private record(r: ProbeResult): void {
    const s = this.status;
    let changed = false;
    if (r.ok) {
      s.okStreak++;
      s.failStreak = 0;
      if (!s.up && s.okStreak >= this.timing.rise) {
        s.up = true;
        s.reason = r.reason ?? `passed ${s.okStreak} time(s)`;
        changed = true;
      }
      if (r.weight !== s.weight || r.weightDelta !== s.weightDelta) {
        if (s.up) changed = true;
        s.weight = r.weight;
        s.weightDelta = r.weightDelta;
      }
    } else {
      s.failStreak++;
      s.okStreak = 0;
      if (s.up && s.failStreak >= this.timing.fall) {
        s.up = false;
        s.reason = r.reason ?? 'failed';
        changed = true;
      } else if (!s.up) {
        s.reason = r.reason ?? 'failed';
      }
    }
    if (changed) this.hooks.onChange(this);
  }
}

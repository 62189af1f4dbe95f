// The bookkeeping the batched probers (TCP connect, ICMP echo) share: probes
// in flight by key, one sweep timer over a deadline queue for the timeouts,
// abort signals, and a hook when the set becomes busy or idle, so a prober
// keeps the event loop alive only while it waits for something.
import { performance } from 'node:perf_hooks';
import { bucketOf, DeadlineQueue } from './tcp-connect-plan.js';

/** What every prober reports. */
export interface ProbeResult {
  readonly ok: boolean;
  /** Why it failed: an errno name (ECONNREFUSED...), an ICMP error, ETIMEDOUT on timeout, or ABORTED. */
  readonly error?: string;
  readonly timedOut?: boolean;
  readonly aborted?: boolean;
  readonly latencyMs: number;
}

/** Milliseconds since t0, to the microsecond. */
export const elapsed = (t0: number): number => Math.round((performance.now() - t0) * 1000) / 1000;

/** A probe in flight; `data` is what the prober needs to match an answer or free the probe. */
export interface InFlightProbe<K, D> {
  readonly key: K;
  readonly data: D;
  readonly t0: number;
  readonly deadline: number;
  settled: boolean;
  resolve: (r: ProbeResult) => void;
  signal: AbortSignal | null;
  onAbort: (() => void) | null;
}

export interface InFlightHooks<K, D> {
  /** The first probe is in flight. */
  busy(): void;
  /** The last probe settled. */
  idle(): void;
  /** Frees what the probe holds, once, as it settles. */
  release?(p: InFlightProbe<K, D>, r: ProbeResult): void;
}

export class ProbesInFlight<K, D> {
  private readonly byKey = new Map<K, InFlightProbe<K, D>>();
  private readonly deadlines = new DeadlineQueue<InFlightProbe<K, D>>();
  private timer: NodeJS.Timeout | null = null;
  private timerAt = Number.POSITIVE_INFINITY;

  constructor(
    private readonly hooks: InFlightHooks<K, D>,
    /** A timeout fires at most this much after its deadline. */
    private readonly granularityMs: number,
  ) {}

  get size(): number {
    return this.byKey.size;
  }

  has(key: K): boolean {
    return this.byKey.has(key);
  }

  get(key: K): InFlightProbe<K, D> | undefined {
    return this.byKey.get(key);
  }

  /** Waits for settle(), the timeout (ETIMEDOUT) or the signal (ABORTED), whichever comes first. */
  wait(key: K, data: D, t0: number, timeoutMs: number, signal?: AbortSignal): Promise<ProbeResult> {
    return new Promise<ProbeResult>((resolve) => {
      const p: InFlightProbe<K, D> = {
        key,
        data,
        t0,
        deadline: t0 + timeoutMs,
        settled: false,
        resolve,
        signal: null,
        onAbort: null,
      };
      if (signal) {
        p.signal = signal;
        p.onAbort = () =>
          this.settle(p, { ok: false, error: 'ABORTED', aborted: true, latencyMs: elapsed(t0) });
        signal.addEventListener('abort', p.onAbort, { once: true });
      }
      this.byKey.set(key, p);
      if (this.byKey.size === 1) this.hooks.busy();
      this.deadlines.push(p, timeoutMs);
      this.armAt(bucketOf(p.deadline, this.granularityMs));
    });
  }

  settle(p: InFlightProbe<K, D>, r: ProbeResult): void {
    if (p.settled) return;
    p.settled = true;
    this.byKey.delete(p.key);
    this.hooks.release?.(p, r);
    if (p.signal && p.onAbort) p.signal.removeEventListener('abort', p.onAbort);
    p.signal = null;
    p.onAbort = null;
    if (this.byKey.size === 0) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
      this.timerAt = Number.POSITIVE_INFINITY;
      this.hooks.idle();
    }
    p.resolve(r);
  }

  private sweep(): void {
    this.timer = null;
    this.timerAt = Number.POSITIVE_INFINITY;
    const due = this.deadlines.expire(performance.now());
    // Judged after this loop turn's I/O (timers run before the poll phase):
    // when the process was busy past the deadline, an answer that arrived in
    // time settles the probe first, and the timeout below finds it settled.
    if (due.length)
      setImmediate(() => {
        for (const p of due)
          this.settle(p, { ok: false, error: 'ETIMEDOUT', timedOut: true, latencyMs: elapsed(p.t0) });
      });
    const next = this.deadlines.next();
    if (next !== undefined) this.armAt(bucketOf(next, this.granularityMs));
  }

  private armAt(at: number): void {
    if (at >= this.timerAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    // +1: libuv's loop time may lag performance.now(); a sweep that still
    // comes early finds nothing due and re-arms.
    this.timer = setTimeout(() => this.sweep(), Math.max(0, at - performance.now()) + 1);
  }
}

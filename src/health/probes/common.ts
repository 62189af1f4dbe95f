// Helpers shared by the probers: target address, timing and abort wiring.
import type { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import { type BoundCheck, DEFAULTS, type ProbeResult } from '../types.js';

export function targetOf(spec: BoundCheck): { host: string; port: number } {
  return { host: spec.connectIp ?? spec.host, port: spec.connectPort ?? spec.port };
}

export function timeoutOf(spec: BoundCheck): number {
  return spec.connectTimeout ?? DEFAULTS.connectTimeout;
}

/** Starts a stopwatch; the returned functions build results with latency. */
export function stopwatch(): {
  ok: (extra?: Partial<ProbeResult>) => ProbeResult;
  fail: (reason: string) => ProbeResult;
} {
  const t0 = performance.now();
  const latencyMs = () => Math.round((performance.now() - t0) * 1000) / 1000;
  return {
    ok: (extra) => ({ ok: true, latencyMs: latencyMs(), ...extra }),
    fail: (reason) => ({ ok: false, reason, latencyMs: latencyMs() }),
  };
}

/**
 * Calls `fire` once when `ms` pass or the caller's signal aborts, whichever
 * comes first; `timedOut` tells which. Returns a disposer. A plain timer and
 * one listener: no extra AbortController per probe, which shows at scale.
 *
 * The timeout is judged after the I/O of the loop turn in which the timer
 * fires (setImmediate runs after the poll phase; timers run before it). When
 * the process itself was busy past the deadline, an answer that reached the
 * socket in time is read first, so our own lateness is not a server failure.
 */
export function deadline(
  signal: AbortSignal,
  ms: number,
  fire: (why: string, timedOut: boolean) => void,
): () => void {
  let late: NodeJS.Immediate | null = null;
  const timer = setTimeout(() => {
    late = setImmediate(() => fire(`timeout after ${ms} ms`, true));
  }, ms);
  const onAbort = () => fire('aborted', false);
  signal.addEventListener('abort', onAbort, { once: true });
  const dispose = () => {
    clearTimeout(timer);
    if (late) clearImmediate(late);
    signal.removeEventListener('abort', onAbort);
  };
  if (signal.aborted) queueMicrotask(onAbort);
  return dispose;
}

export function errText(err: unknown): string {
  if (err && typeof err === 'object') {
    const e = err as { code?: unknown; message?: unknown };
    if (typeof e.code === 'string') return e.code;
    if (typeof e.message === 'string') return e.message;
  }
  return String(err);
}

/**
 * A probe's single exit, whichever of reply, error, timeout or abort comes
 * first: it stops the deadline, leaves the socket with no listeners but one
 * that swallows a late 'error', closes it, and settles. Later calls do nothing.
 */
export function settleOnce<T>(
  sock: EventEmitter,
  close: () => void,
  stopDeadline: () => void,
  resolve: (value: T) => void,
): (value: T) => void {
  let done = false;
  return (value) => {
    if (done) return;
    done = true;
    stopDeadline();
    sock.removeAllListeners();
    sock.on('error', () => {});
    close();
    resolve(value);
  };
}

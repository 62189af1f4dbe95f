// Helpers shared by the probers: target address, timing and abort wiring.
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
 * A signal that aborts when the caller's does or after `ms`, and the reason
 * text to report. dispose() clears the timer.
 */
export function deadline(
  signal: AbortSignal,
  ms: number,
): { signal: AbortSignal; why: () => string; dispose: () => void } {
  const ctl = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    ctl.abort();
  }, ms);
  const onAbort = () => ctl.abort();
  if (signal.aborted) ctl.abort();
  else signal.addEventListener('abort', onAbort, { once: true });
  return {
    signal: ctl.signal,
    why: () => (timedOut ? `timeout after ${ms} ms` : 'aborted'),
    dispose: () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    },
  };
}

export function errText(err: unknown): string {
  if (err && typeof err === 'object') {
    const e = err as { code?: unknown; message?: unknown };
    if (typeof e.code === 'string') return e.code;
    if (typeof e.message === 'string') return e.message;
  }
  return String(err);
}

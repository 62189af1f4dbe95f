// Measures what a client saw: the split between real servers, and the
// continuity of service across an event (the longest gap between two
// successful new connections, and the attempts that failed in between).

export interface AttemptResult {
  /** When the attempt started (ms since the epoch). */
  t: number;
  ms: number;
  ok: boolean;
  who?: string;
  err?: string;
  /** On a timeout: how late the client's own timer fired (ms), a sign of CPU starvation. */
  lagMs?: number;
}

export interface Continuity {
  attempts: number;
  ok: number;
  failed: number;
  /** From the last success before the first failure to the first success after the last failure (ms); 0 when nothing failed. */
  gapMs: number;
  /**
   * The longest time in which no attempt succeeded: between the completions
   * of two consecutive successes (ms). Completions, not starts: an attempt
   * started just before a failover can still succeed after several seconds
   * of SYN retries, and by its start alone the outage would look short.
   */
  maxSuccessIntervalMs: number;
  byServer: Record<string, number>;
  errors: Record<string, number>;
  /** The latest any timed-out attempt's timer fired (ms). */
  maxTimeoutLagMs: number;
}

export function analyze(results: AttemptResult[]): Continuity {
  const rs = [...results].sort((a, b) => a.t - b.t);
  const byServer: Record<string, number> = {};
  const errors: Record<string, number> = {};
  let ok = 0;
  let failed = 0;
  let maxInterval = 0;
  let firstFail: number | null = null;
  let lastFail: number | null = null;
  let maxTimeoutLagMs = 0;
  const doneAt = rs
    .filter((r) => r.ok)
    .map((r) => r.t + r.ms)
    .sort((a, b) => a - b);
  for (let i = 1; i < doneAt.length; i++) maxInterval = Math.max(maxInterval, doneAt[i]! - doneAt[i - 1]!);
  for (const r of rs) {
    if (r.ok) {
      ok++;
      if (r.who) byServer[r.who] = (byServer[r.who] ?? 0) + 1;
    } else {
      failed++;
      if (r.err) errors[r.err] = (errors[r.err] ?? 0) + 1;
      if (r.lagMs !== undefined) maxTimeoutLagMs = Math.max(maxTimeoutLagMs, r.lagMs);
      firstFail ??= r.t;
      lastFail = r.t;
    }
  }
  let gapMs = 0;
  if (firstFail !== null && lastFail !== null) {
    const before = rs.filter((r) => r.ok && r.t < firstFail!).pop();
    const after = rs.find((r) => r.ok && r.t > lastFail!);
    const start = before?.t ?? rs[0]!.t;
    const end = after?.t ?? rs[rs.length - 1]!.t;
    gapMs = end - start;
  }
  return {
    attempts: rs.length,
    ok,
    failed,
    gapMs,
    maxSuccessIntervalMs: maxInterval,
    byServer,
    errors,
    maxTimeoutLagMs,
  };
}

/** Shares of each server in percent, from counts. */
export function shares(byServer: Record<string, number>): Record<string, number> {
  const total = Object.values(byServer).reduce((a, b) => a + b, 0);
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(byServer)) out[k] = total ? (100 * v) / total : 0;
  return out;
}

/** Checks that each server's share is within tolerance (percentage points) of its expected share. */
export function checkShares(
  byServer: Record<string, number>,
  expected: Record<string, number>,
  tolerancePct: number,
): string[] {
  const got = shares(byServer);
  const wsum = Object.values(expected).reduce((a, b) => a + b, 0);
  const problems: string[] = [];
  for (const [k, w] of Object.entries(expected)) {
    const want = (100 * w) / wsum;
    const have = got[k] ?? 0;
    if (Math.abs(have - want) > tolerancePct)
      problems.push(`${k}: ${have.toFixed(1)}% (expected ${want.toFixed(1)}% ± ${tolerancePct})`);
  }
  for (const k of Object.keys(got)) if (!(k in expected)) problems.push(`${k}: unexpected server answered`);
  return problems;
}

export function fmtShares(byServer: Record<string, number>): string {
  return Object.entries(shares(byServer))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k} ${v.toFixed(1)}%`)
    .join(', ');
}

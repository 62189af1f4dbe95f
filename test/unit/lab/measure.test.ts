import { describe, expect, it } from 'vitest';
import { type AttemptResult, analyze, checkShares } from '../../../lab/measure.js';

// One attempt every 100 ms, answered in 5 ms, by rs1 and rs2 in turn.
function steady(from: number, to: number): AttemptResult[] {
  const out: AttemptResult[] = [];
  for (let t = from, i = 0; t < to; t += 100, i++)
    out.push({ t, ms: 5, ok: true, who: i % 2 ? 'rs2' : 'rs1' });
  return out;
}

describe('analyze', () => {
  it('an outage is the longest time without a completed success, also when late attempts succeed', () => {
    // Dead from 1000 to 4000: the attempts started in it finish only once
    // the SYN retries get through at 4000, so by their starts alone the
    // service would look continuous.
    const late: AttemptResult[] = [];
    for (let t = 1000; t < 4000; t += 100) late.push({ t, ms: 4000 - t + 5, ok: true, who: 'rs1' });
    const c = analyze([...steady(0, 1000), ...late, ...steady(4000, 5000)]);
    expect(c.failed).toBe(0);
    expect(c.gapMs).toBe(0);
    expect(c.maxSuccessIntervalMs).toBe(3100);
  });

  it('counts failures by error, the gap from the last success before them to the first after, and timer lag', () => {
    const failed: AttemptResult[] = [
      { t: 1000, ms: 4000, ok: false, err: 'ETIMEDOUT', lagMs: 12 },
      { t: 1100, ms: 4000, ok: false, err: 'ETIMEDOUT-reply', lagMs: 300 },
      { t: 1200, ms: 2, ok: false, err: 'ECONNREFUSED' },
    ];
    const c = analyze([...steady(0, 1000), ...failed, ...steady(1300, 2000)]);
    expect(c).toMatchObject({
      attempts: 20,
      ok: 17,
      failed: 3,
      gapMs: 400,
      errors: { ETIMEDOUT: 1, 'ETIMEDOUT-reply': 1, ECONNREFUSED: 1 },
      maxTimeoutLagMs: 300,
      byServer: { rs1: 9, rs2: 8 },
    });
    expect(c.maxSuccessIntervalMs).toBe(400);
  });
});

describe('checkShares', () => {
  it('names a server outside the tolerance and one that should not answer', () => {
    expect(checkShares({ a: 40, b: 30, c: 30 }, { a: 4, b: 3, c: 3 }, 5)).toEqual([]);
    expect(checkShares({ a: 50, b: 25, c: 25 }, { a: 4, b: 3, c: 3 }, 5)).toEqual([
      'a: 50.0% (expected 40.0% ± 5)',
    ]);
    expect(checkShares({ a: 10, x: 1 }, { a: 1 }, 50)).toEqual(['x: unexpected server answered']);
  });
});

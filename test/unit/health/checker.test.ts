import { describe, expect, it } from 'vitest';
import { HealthChecker, type TargetConfig } from '../../../src/health/checker.js';
import type {
  BoundCheck,
  CheckSpec,
  ProbeEvent,
  ProbeResult,
  StateEvent,
} from '../../../src/health/types.js';
import { FakeClock } from './fake-clock.js';

type Script = (spec: BoundCheck, call: number, signal: AbortSignal) => Promise<ProbeResult> | ProbeResult;

/** A prober whose answer per target comes from a script; records call times. */
function fakeProber(clock: FakeClock, scripts: Record<string, Script>) {
  const calls: Array<{ target: string; at: number }> = [];
  const counts = new Map<string, number>();
  const fn = async (spec: BoundCheck, signal: AbortSignal): Promise<ProbeResult> => {
    const key = `${spec.host}:${spec.port}`;
    const n = counts.get(key) ?? 0;
    counts.set(key, n + 1);
    calls.push({ target: key, at: clock.now() });
    return scripts[key]!(spec, n, signal);
  };
  return { fn, calls };
}

const pass = (): ProbeResult => ({ ok: true, latencyMs: 1 });
const fail = (reason: unknown = 'refused'): ProbeResult => ({
  ok: false,
  reason: typeof reason === 'string' ? reason : 'refused',
  latencyMs: 1,
});

function tcp(extra: Partial<CheckSpec> = {}): CheckSpec {
  return {
    type: 'TCP_CHECK',
    delayLoop: 1000,
    warmup: 0,
    connectTimeout: 300,
    retry: 0,
    ...extra,
  } as CheckSpec;
}

function target(host: string, checks: CheckSpec[], extra: Partial<TargetConfig> = {}): TargetConfig {
  return { id: `${host}:80`, host, port: 80, checks, ...extra };
}

function setup(scripts: Record<string, Script>, opts: { random?: () => number; concurrency?: number } = {}) {
  const clock = new FakeClock(opts.random);
  const p = fakeProber(clock, scripts);
  const hc = new HealthChecker({ clock, prober: p.fn, concurrency: opts.concurrency ?? 256 });
  const states: Array<StateEvent & { at: number }> = [];
  const probes: ProbeEvent[] = [];
  hc.onState((e) => states.push({ ...e, at: clock.now() }));
  hc.onProbe((e) => probes.push(e));
  return { clock, hc, calls: p.calls, states, probes };
}

describe('HealthChecker scheduling', () => {
  it('runs every delay_loop at a fixed rate', async () => {
    const { clock, hc, calls } = setup({ 'a:80': pass });
    await hc.setTargets([target('a', [tcp()])]);
    hc.start();
    await clock.advance(3500);
    expect(calls.map((c) => c.at)).toEqual([0, 1000, 2000, 3000]);
    await hc.stop();
  });

  it('spreads first runs across warmup (default: delay_loop) with the injected random', async () => {
    const seq = [0, 0.25, 0.5, 0.75];
    let i = 0;
    const scripts = Object.fromEntries(['a', 'b', 'c', 'd'].map((h) => [`${h}:80`, pass]));
    const { clock, hc, calls } = setup(scripts, { random: () => seq[i++ % seq.length]! });
    await hc.setTargets(['a', 'b', 'c', 'd'].map((h) => target(h, [{ type: 'TCP_CHECK', delayLoop: 2000 }])));
    hc.start();
    await clock.advance(1999);
    expect(calls.map((c) => [c.target, c.at])).toEqual([
      ['a:80', 0],
      ['b:80', 500],
      ['c:80', 1000],
      ['d:80', 1500],
    ]);
    await hc.stop();
  });

  it('retries with delay_before_retry before declaring a failure', async () => {
    const { clock, hc, calls, states } = setup({ 'a:80': (_s, n) => (n === 0 ? pass() : fail()) });
    await hc.setTargets([target('a', [tcp({ retry: 2, delayBeforeRetry: 100 })])]);
    hc.start();
    await clock.advance(999);
    expect(states).toEqual([]);
    await clock.advance(1000);
    // Attempt at 1000 fails, retries at 1100 and 1200 fail: down at 1200.
    expect(calls.map((c) => c.at)).toEqual([0, 1000, 1100, 1200]);
    expect(states).toEqual([{ target: 'a:80', up: false, reason: 'refused', at: 1200 }]);
    // Once down, a cycle makes one attempt only.
    await clock.advance(1000);
    expect(calls.map((c) => c.at)).toEqual([0, 1000, 1100, 1200, 2000]);
    await hc.stop();
  });

  it('a retry that passes keeps the server up without an event', async () => {
    const { clock, hc, calls, states } = setup({ 'a:80': (_s, n) => (n === 1 ? fail() : pass()) });
    await hc.setTargets([target('a', [tcp({ retry: 1, delayBeforeRetry: 200 })])]);
    hc.start();
    await clock.advance(2500);
    expect(calls.map((c) => c.at)).toEqual([0, 1000, 1200, 2000]);
    expect(states).toEqual([]);
    expect(hc.state('a:80')!.up).toBe(true);
    await hc.stop();
  });

  it('applies fall and rise as consecutive cycle outcomes', async () => {
    // fail x3, pass, fail, pass x2
    const plan = [false, false, false, true, false, true, true];
    const { clock, hc, states } = setup({ 'a:80': (_s, n) => ((plan[n] ?? true) ? pass() : fail()) });
    await hc.setTargets([target('a', [tcp({ fall: 3, rise: 2 })])]);
    hc.start();
    await clock.advance(6500);
    expect(states.map((s) => [s.up, s.at])).toEqual([
      [false, 2000],
      [true, 6000],
    ]);
    await hc.stop();
  });

  it('alpha: starts down and comes up on the first pass; without alpha starts up', async () => {
    const { clock, hc, states } = setup({ 'a:80': pass, 'b:80': pass });
    await hc.setTargets([target('a', [tcp()], { alpha: true }), target('b', [tcp()])]);
    expect(hc.state('a:80')!.up).toBe(false);
    expect(hc.state('b:80')!.up).toBe(true);
    hc.start();
    await clock.advance(10);
    expect(states).toEqual([{ target: 'a:80', up: true, reason: 'all checks up', at: 0 }]);
    await hc.stop();
  });

  it('a server with several checks is up only when all are up', async () => {
    let httpOk = true;
    const { clock, hc, states } = setup({
      'a:80': (spec) => (spec.type === 'HTTP_GET' && !httpOk ? fail('status 500') : pass()),
    });
    await hc.setTargets([
      target('a', [tcp(), tcp({ type: 'HTTP_GET', url: [{ path: '/' }] } as Partial<CheckSpec>)]),
    ]);
    hc.start();
    await clock.advance(1500);
    httpOk = false;
    await clock.advance(1000);
    expect(states.map((s) => [s.up, s.reason])).toEqual([[false, 'status 500']]);
    expect(hc.state('a:80')!.checks.map((c) => c.up)).toEqual([true, false]);
    httpOk = true;
    await clock.advance(1000);
    expect(states.map((s) => [s.up, s.reason])).toEqual([
      [false, 'status 500'],
      [true, 'all checks up'],
    ]);
    await hc.stop();
  });

  it('a hanging probe skips its own ticks and never delays another target', async () => {
    const hang: Script = (_s, _n, signal) =>
      new Promise((resolve) => signal.addEventListener('abort', () => resolve(fail('aborted'))));
    const { clock, hc, calls, probes, states } = setup({ 'slow:80': hang, 'fast:80': pass });
    // The slow check's timeout (2500 + guard grace) exceeds two periods.
    await hc.setTargets([target('slow', [tcp({ connectTimeout: 2500 })]), target('fast', [tcp()])]);
    hc.start();
    await clock.advance(5500);
    expect(calls.filter((c) => c.target === 'fast:80').map((c) => c.at)).toEqual([
      0, 1000, 2000, 3000, 4000, 5000,
    ]);
    const slow = probes.filter((p) => p.target === 'slow:80');
    expect(slow.filter((p) => p.skipped).length).toBe(4);
    expect(slow.filter((p) => !p.skipped).map((p) => p.reason)).toEqual(['no result within 3000 ms']);
    expect(hc.state('slow:80')?.checks[0]?.skipped).toBe(4);
    expect(states).toEqual([{ target: 'slow:80', up: false, reason: 'no result within 3000 ms', at: 3000 }]);
    await hc.stop();
  });

  it('after the guard gives up on a hung probe, the next attempt gets a live signal', async () => {
    const seen: boolean[] = [];
    const script: Script = (_s, n, signal) => {
      seen.push(signal.aborted);
      if (n === 0)
        return new Promise((resolve) => signal.addEventListener('abort', () => resolve(fail('aborted'))));
      return Promise.resolve(pass());
    };
    const { clock, hc, states } = setup({ 'a:80': script });
    await hc.setTargets([target('a', [tcp({ connectTimeout: 500 })])]);
    hc.start();
    await clock.advance(3500);
    expect(seen).toEqual([false, false, false]);
    expect(states.map((s) => s.up)).toEqual([false, true]);
    await hc.stop();
  });

  it('never has more probes in flight than the concurrency limit', async () => {
    const scripts: Record<string, Script> = {};
    let inFlight = 0;
    let peak = 0;
    const clock0: { c?: FakeClock } = {};
    const names = ['a', 'b', 'c', 'd', 'e'];
    for (const h of names) {
      scripts[`${h}:80`] = () => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        return new Promise((resolve) =>
          clock0.c!.setTimeout(() => {
            inFlight--;
            resolve(pass());
          }, 100),
        );
      };
    }
    const { clock, hc, calls } = setup(scripts, { concurrency: 2 });
    clock0.c = clock;
    await hc.setTargets(names.map((h) => target(h, [tcp()])));
    hc.start();
    await clock.advance(999);
    expect(peak).toBe(2);
    expect(calls.map((c) => c.at)).toEqual([0, 0, 100, 100, 200]);
    await hc.stop();
  });

  it('misc_dynamic weight changes are reported while up', async () => {
    const codes = [12, 12, 20];
    const { clock, hc, states } = setup({
      'a:80': (_s, n) => ({ ok: true, weight: codes[n]! - 2, latencyMs: 1 }),
    });
    await hc.setTargets([
      target('a', [{ type: 'MISC_CHECK', miscPath: '/bin/true', delayLoop: 1000, warmup: 0 }]),
    ]);
    hc.start();
    await clock.advance(2500);
    expect(states.map((s) => [s.up, s.weight])).toEqual([
      [true, 10],
      [true, 18],
    ]);
    await hc.stop();
  });

  it('runs notify_up/notify_down on state changes only', async () => {
    const clock = new FakeClock();
    const plan = [true, false, false, true, true];
    const seen: string[] = [];
    const hc = new HealthChecker({
      clock,
      prober: async () => ((plan.shift() ?? true) ? pass() : fail()),
      runNotify: async (s, ev) => {
        seen.push(`${s.command} ${ev.up}`);
      },
    });
    await hc.setTargets([
      target('a', [tcp()], { notifyUp: { command: '/x/up' }, notifyDown: { command: '/x/down' } }),
    ]);
    hc.start();
    await clock.advance(4500);
    expect(seen).toEqual(['/x/down false', '/x/up true']);
    await hc.stop();
  });

  it('setTargets keeps the state of unchanged targets and drops removed ones', async () => {
    const { clock, hc, calls } = setup({ 'a:80': fail, 'b:80': pass, 'c:80': pass });
    await hc.setTargets([target('a', [tcp()]), target('b', [tcp()])]);
    hc.start();
    await clock.advance(500);
    expect(hc.state('a:80')!.up).toBe(false);
    await hc.setTargets([target('a', [tcp()]), target('c', [tcp()])]);
    expect(hc.state('a:80')!.up).toBe(false);
    expect(hc.state('b:80')).toBeUndefined();
    await clock.advance(1000);
    expect(calls.filter((c) => c.target === 'b:80').length).toBe(1);
    expect(calls.filter((c) => c.target === 'c:80').map((c) => c.at)).toEqual([500, 1500]);
    expect(calls.filter((c) => c.target === 'a:80').map((c) => c.at)).toEqual([0, 1000]);
    await hc.stop();
    expect(clock.pending).toBe(0);
  });
});

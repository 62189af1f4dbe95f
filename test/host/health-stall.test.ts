// A checker whose own process is too busy to run its callbacks for a while
// (a loaded or emulated machine) must not count that lateness against a
// server that answered in time. Each test starts a probe against a loopback
// listener that completes the handshake in the kernel, then blocks the event
// loop past the probe's timeout: Node runs due timers before it reads I/O,
// so a timeout judged in the timer callback would win over the answer
// already waiting in the socket.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HealthChecker } from '../../src/health/checker.js';
import { probeTcpNet } from '../../src/health/probes/tcp.js';
import { GUARD_GRACE_MS } from '../../src/health/scheduler.js';
import type { ProbeEvent, ProbeResult } from '../../src/health/types.js';
import { tcpConnectProbe } from '../../src/kernel/tcp-connect.js';

let server: net.Server;
let port = 0;

/** Blocks the event loop, as a CPU-starved process is blocked. */
function busy(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    /* spin */
  }
}

/** Runs fn in the check phase, so the next loop turn starts with the timers. */
const inCheckPhase = <T>(fn: () => Promise<T>) =>
  new Promise<T>((resolve, reject) => setImmediate(() => fn().then(resolve, reject)));

beforeAll(async () => {
  server = net.createServer((s) => s.destroy());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as net.AddressInfo).port;
});

afterAll(() => server?.close());

describe('a check is not failed for the checker’s own stall', () => {
  it('batched TCP prober: a connect that completed during the stall is ok, not ETIMEDOUT', async () => {
    const r = await inCheckPhase(() => {
      const p = tcpConnectProbe('127.0.0.1', port, { timeoutMs: 100 });
      busy(400);
      return p;
    });
    expect(r).toMatchObject({ ok: true });
  });

  it('node:net prober: a connect that completed during the stall is ok, not a timeout', async () => {
    const r = await inCheckPhase(() => {
      const p = probeTcpNet(
        { type: 'TCP_CHECK', host: '127.0.0.1', port, connectTimeout: 100 },
        new AbortController().signal,
      );
      // After the prober's own nextTick, which issues the connect.
      process.nextTick(() => busy(400));
      return p;
    });
    expect(r).toMatchObject({ ok: true });
  });

  it('scheduler guard: a result that came in during the stall is taken, not "no result within"', async () => {
    const timeout = 100;
    // A prober with no deadline of its own: only the scheduler's guard can fail it.
    // It connects in the check phase, so that the guard's timer comes due
    // before the poll phase that would read the connect.
    const prober = (): Promise<ProbeResult> =>
      new Promise((resolve) =>
        setImmediate(() => {
          const s = net.connect(port, '127.0.0.1');
          s.once('connect', () => {
            s.destroy();
            resolve({ ok: true, latencyMs: 0 });
          });
          s.once('error', (e) => resolve({ ok: false, reason: e.message, latencyMs: 0 }));
          process.nextTick(() => busy(timeout + GUARD_GRACE_MS + 300));
        }),
      );
    const hc = new HealthChecker({ prober });
    const events: ProbeEvent[] = [];
    // alpha: the server starts down; a passing first check raises it, a failing one does not.
    const verdict = new Promise<void>((r) => {
      hc.onState(() => r());
      hc.onProbe((ev) => {
        events.push(ev);
        if (!ev.ok) r();
      });
    });
    await hc.setTargets([
      {
        id: 'stall',
        host: '127.0.0.1',
        port,
        checks: [
          { type: 'TCP_CHECK', connectTimeout: timeout, delayLoop: 60_000, warmup: 0, retry: 0, alpha: true },
        ],
      },
    ]);
    hc.start();
    await verdict;
    await hc.stop();
    expect(events[0]).toMatchObject({ ok: true });
    expect(hc.state('stall')?.up).toBe(true);
  });
});

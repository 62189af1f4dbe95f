// TCP_CHECK: the server is up when a TCP connection completes in time.
// Address literals go through the batched non-blocking connector in
// src/kernel (one epoll set, one sweep timer for every probe); a host name,
// or a process where the native layer cannot load, falls back to node:net.
import net from 'node:net';
import type { BoundCheck, ProbeResult, TcpCheck } from '../types.js';
import { deadline, errText, settleOnce, stopwatch, targetOf, timeoutOf } from './common.js';

type Fast = typeof import('../../kernel/tcp-connect.js');

const fast: Fast | null = await import('../../kernel/tcp-connect.js').catch(() => null);

export function probeTcp(spec: TcpCheck & BoundCheck, signal: AbortSignal): Promise<ProbeResult> {
  const { host, port } = targetOf(spec);
  if (fast?.isAddressLiteral(host) && (spec.bindto === undefined || fast.isAddressLiteral(spec.bindto))) {
    return probeFast(fast, host, port, spec, signal);
  }
  return probeNet(host, port, spec, signal);
}

async function probeFast(
  k: Fast,
  host: string,
  port: number,
  spec: TcpCheck & BoundCheck,
  signal: AbortSignal,
): Promise<ProbeResult> {
  const ms = timeoutOf(spec);
  const r = await k.tcpConnectProbe(
    host,
    port,
    { timeoutMs: ms, bindAddr: spec.bindto, bindPort: spec.bindPort },
    signal,
  );
  if (r.ok) return { ok: true, latencyMs: r.latencyMs };
  const reason = r.timedOut
    ? `timeout after ${ms} ms`
    : r.aborted
      ? 'aborted'
      : `connect ${host}:${port}: ${r.error}`;
  return { ok: false, reason, latencyMs: r.latencyMs };
}

/** TCP_CHECK through node:net only (the fallback; benchmarks compare the two). */
export function probeTcpNet(spec: TcpCheck & BoundCheck, signal: AbortSignal): Promise<ProbeResult> {
  const { host, port } = targetOf(spec);
  return probeNet(host, port, spec, signal);
}

/** node:net: one Socket, timer and listener set per probe. */
function probeNet(
  host: string,
  port: number,
  spec: TcpCheck & BoundCheck,
  signal: AbortSignal,
): Promise<ProbeResult> {
  const sw = stopwatch();
  return new Promise<ProbeResult>((resolve) => {
    const sock = net.connect({
      host,
      port,
      localAddress: spec.bindto,
      localPort: spec.bindPort,
    });
    const finish = settleOnce<ProbeResult>(
      sock,
      // Closing with a reset leaves no TIME_WAIT socket on either side, which
      // matters at thousands of probes a second.
      () => {
        if (sock.readyState === 'open') sock.resetAndDestroy();
        else sock.destroy();
      },
      () => dispose(),
      resolve,
    );
    const dispose = deadline(signal, timeoutOf(spec), (why) => finish(sw.fail(why)));
    sock.once('connect', () => finish(sw.ok()));
    sock.once('error', (e) => finish(sw.fail(`connect ${host}:${port}: ${errText(e)}`)));
  });
}

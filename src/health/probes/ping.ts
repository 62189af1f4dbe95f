// PING_CHECK: the server is up when it answers an ICMP (or ICMPv6) echo
// request within connect_timeout. Requests go through the batched pinger in
// src/kernel: one raw socket per family for every probe in the process.
import type { BoundCheck, PingCheck, ProbeResult } from '../types.js';
import { stopwatch, targetOf, timeoutOf } from './common.js';

type Echo = typeof import('../../kernel/icmp-echo.js');

const echo: Echo | null = await import('../../kernel/icmp-echo.js').catch(() => null);

export async function probePing(spec: PingCheck & BoundCheck, signal: AbortSignal): Promise<ProbeResult> {
  const sw = stopwatch();
  const { host } = targetOf(spec);
  if (!echo) return sw.fail('PING_CHECK needs the native socket layer, which did not load');
  const ms = timeoutOf(spec);
  let r: Awaited<ReturnType<Echo['icmpEchoProbe']>>;
  try {
    r = await echo.icmpEchoProbe(
      host,
      { timeoutMs: ms, ...(spec.bindto ? { bindAddr: spec.bindto } : {}) },
      signal,
    );
  } catch (e) {
    return sw.fail(`ping ${host}: ${(e as Error).message}`);
  }
  if (r.ok) return { ok: true, latencyMs: r.latencyMs };
  const reason = r.timedOut
    ? `ping ${host}: no reply within ${ms} ms`
    : r.aborted
      ? 'aborted'
      : `ping ${host}: ${r.error}`;
  return { ok: false, reason, latencyMs: r.latencyMs };
}

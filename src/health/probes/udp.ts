// UDP_CHECK: send the payload on a connected socket. An ICMP port-unreachable
// comes back as ECONNREFUSED and means down. Without require_reply, silence
// until the timeout means up (as keepalived); with it, a matching reply is needed.
import type { BoundCheck, ProbeResult, UdpCheck } from '../types.js';
import { targetOf, timeoutOf } from './common.js';
import { exchangeDatagram } from './datagram.js';

type UdpSpec = UdpCheck & BoundCheck;

/** Judges a reply against require_reply and the length bounds; null = good. */
export function judgeUdpReply(spec: UdpCheck, reply: Uint8Array): string | null {
  const min = spec.minReplyLength ?? 0;
  const max = spec.maxReplyLength ?? 255;
  if (reply.length < min || reply.length > max) return `reply length ${reply.length} outside ${min}..${max}`;
  const want = spec.requireReply;
  if (want && want.length > 0) {
    if (reply.length < want.length) return 'reply shorter than require_reply';
    for (let i = 0; i < want.length; i++) if (reply[i] !== want[i]) return `reply differs at byte ${i}`;
  }
  return null;
}

export function probeUdp(spec: UdpSpec, signal: AbortSignal): Promise<ProbeResult> {
  const { host, port } = targetOf(spec);
  return exchangeDatagram(
    {
      label: 'udp',
      host,
      port,
      bind: spec,
      timeoutMs: timeoutOf(spec),
      request: Buffer.from(spec.payload ?? new Uint8Array(0)),
      judge: (msg) => judgeUdpReply(spec, msg) ?? '',
      // Silence is a pass unless a reply is required.
      onSilence: (why) => (spec.requireReply === undefined ? null : why),
    },
    signal,
  );
}

// UDP_CHECK: send the payload on a connected socket. An ICMP port-unreachable
// comes back as ECONNREFUSED and means down. Without require_reply, silence
// until the timeout means up (as keepalived); with it, a matching reply is needed.
import dgram from 'node:dgram';
import net from 'node:net';
import type { BoundCheck, ProbeResult, UdpCheck } from '../types.js';
import { deadline, errText, stopwatch, targetOf, timeoutOf } from './common.js';

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
  const sw = stopwatch();
  const { host, port } = targetOf(spec);
  const sock = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
  return new Promise<ProbeResult>((resolve) => {
    let done = false;
    const finish = (r: ProbeResult) => {
      if (done) return;
      done = true;
      dispose();
      sock.removeAllListeners();
      sock.on('error', () => {});
      try {
        sock.close();
      } catch {
        // not yet bound
      }
      resolve(r);
    };
    const dispose = deadline(signal, timeoutOf(spec), (why, timedOut) => {
      // Silence is a pass unless a reply is required.
      if (timedOut && spec.requireReply === undefined) finish(sw.ok());
      else finish(sw.fail(why));
    });
    sock.once('error', (e) => finish(sw.fail(`udp ${host}:${port}: ${errText(e)}`)));
    sock.on('message', (msg) => {
      const why = judgeUdpReply(spec, msg);
      finish(why ? sw.fail(why) : sw.ok());
    });
    const send = () =>
      sock.connect(port, host, () => {
        sock.send(Buffer.from(spec.payload ?? new Uint8Array(0)), (err) => {
          if (err) finish(sw.fail(`udp send: ${errText(err)}`));
        });
      });
    if (spec.bindto || spec.bindPort) sock.bind({ address: spec.bindto, port: spec.bindPort ?? 0 }, send);
    else send();
  });
}

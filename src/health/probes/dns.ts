// DNS_CHECK: one query over UDP; up when the reply has our id, RCODE NOERROR
// and at least one answer of the requested type (keepalived's rule).
import { randomInt } from 'node:crypto';
import dgram from 'node:dgram';
import net from 'node:net';
import { DNS_TYPES, decodeMessage, encodeQuery, FLAG_QR, RCODE_NOERROR, rcodeOf } from '../dns-codec.js';
import type { BoundCheck, DnsCheck, ProbeResult } from '../types.js';
import { deadline, errText, stopwatch, targetOf, timeoutOf } from './common.js';

type DnsSpec = DnsCheck & BoundCheck;

/** Judges a raw reply to query `id` for `type`; null means it passes. */
export function judgeDnsReply(raw: Uint8Array, id: number, type: number): string | null {
  let msg: ReturnType<typeof decodeMessage>;
  try {
    msg = decodeMessage(raw);
  } catch (e) {
    return `bad reply: ${errText(e)}`;
  }
  if (msg.id !== id) return `reply id ${msg.id} != ${id}`;
  if ((msg.flags & FLAG_QR) === 0) return 'reply is not a response';
  const rcode = rcodeOf(msg.flags);
  if (rcode !== RCODE_NOERROR) return `rcode ${rcode}`;
  if (!msg.answers.some((a) => a.type === type)) return `no answer of type ${type}`;
  return null;
}

export function probeDns(spec: DnsSpec, signal: AbortSignal): Promise<ProbeResult> {
  const sw = stopwatch();
  const { host, port } = targetOf(spec);
  const type = DNS_TYPES[spec.dnsType ?? 'SOA'];
  const id = randomInt(0, 0x10000);
  const query = encodeQuery(id, spec.name ?? '.', type);
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
    const dispose = deadline(signal, timeoutOf(spec), (why) => finish(sw.fail(why)));
    sock.once('error', (e) => finish(sw.fail(`dns ${host}:${port}: ${errText(e)}`)));
    sock.on('message', (msg) => {
      // A late reply to an earlier query is not an answer to this one.
      if (msg.length >= 2 && msg.readUInt16BE(0) !== id) return;
      const why = judgeDnsReply(msg, id, type);
      finish(why ? sw.fail(why) : sw.ok());
    });
    const send = () =>
      sock.connect(port, host, () => {
        sock.send(query, (err) => {
          if (err) finish(sw.fail(`dns send: ${errText(err)}`));
        });
      });
    if (spec.bindto || spec.bindPort) sock.bind({ address: spec.bindto, port: spec.bindPort ?? 0 }, send);
    else send();
  });
}

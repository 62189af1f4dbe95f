// DNS_CHECK: one query over UDP; up when the reply has our id, RCODE NOERROR
// and at least one answer of the requested type (keepalived's rule).
import { randomInt } from 'node:crypto';
import { DNS_TYPES, decodeMessage, encodeQuery, FLAG_QR, RCODE_NOERROR, rcodeOf } from '../dns-codec.js';
import type { BoundCheck, DnsCheck, ProbeResult } from '../types.js';
import { errText, targetOf, timeoutOf } from './common.js';
import { exchangeDatagram } from './datagram.js';

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
  const { host, port } = targetOf(spec);
  const type = DNS_TYPES[spec.dnsType ?? 'SOA'];
  const id = randomInt(0, 0x10000);
  return exchangeDatagram(
    {
      label: 'dns',
      host,
      port,
      bind: spec,
      timeoutMs: timeoutOf(spec),
      request: encodeQuery(id, spec.name ?? '.', type),
      // A late reply to an earlier query is not an answer to this one.
      judge: (msg) =>
        msg.length >= 2 && msg.readUInt16BE(0) !== id ? null : (judgeDnsReply(msg, id, type) ?? ''),
      onSilence: (why) => why,
    },
    signal,
  );
}

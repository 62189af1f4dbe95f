// One request datagram on a connected UDP socket, shared by UDP_CHECK and
// DNS_CHECK. Connecting lets an ICMP port-unreachable surface as ECONNREFUSED.
import dgram from 'node:dgram';
import net from 'node:net';
import type { BoundCheck, ProbeResult } from '../types.js';
import { deadline, errText, settleOnce, stopwatch } from './common.js';

export interface DatagramExchange {
  readonly label: 'udp' | 'dns';
  readonly host: string;
  readonly port: number;
  readonly bind: BoundCheck;
  readonly timeoutMs: number;
  readonly request: Uint8Array;
  /** A reply: null to ignore it (keep waiting), else why it fails ('' = it passes). */
  readonly judge: (reply: Buffer) => string | null;
  /** The deadline passed with no reply: null = up, else why it is down. */
  readonly onSilence: (why: string) => string | null;
}

export function exchangeDatagram(x: DatagramExchange, signal: AbortSignal): Promise<ProbeResult> {
  const sw = stopwatch();
  const sock = dgram.createSocket(net.isIPv6(x.host) ? 'udp6' : 'udp4');
  return new Promise<ProbeResult>((resolve) => {
    const finish = settleOnce<ProbeResult>(
      sock,
      () => {
        try {
          sock.close();
        } catch {
          // not yet bound
        }
      },
      () => dispose(),
      resolve,
    );
    const dispose = deadline(signal, x.timeoutMs, (why, timedOut) => {
      const down = timedOut ? x.onSilence(why) : why;
      finish(down === null ? sw.ok() : sw.fail(down));
    });
    sock.once('error', (e) => finish(sw.fail(`${x.label} ${x.host}:${x.port}: ${errText(e)}`)));
    sock.on('message', (msg) => {
      const why = x.judge(msg);
      if (why !== null) finish(why ? sw.fail(why) : sw.ok());
    });
    const send = () =>
      sock.connect(x.port, x.host, () => {
        sock.send(x.request, (err) => {
          if (err) finish(sw.fail(`${x.label} send: ${errText(err)}`));
        });
      });
    if (x.bind.bindto || x.bind.bindPort)
      sock.bind({ address: x.bind.bindto, port: x.bind.bindPort ?? 0 }, send);
    else send();
  });
}

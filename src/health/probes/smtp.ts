// SMTP_CHECK: connect, read the 220 greeting, send HELO <helo_name> and
// expect 250, send QUIT and wait for any reply - keepalived's conversation. With
// `host {}` blocks the hosts are tested one after another and all must
// pass. Each step (connect, each reply) gets connect_timeout. Multi-line
// replies ("250-...") are read to their last line.
import net from 'node:net';
import type { BoundCheck, ProbeResult, SmtpCheck, SmtpHostSpec } from '../types.js';
import { deadline, errText, settleOnce, stopwatch, targetOf, timeoutOf } from './common.js';

export const DEFAULT_HELO = 'smtpchecker.keepalived.org';
const MAX_REPLY = 4096;

/**
 * Finds the first complete reply in `buf`: its code and where it ends, or
 * null while more bytes are needed. A line whose 4th character is '-'
 * continues the reply.
 */
export function takeReply(buf: string): { code: number; end: number } | null {
  let start = 0;
  for (;;) {
    const nl = buf.indexOf('\n', start);
    if (nl < 0) return null;
    const line = buf.slice(start, nl).replace(/\r$/, '');
    if (line[3] !== '-') {
      const code = /^\d{3}/.test(line) ? Number(line.slice(0, 3)) : -1;
      return { code, end: nl + 1 };
    }
    start = nl + 1;
  }
}

interface Step {
  readonly send: string | null;
  /** The reply code needed; null: any reply will do (keepalived does not judge QUIT's). */
  readonly expect: number | null;
  readonly what: string;
}

function conversation(helo: string): Step[] {
  return [
    { send: null, expect: 220, what: 'greeting' },
    { send: `HELO ${helo}\r\n`, expect: 250, what: 'HELO reply' },
    { send: 'QUIT\r\n', expect: null, what: 'QUIT reply' },
  ];
}

function talk(
  host: string,
  port: number,
  bindto: string | undefined,
  bindPort: number | undefined,
  helo: string,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<string | null> {
  return new Promise<string | null>((resolve) => {
    const where = net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
    const sock = net.connect({ host, port, localAddress: bindto, localPort: bindPort });
    const steps = conversation(helo);
    let at = 0;
    let buf = '';
    let dispose = () => {};
    const finish = settleOnce<string | null>(
      sock,
      () => sock.destroy(),
      () => dispose(),
      resolve,
    );
    const arm = (what: string) => {
      dispose();
      dispose = deadline(signal, timeoutMs, (why, timedOut) =>
        finish(timedOut ? `smtp ${where}: ${what}: ${why}` : why),
      );
    };
    arm('connect');
    sock.setEncoding('latin1');
    sock.once('connect', () => arm(steps[0]!.what));
    sock.on('data', (chunk: string) => {
      buf += chunk;
      for (;;) {
        const r = takeReply(buf);
        if (!r) {
          if (buf.length > MAX_REPLY) finish(`smtp ${where}: ${steps[at]!.what} too long`);
          return;
        }
        buf = buf.slice(r.end);
        const step = steps[at]!;
        if (step.expect !== null && r.code !== step.expect) {
          finish(
            `smtp ${where}: ${step.what} ${r.code < 0 ? 'is not an SMTP reply' : r.code}, expected ${step.expect}`,
          );
          return;
        }
        at++;
        if (at === steps.length) {
          finish(null);
          return;
        }
        arm(steps[at]!.what);
        sock.write(steps[at].send!);
      }
    });
    sock.once('end', () => finish(`smtp ${where}: closed before the ${steps[at]!.what}`));
    sock.once('error', (e) => finish(`smtp ${where}: ${errText(e)}`));
  });
}

export async function probeSmtp(spec: SmtpCheck & BoundCheck, signal: AbortSignal): Promise<ProbeResult> {
  const sw = stopwatch();
  const base = targetOf(spec);
  const hosts: SmtpHostSpec[] = spec.hosts?.length ? spec.hosts : [{}];
  const helo = spec.heloName ?? DEFAULT_HELO;
  for (const h of hosts) {
    const why = await talk(
      h.connectIp ?? base.host,
      h.connectPort ?? base.port,
      h.bindto ?? spec.bindto,
      spec.bindPort,
      helo,
      timeoutOf(spec),
      signal,
    );
    if (why !== null) return sw.fail(why);
  }
  return sw.ok();
}

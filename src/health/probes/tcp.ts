// TCP_CHECK: the server is up when a TCP connection completes in time.
import net from 'node:net';
import type { BoundCheck, ProbeResult, TcpCheck } from '../types.js';
import { deadline, errText, stopwatch, targetOf, timeoutOf } from './common.js';

export function probeTcp(spec: TcpCheck & BoundCheck, signal: AbortSignal): Promise<ProbeResult> {
  const sw = stopwatch();
  const { host, port } = targetOf(spec);
  return new Promise<ProbeResult>((resolve) => {
    const sock = net.connect({
      host,
      port,
      localAddress: spec.bindto,
      localPort: spec.bindPort,
    });
    let done = false;
    const finish = (r: ProbeResult) => {
      if (done) return;
      done = true;
      dispose();
      sock.removeAllListeners();
      sock.on('error', () => {});
      // Closing with a reset leaves no TIME_WAIT socket on either side, which
      // matters at thousands of probes a second.
      if (sock.readyState === 'open') sock.resetAndDestroy();
      else sock.destroy();
      resolve(r);
    };
    const dispose = deadline(signal, timeoutOf(spec), (why) => finish(sw.fail(why)));
    sock.once('connect', () => finish(sw.ok()));
    sock.once('error', (e) => finish(sw.fail(`connect ${host}:${port}: ${errText(e)}`)));
  });
}

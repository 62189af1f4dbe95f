// HTTP_GET and SSL_GET: one fresh connection per url (no keep-alive), a
// hand-written HTTP/1.0 or 1.1 request (so http_protocol is honoured), the
// timeout covering connect and read. All urls must pass.
import net from 'node:net';
import tls from 'node:tls';
import { buildRequest, hostHeader, judge, type ParsedResponse, parseResponse } from '../http-response.js';
import { tlsContextFor } from '../tls-context.js';
import type { BoundCheck, HttpCheck, ProbeResult, UrlSpec } from '../types.js';
import { deadline, errText, settleOnce, stopwatch, targetOf, timeoutOf } from './common.js';

type HttpSpec = HttpCheck & BoundCheck;

export async function probeHttp(spec: HttpSpec, signal: AbortSignal): Promise<ProbeResult> {
  const sw = stopwatch();
  if (spec.url.length === 0) return sw.fail('no url configured');
  for (const url of spec.url) {
    const got = await fetchOnce(spec, url, signal);
    if (typeof got === 'string') return sw.fail(got);
    const why = judge(url, got);
    if (why) return sw.fail(why);
  }
  return sw.ok();
}

function sniName(spec: HttpSpec, url: UrlSpec, host: string): string | undefined {
  if (!spec.enableSni) return undefined;
  const name = url.virtualhost ?? spec.virtualhost ?? host;
  return net.isIP(name) ? undefined : name;
}

/** One GET; resolves to the parsed response or a failure reason. */
function fetchOnce(spec: HttpSpec, url: UrlSpec, signal: AbortSignal): Promise<ParsedResponse | string> {
  const { host, port } = targetOf(spec);
  const useTls = spec.type === 'SSL_GET';
  const vhost = url.virtualhost ?? spec.virtualhost;
  const request = buildRequest(url.path, vhost ?? hostHeader(host, port, useTls), spec.httpProtocol ?? '1.0');
  let secureContext: tls.SecureContext | undefined;
  try {
    if (useTls) secureContext = tlsContextFor(spec.tls ?? {});
  } catch (e) {
    return Promise.resolve(`SSL: ${(e as Error).message}`);
  }
  return new Promise((resolve) => {
    const base = { host, port, localAddress: spec.bindto, localPort: spec.bindPort };
    const sock: net.Socket = useTls
      ? tls.connect({
          ...base,
          secureContext,
          // An empty servername tells node to send no SNI at all.
          servername: sniName(spec, url, host) ?? '',
          rejectUnauthorized: spec.verifyCert ?? false,
        })
      : net.connect(base);
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = settleOnce<ParsedResponse | string>(
      sock,
      () => sock.destroy(),
      () => dispose(),
      resolve,
    );
    const step = (eof: boolean) => {
      const buf = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
      chunks.length = 0;
      chunks.push(buf);
      const st = parseResponse(buf, eof);
      if (!st.done) return;
      finish('error' in st ? `${url.path}: ${st.error}` : st.response);
    };
    const dispose = deadline(signal, timeoutOf(spec), (why) => finish(`${url.path}: ${why}`));
    sock.once(useTls ? 'secureConnect' : 'connect', () => sock.write(request));
    sock.on('data', (d: Buffer) => {
      chunks.push(d);
      size += d.length;
      step(false);
    });
    sock.once('end', () => step(true));
    sock.once('error', (e) => finish(`${url.path}: ${errText(e)}`));
    sock.once('close', () => finish(`${url.path}: connection closed`));
  });
}

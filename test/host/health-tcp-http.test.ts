// TCP_CHECK, HTTP_GET and SSL_GET against real servers in a test namespace:
// each goes up, down on a real fault, and up again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Netns } from '../../lab/netns.js';
import { HealthChecker, type TargetConfig } from '../../src/health/checker.js';
import { md5Hex } from '../../src/health/http-response.js';
import { probe } from '../../src/health/probes/index.js';
import type { CheckSpec } from '../../src/health/types.js';
import { testNetns } from '../support/netns.js';
import { linkToNetns, makeCert, PORTS, Recorder, type Servers, startServers } from './health-support.js';

const FAST = { delayLoop: 200, warmup: 0, connectTimeout: 600, retry: 0 } as const;

let ns: Netns;
let srv: Servers;
let addr: string;
let local: string;
let hc: HealthChecker;
let rec: Recorder;

function target(name: string, port: number, checks: CheckSpec[]): TargetConfig {
  return { id: name, host: addr, port, checks, alpha: true };
}

beforeAll(async () => {
  ns = testNetns('hchttp');
  ({ remote: addr, local } = linkToNetns(ns));
  srv = await startServers(ns, addr, makeCert());
  hc = new HealthChecker({ concurrency: 64 });
  rec = new Recorder(hc);
});

afterAll(async () => {
  await hc?.stop();
  ns?.delete();
});

describe('health checks against real servers', () => {
  it('TCP_CHECK: up, down when the port closes, up when it reopens', async () => {
    await hc.setTargets([target('tcp', PORTS.tcp, [{ type: 'TCP_CHECK', ...FAST, bindto: local }])]);
    hc.start();
    expect(await rec.next('tcp')).toMatchObject({ up: true });
    await srv.send({ stop: 'tcp' });
    const down = await rec.next('tcp');
    expect(down.up).toBe(false);
    expect(down.reason).toBe(`connect ${addr}:${PORTS.tcp}: ECONNREFUSED`);
    await srv.send({ start: 'tcp' });
    expect(await rec.next('tcp')).toMatchObject({ up: true, reason: 'all checks up' });
  });

  it('HTTP_GET: status range, digest and regex each take the server down and back', async () => {
    await srv.send({ http: { status: 200, body: 'hello world' } });
    const url = { path: '/health', digest: md5Hex(Buffer.from('hello world')), regex: 'hel+o' };
    await hc.setTargets([
      target('http', PORTS.http, [{ type: 'HTTP_GET', ...FAST, url: [url], virtualhost: 'www.hc.test' }]),
    ]);
    hc.start();
    expect(await rec.next('http')).toMatchObject({ up: true });

    await srv.send({ http: { status: 503, body: 'hello world' } });
    expect(await rec.next('http')).toEqual({ target: 'http', up: false, reason: '/health: status 503' });
    await srv.send({ http: { status: 200, body: 'hello world' } });
    expect(await rec.next('http')).toMatchObject({ up: true });

    await srv.send({ http: { status: 200, body: 'hello there' } });
    const dig = await rec.next('http');
    expect(dig.up).toBe(false);
    expect(dig.reason).toBe(`/health: digest ${md5Hex(Buffer.from('hello there'))} != ${url.digest}`);
    await srv.send({ http: { status: 200, body: 'hello world' } });
    expect(await rec.next('http')).toMatchObject({ up: true });

    // Same digest target changed to a body the regex misses: status and digest
    // are relaxed so only the regex decides.
    await hc.setTargets([
      target('http', PORTS.http, [
        {
          type: 'HTTP_GET',
          ...FAST,
          url: [{ path: '/', regex: 'hel+o', statusCode: [{ from: 200, to: 599 }] }],
        },
      ]),
    ]);
    expect(await rec.next('http')).toMatchObject({ up: true });
    await srv.send({ http: { status: 500, body: 'goodbye' } });
    expect(await rec.next('http')).toEqual({
      target: 'http',
      up: false,
      reason: '/: body does not match hel+o',
    });
    await srv.send({ http: { status: 500, body: 'hello again' } });
    expect(await rec.next('http')).toMatchObject({ up: true });
  });

  it('HTTP_GET sends the virtualhost as Host', async () => {
    const base = { host: addr, port: PORTS.http, ...FAST };
    const spec = {
      ...base,
      type: 'HTTP_GET' as const,
      virtualhost: 'www.hc.test',
      url: [{ path: '/sni', regex: 'host=www\\.hc\\.test$' }],
    };
    const r = await probe(spec, new AbortController().signal);
    expect(r).toMatchObject({ ok: true });
    const plain = {
      ...spec,
      virtualhost: undefined,
      url: [{ path: '/sni', regex: `host=${addr.replace(/\./g, '\\.')}:8080$` }],
    };
    expect(await probe(plain, new AbortController().signal)).toMatchObject({ ok: true });
  });

  it('SSL_GET: sends SNI only when enable_sni is set, and detects a stopped server', async () => {
    const base = { host: addr, port: PORTS.https, ...FAST, type: 'SSL_GET' as const, virtualhost: 'hc.test' };
    const withSni = { ...base, enableSni: true, url: [{ path: '/sni', regex: '^sni=hc\\.test ' }] };
    const noSni = { ...base, url: [{ path: '/sni', regex: '^sni=- ' }] };
    const signal = new AbortController().signal;
    expect(await probe(withSni, signal)).toMatchObject({ ok: true });
    expect(await probe(noSni, signal)).toMatchObject({ ok: true });
    expect(await probe({ ...withSni, url: [{ path: '/sni', regex: '^sni=-' }] }, signal)).toMatchObject({
      ok: false,
      reason: '/sni: body does not match ^sni=-',
    });

    await hc.setTargets([target('https', PORTS.https, [{ ...withSni }])]);
    hc.start();
    expect(await rec.next('https')).toMatchObject({ up: true });
    await srv.send({ stop: 'https' });
    expect(await rec.next('https')).toMatchObject({ up: false, reason: '/sni: ECONNREFUSED' });
    await srv.send({ start: 'https' });
    expect(await rec.next('https')).toMatchObject({ up: true });
  });

  it('a hanging HTTP server times out without delaying another target', async () => {
    const hang: CheckSpec = {
      type: 'HTTP_GET',
      delayLoop: 200,
      warmup: 0,
      retry: 0,
      connectTimeout: 1500,
      url: [{ path: '/' }],
    };
    await srv.send({ http: { status: 200, body: 'ok' } });
    await hc.setTargets([
      target('hang', PORTS.hang, [hang]),
      {
        ...target('healthy', PORTS.http, [{ type: 'HTTP_GET', ...FAST, url: [{ path: '/' }] }]),
        alpha: false,
      },
    ]);
    hc.start();
    // Let the hung probe time out once (alpha: it never comes up).
    const deadline = Date.now() + 10_000;
    while (!rec.probes.some((p) => p.target === 'hang' && !p.skipped) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const hangProbes = rec.probes.filter((p) => p.target === 'hang');
    const done = hangProbes.filter((p) => !p.skipped);
    expect(done.map((p) => [p.ok, p.reason])).toEqual([[false, '/: timeout after 1500 ms']]);
    // While the hung probe blocked its own target, its ticks were skipped and
    // the healthy target kept completing probes: events in order, not counts
    // per second, so the verdict does not depend on the machine's speed.
    const hangEnd = rec.probes.findIndex((p) => p.target === 'hang' && !p.skipped);
    const during = rec.probes.slice(0, hangEnd);
    expect(during.some((p) => p.target === 'hang' && p.skipped)).toBe(true);
    expect(during.some((p) => p.target === 'healthy' && !p.skipped && p.ok)).toBe(true);
    expect(rec.probes.filter((p) => p.target === 'healthy' && !p.ok)).toEqual([]);
    expect(hc.state('hang')).toMatchObject({ up: false });
    expect(hc.state('healthy')).toMatchObject({ up: true });
  });
});

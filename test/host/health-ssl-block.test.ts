// keepalived's SSL block: the client certificate, key and key password every
// SSL_GET presents, against a TLS server that demands a client certificate;
// and a file that cannot be loaded refuses the config before anything changes.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/index.js';
import { Director } from '../../src/director/director.js';
import { probe } from '../../src/health/probes/index.js';
import type { BoundCheck, HttpCheck } from '../../src/health/types.js';
import { FakeDataPlane } from '../support/fake-dataplane.js';
import { FakeHealth } from '../support/fake-health.js';
import { makeCert } from './health-support.js';

let server: tls.Server;
let port: number;
let client: string;
let serverDir: string;
let work: string;
const accepted: string[] = [];

beforeAll(async () => {
  client = makeCert('ec');
  serverDir = makeCert('ec');
  work = mkdtempSync(join(tmpdir(), 'hc-ssl-'));
  execFileSync('openssl', [
    'pkey',
    '-in',
    join(client, 'key.pem'),
    '-aes256',
    '-passout',
    'pass:s3cret',
    '-out',
    join(work, 'enc.pem'),
  ]);
  server = tls.createServer(
    {
      key: readFileSync(join(serverDir, 'key.pem')),
      cert: readFileSync(join(serverDir, 'cert.pem')),
      requestCert: true,
      rejectUnauthorized: true,
      ca: [readFileSync(join(client, 'cert.pem'))],
    },
    (s) => {
      accepted.push(String(s.getPeerCertificate().subject?.CN ?? ''));
      s.once('data', () => s.end('HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok'));
    },
  );
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  port = (server.address() as AddressInfo).port;
});

afterAll(() => {
  server?.close();
  for (const d of [client, serverDir, work]) if (d) rmSync(d, { recursive: true, force: true });
});

const check = (tlsFiles?: HttpCheck['tls']): BoundCheck => ({
  type: 'SSL_GET',
  host: '127.0.0.1',
  port,
  connectTimeout: 3000,
  url: [{ path: '/', statusCode: [{ from: 200, to: 200 }] }],
  ...(tlsFiles ? { tls: tlsFiles } : {}),
});

describe('SSL block: the client side of SSL_GET', () => {
  it('a server that demands a client certificate passes only with the SSL block certificate and key', async () => {
    const signal = new AbortController().signal;
    expect((await probe(check(), signal)).ok).toBe(false);
    const n = accepted.length;
    const files = { certificate: join(client, 'cert.pem'), key: join(client, 'key.pem') };
    expect(await probe(check(files), signal)).toMatchObject({ ok: true });
    expect(accepted.slice(n)).toEqual(['hc.test']);
  });

  it('password decrypts an encrypted key; a wrong one fails the check with the reason', async () => {
    const signal = new AbortController().signal;
    const enc = { certificate: join(client, 'cert.pem'), key: join(work, 'enc.pem') };
    expect(await probe(check({ ...enc, password: 's3cret' }), signal)).toMatchObject({ ok: true });
    const bad = await probe(check({ ...enc, password: 'wrong' }), signal);
    expect(bad.ok).toBe(false);
    expect(bad.reason).toMatch(/^SSL: cannot load .*enc\.pem: /);
  });

  it('a file that cannot be loaded refuses the config at its line, and nothing is programmed', async () => {
    const text = (certificate: string, checker: string) => `SSL {
  certificate ${certificate}
  key ${join(client, 'key.pem')}
}
virtual_server 10.9.0.1 443 {
  lb_kind NAT
  protocol TCP
  real_server 10.9.1.1 443 {
    ${checker} {
      url {
        path /
      }
    }
  }
}
`;
    const start = async (conf: string) => {
      const plane = new FakeDataPlane();
      const d = new Director({
        plane,
        health: new FakeHealth(),
        adminStatePath: join(work, 'admin.json'),
        loadConfig: async () => parseConfigText(conf, { file: 'floatlb.conf' }),
      });
      try {
        await d.start();
        return { error: null, services: (await plane.list()).length };
      } catch (e) {
        return { error: (e as Error).message, services: (await plane.list()).length };
      } finally {
        await d.stop({ flush: false }).catch(() => undefined);
      }
    };
    const missing = join(work, 'absent.pem');
    expect(await start(text(missing, 'SSL_GET'))).toEqual({
      error: `config rejected, nothing changed: floatlb.conf:2:15: SSL certificate: cannot read ${missing}: ENOENT`,
      services: 0,
    });
    // keepalived loads the SSL block only when an SSL_GET needs it
    expect(await start(text(missing, 'HTTP_GET'))).toEqual({ error: null, services: 1 });
    expect(await start(text(join(client, 'cert.pem'), 'SSL_GET'))).toEqual({ error: null, services: 1 });
  });
});

// SSL_GET's client cost per check: floatlb's probe (one TLS context shared by
// every check, as keepalived shares its SSL_CTX) against the same probe with
// a context built per connection (what node does when given none, and what
// floatlb did before). The TLS server runs in a child process, so this
// process's CPU is the checker's alone.
// Run: npm run build && node dist/bench/health-ssl-context.js [--checks 2000]
import { execFileSync, fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { probe } from '../src/health/probes/index.js';
import type { BoundCheck } from '../src/health/types.js';

const argv = process.argv.slice(2);
const checks = Number(argv[argv.indexOf('--checks') + 1] || 2000);

if (process.argv[2] === '--serve') {
  const dir = process.argv[3]!;
  const server = tls.createServer(
    { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) },
    (s) => s.once('data', () => s.end('HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok')),
  );
  server.listen(0, '127.0.0.1', () => process.send!((server.address() as { port: number }).port));
} else {
  const dir = mkdtempSync(join(tmpdir(), 'bench-ssl-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
      '-days',
      '1',
      '-subj',
      '/CN=bench',
    ],
    { stdio: 'ignore' },
  );
  const child = fork(new URL(import.meta.url).pathname, ['--serve', dir]);
  const port = await new Promise<number>((ok) => child.once('message', (m) => ok(m as number)));
  const spec: BoundCheck = {
    type: 'SSL_GET',
    host: '127.0.0.1',
    port,
    connectTimeout: 5000,
    url: [{ path: '/' }],
  };
  const signal = new AbortController().signal;
  const shared = async () => {
    const r = await probe(spec, signal);
    if (!r.ok) throw new Error(r.reason);
  };
  const perConnection = () =>
    new Promise<void>((ok, fail) => {
      const s = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, servername: '' }, () =>
        s.write('GET / HTTP/1.0\r\n\r\n'),
      );
      s.on('data', () => undefined)
        .once('end', () => ok())
        .once('error', fail);
    });
  const measure = async (name: string, fn: () => Promise<void>) => {
    for (let i = 0; i < 50; i++) await fn();
    const c = process.cpuUsage();
    const t = performance.now();
    for (let i = 0; i < checks; i++) await fn();
    const u = process.cpuUsage(c);
    const cpuUs = (u.user + u.system) / checks;
    console.log(
      `${name.padEnd(34)} ${(cpuUs / 1000).toFixed(3)} ms CPU per check, ${((performance.now() - t) / checks).toFixed(3)} ms wall`,
    );
    return cpuUs;
  };
  const a = await measure('shared context (floatlb SSL_GET)', shared);
  const b = await measure('context per connection', perConnection);
  console.log(`ratio shared / per-connection: ${(a / b).toFixed(2)}`);
  child.kill();
  rmSync(dir, { recursive: true, force: true });
}

// Host tier (root: the test switches to other users): the control API over a
// unix socket and TCP, with a director on an in-memory data plane.
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/api/metrics.js';
import { ApiServer } from '../../src/api/server.js';
import { parseConfigText } from '../../src/config/index.js';
import { Director } from '../../src/director/director.js';
import { directorReload } from '../support/api-context.js';
import { FakeDataPlane } from '../support/fake-dataplane.js';
import { FakeHealth } from '../support/fake-health.js';
import { MRS_POOL_CONF } from '../support/mrs-pool.js';
import { requireRoot, requireTool } from '../support/require.js';

const CONFIG = MRS_POOL_CONF;
const NOBODY = 65534;
const TOKEN = 's3cret-token-for-tests';

let dir: string;
let sock: string;
let api: ApiServer;
let plane: FakeDataPlane;
let director: Director;
let tcpPort: number;

// Asynchronous on purpose: the server runs in this process.
function curl(args: string[], uid = 0): Promise<{ code: number; status: number; body: string }> {
  return new Promise((resolve) => {
    const c = spawn('curl', ['-s', '-m', '10', '-o', '-', '-w', '\\n%{http_code}', ...args], {
      uid,
      gid: uid,
    });
    let out = '';
    c.stdout.on('data', (b: Buffer) => {
      out += b.toString();
    });
    c.on('close', (code) => {
      const nl = out.lastIndexOf('\n');
      resolve({ code: code ?? -1, status: Number(out.slice(nl + 1)), body: out.slice(0, nl) });
    });
  });
}
const unix = (path: string, uid = 0, extra: string[] = []) =>
  curl(['--unix-socket', sock, ...extra, `http://x${path}`], uid);

beforeAll(async () => {
  requireRoot();
  requireTool('curl');
  dir = mkdtempSync(join(tmpdir(), 'floatlb-api-'));
  chmodSync(dir, 0o755);
  sock = join(dir, 'api.sock');
  plane = new FakeDataPlane();
  director = new Director({
    plane,
    health: new FakeHealth(),
    adminStatePath: join(dir, 'admin.json'),
    loadConfig: async () => parseConfigText(CONFIG, { file: 'api.conf' }),
  });
  await director.start();
  api = new ApiServer(
    {
      director,
      vrrp: () => [],
      startedAt: new Date(),
      configFile: 'api.conf',
      reload: directorReload(director),
    },
    {
      unix: { path: sock, gid: 0, mode: 0o666 },
      tcp: { host: '127.0.0.1', port: 0, token: TOKEN },
      metrics: createMetrics(() => plane).registry,
    },
  );
  await api.listen();
  tcpPort = api.tcpPort()!;
});

afterAll(async () => {
  await api?.close();
  await director?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('control API on a unix socket', () => {
  it('answers root with status', async () => {
    const r = await unix('/v1/status');
    expect(r.status).toBe(200);
    const j = JSON.parse(r.body);
    expect(j.plane).toBe('ipvs');
    expect(j.pools[0]).toMatchObject({ vip: '192.168.0.50', activeStandby: true, active: null });
  });

  it('links a member, and reports it running', async () => {
    const r = await unix('/v1/pools/192.168.0.50/members/192.168.1.2/link', 0, ['-X', 'POST']);
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toMatchObject({ state: 'running', operations: 1 });
    expect(JSON.parse((await unix('/v1/pools/192.168.0.50/members/192.168.1.3')).body).state).toBe('stopped');
  });

  it('refuses a caller outside the allowed groups and changes nothing', async () => {
    const before = readFileSync(join(dir, 'admin.json'), 'utf8');
    const r = await unix('/v1/pools/192.168.0.50/members/192.168.1.3/link', NOBODY, ['-X', 'POST']);
    expect(r.status).toBe(403);
    expect(JSON.parse(r.body).error).toMatch(/uid 65534 is not in an allowed group/);
    expect((await unix('/v1/status', NOBODY)).status).toBe(403);
    expect(readFileSync(join(dir, 'admin.json'), 'utf8')).toBe(before);
  });

  it('lets the kernel refuse a caller when the socket mode excludes it', async () => {
    chmodSync(sock, 0o660);
    try {
      const r = await unix('/v1/status', NOBODY);
      expect(r.code).toBe(7); // curl: could not connect
    } finally {
      chmodSync(sock, 0o666);
    }
  });

  it('answers malformed requests with 400 and changes nothing', async () => {
    const before = await plane.list();
    const bad = await Promise.all([
      unix('/v1/pools/not-an-ip/members/192.168.1.2/link', 0, ['-X', 'POST']),
      unix('/v1/realservers/weight', 0, ['-X', 'POST', '-d', '{not json']),
      unix('/v1/realservers/weight', 0, ['-X', 'POST', '-d', '[1,2]']),
      unix('/v1/realservers/weight', 0, ['-X', 'POST', '-d', '{"virtualServer":"tcp/192.168.0.50:20026"}']),
      unix('/v1/realservers/weight', 0, [
        '-X',
        'POST',
        '-d',
        '{"virtualServer":"tcp/192.168.0.50:20026","server":"192.168.1.2:20026","weight":"heavy"}',
      ]),
      unix('/v1/realservers/weight', 0, [
        '-X',
        'POST',
        '-d',
        '{"virtualServer":"tcp/192.168.0.50:20026","server":"192.168.1.2:20026","weight":70000}',
      ]),
    ]);
    for (const r of bad) {
      expect(r.status).toBe(400);
      expect(JSON.parse(r.body).error).toBeTruthy();
    }
    expect(await plane.list()).toEqual(before);
  });

  it('serves Prometheus metrics and the OpenAPI description', async () => {
    const m = await unix('/metrics');
    expect(m.status).toBe(200);
    expect(m.body).toContain('floatlb_dataplane_info{plane="ipvs"} 1');
    expect(m.body).toMatch(
      /floatlb_dataplane_weight\{service="tcp\/192\.168\.0\.50:20026",server="192\.168\.1\.2:20026"\} 1/,
    );
    const o = JSON.parse((await unix('/v1/openapi.json')).body);
    expect(Object.keys(o.paths)).toContain('/v1/pools/{vip}/members/{node}/link');
  });
});

describe('control API on TCP', () => {
  const tcp = (path: string, token?: string, extra: string[] = []) =>
    curl([
      ...(token ? ['-H', `Authorization: Bearer ${token}`] : []),
      ...extra,
      `http://127.0.0.1:${tcpPort}${path}`,
    ]);

  it('refuses a missing or wrong token with 401 and changes nothing', async () => {
    const before = await plane.list();
    expect((await tcp('/v1/status')).status).toBe(401);
    expect(
      (await tcp('/v1/pools/192.168.0.50/members/192.168.1.3/link', 'wrong', ['-X', 'POST'])).status,
    ).toBe(401);
    expect(await plane.list()).toEqual(before);
  });

  it('accepts the right token', async () => {
    const r = await tcp('/v1/pools/192.168.0.50', TOKEN);
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)[0].active).toBe('192.168.1.2');
  });
});

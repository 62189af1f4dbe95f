// Host tier: who may see the status page and who may change things through
// it. A director on an in-memory data plane behind three listeners: the unix
// socket, the token-guarded TCP API on a non-local (wildcard) address, and
// read-only status listeners on loopback and on a non-local address.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventLog, ProbeLedger, RateHistory } from '../../src/api/events.js';
import { createMetrics } from '../../src/api/metrics.js';
import { ApiServer } from '../../src/api/server.js';
import type { StatusSources } from '../../src/api/status-view.js';
import { parseConfigText } from '../../src/config/index.js';
import { Director } from '../../src/director/director.js';
import { directorReload } from '../support/api-context.js';
import { FakeDataPlane } from '../support/fake-dataplane.js';
import { FakeHealth } from '../support/fake-health.js';
import { MRS_LB, MRS_NODES, MRS_POOL_CONF } from '../support/mrs-pool.js';
import { requireRoot, requireTool } from '../support/require.js';

const TOKEN = 'status-page-token-for-tests';
const VS = `tcp/${MRS_LB}:20026`;
// durable: the reply comes once the admin state is on disk, which the test reads next
const DRAIN = JSON.stringify({ virtualServer: VS, server: `${MRS_NODES[0]}:20026`, durable: true });

let dir: string;
let director: Director;
let status: StatusSources;
const servers: ApiServer[] = [];
let apiUrl: string;
let roLocalUrl: string;
let roRemoteUrl: string;

function curl(args: string[]): Promise<{ status: number; body: string; headers: string }> {
  return new Promise((resolve) => {
    const c = spawn('curl', ['-s', '-m', '10', '-D', '-', '-w', '\n%{http_code}', ...args]);
    let out = '';
    c.stdout.on('data', (b: Buffer) => {
      out += b.toString();
    });
    c.on('close', () => {
      const nl = out.lastIndexOf('\n');
      const all = out.slice(0, nl);
      const split = all.indexOf('\r\n\r\n');
      resolve({
        status: Number(out.slice(nl + 1)),
        headers: all.slice(0, split),
        body: all.slice(split + 4),
      });
    });
  });
}
/** The first server-sent event of the stream, or the refusal. */
const stream = (url: string, extra: string[] = []) =>
  curl(['-N', '-m', '2', ...extra, `${url}/v1/events/stream`]);
const post = (url: string, path: string, extra: string[] = []) =>
  curl(['-X', 'POST', '-H', 'content-type: application/json', '-d', DRAIN, ...extra, `${url}${path}`]);
const adminState = () => readFileSync(join(dir, 'admin.json'), 'utf8');

beforeAll(async () => {
  requireRoot();
  requireTool('curl');
  dir = mkdtempSync(join(tmpdir(), 'floatlb-status-'));
  const plane = new FakeDataPlane();
  director = new Director({
    plane,
    health: new FakeHealth(),
    adminStatePath: join(dir, 'admin.json'),
    loadConfig: async () => parseConfigText(MRS_POOL_CONF, { file: 'status.conf' }),
  });
  await director.start();
  status = {
    director,
    vrrp: () => [],
    events: new EventLog(),
    probes: new ProbeLedger(),
    rates: new RateHistory(),
    vrrpSince: new Map(),
  };
  const ctx = {
    director,
    vrrp: () => [],
    startedAt: new Date(),
    configFile: 'status.conf',
    reload: directorReload(director),
  };
  const metrics = createMetrics(() => plane).registry;
  const make = async (o: Partial<ConstructorParameters<typeof ApiServer>[1]>) => {
    const s = new ApiServer(ctx, { metrics, status, ...o });
    await s.listen();
    servers.push(s);
    return s;
  };
  // 0.0.0.0 is not a loopback address: reaching it over 127.0.0.1 still needs the token.
  apiUrl = `http://127.0.0.1:${(await make({ unix: { path: join(dir, 'api.sock') }, tcp: { host: '0.0.0.0', port: 0, token: TOKEN } })).tcpPort()}`;
  roLocalUrl = `http://127.0.0.1:${(await make({ statusListen: { host: '127.0.0.1', port: 0 } })).statusPort()}`;
  roRemoteUrl = `http://127.0.0.1:${(await make({ statusListen: { host: '0.0.0.0', port: 0 }, statusToken: TOKEN })).statusPort()}`;
});

afterAll(async () => {
  for (const s of servers) await s.close();
  await director?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('status page listeners', () => {
  it('a non-local API listener without credentials refuses the page, the event stream and admin actions', async () => {
    const before = adminState();
    const page = await curl([`${apiUrl}/`]);
    expect(page.status).toBe(401);
    expect(page.body).toContain('needs the API token');
    expect(page.body).not.toContain('status-page.js');
    const ev = await stream(apiUrl);
    expect(ev.status).toBe(401);
    expect(ev.body).not.toContain('event: status');
    expect((await curl([`${apiUrl}/v1/status/view`])).status).toBe(401);
    expect((await curl([`${apiUrl}/v1/status.csv`])).status).toBe(401);
    expect((await post(apiUrl, '/v1/realservers/drain')).status).toBe(401);
    expect((await post(apiUrl, '/v1/realservers/drain', ['-H', 'authorization: Bearer wrong'])).status).toBe(
      401,
    );
    expect(adminState()).toBe(before);
    expect(status.events.list().at(-1)).toMatchObject({ kind: 'refused' });
  });

  it('with the token the page, stream and admin actions work, and the action is logged with the token identity', async () => {
    const auth = ['-H', `authorization: Bearer ${TOKEN}`];
    const page = await curl([...auth, `${apiUrl}/`]);
    expect(page.status).toBe(200);
    expect(page.body).toContain('<script src="/status-page.js">');
    const js = await curl([...auth, `${apiUrl}/status-page.js`]);
    expect(js.status).toBe(200);
    expect(js.body).toContain('EventSource');
    const ev = await stream(apiUrl, auth);
    expect(ev.body).toMatch(/^event: status\ndata: \{/);
    const view = JSON.parse(ev.body.split('\n')[1]!.slice('data: '.length));
    expect(view.canAdmin).toBe(true);
    expect(view.services[0]).toMatchObject({
      id: VS,
      scheduler: 'rr',
      forwarding: 'NAT',
      activeStandby: true,
    });
    const r = await post(apiUrl, '/v1/realservers/drain', auth);
    expect(r.status).toBe(200);
    expect(JSON.parse(adminState()).overrides).toEqual({ [`${VS}|${MRS_NODES[0]}:20026`]: { drain: true } });
    expect(status.events.list().at(-1)).toMatchObject({
      kind: 'admin',
      who: expect.stringMatching(/^token:[0-9a-f]{8} from 127\.0\.0\.1:/),
    });
    expect(JSON.stringify(status.events.list())).not.toContain(TOKEN);
    const csv = await curl([...auth, `${apiUrl}/v1/status.csv`]);
    expect(csv.body.split('\n')[0]).toBe(
      'service,scheduler,forwarding,server,state,last_check,latency_ms,reason,weight,kernel_weight,active,inactive,persistent,cps,bps',
    );
    expect(csv.body).toContain(`${VS},rr,NAT,${MRS_NODES[0]}:20026,`);
  });

  it('a browser signs in with the token as a cookie; a change by cookie needs the page header', async () => {
    const bad = await curl(['-X', 'POST', '-d', 'token=wrong', `${apiUrl}/login`]);
    expect(bad.status).toBe(401);
    const ok = await curl(['-X', 'POST', '-d', `token=${TOKEN}`, `${apiUrl}/login`]);
    expect(ok.status).toBe(303);
    const cookie = /set-cookie: ([^;]+);.*HttpOnly; SameSite=Strict/i.exec(ok.headers)?.[1] ?? '';
    expect((await curl(['-H', `cookie: ${cookie}`, `${apiUrl}/`])).status).toBe(200);
    expect((await stream(apiUrl, ['-H', `cookie: ${cookie}`])).body).toMatch(/^event: status/);
    const before = adminState();
    const forged = await post(apiUrl, '/v1/realservers/undrain', ['-H', `cookie: ${cookie}`]);
    expect(forged.status).toBe(403);
    expect(adminState()).toBe(before);
    const real = await post(apiUrl, '/v1/realservers/undrain', [
      '-H',
      `cookie: ${cookie}`,
      '-H',
      'x-floatlb-admin: 1',
    ]);
    expect(real.status).toBe(200);
    expect(JSON.parse(adminState()).overrides).toEqual({ [`${VS}|${MRS_NODES[0]}:20026`]: { drain: false } });
  });

  it('the read-only listener on loopback serves the page and stream without a token and refuses admin actions', async () => {
    expect((await curl([`${roLocalUrl}/`])).status).toBe(200);
    const ev = await stream(roLocalUrl);
    expect(ev.body).toMatch(/^event: status/);
    expect(JSON.parse(ev.body.split('\n')[1]!.slice(6)).canAdmin).toBe(false);
    const before = adminState();
    for (const path of [
      '/v1/realservers/drain',
      `/v1/pools/${MRS_LB}/members/${MRS_NODES[0]}/link`,
      '/v1/reload',
    ]) {
      const r = await post(roLocalUrl, path, ['-H', 'x-floatlb-admin: 1']);
      expect(r.status).toBe(403);
      expect(JSON.parse(r.body).error).toBe('the status listener is read-only');
    }
    expect(adminState()).toBe(before);
    expect(status.events.list().at(-1)).toMatchObject({
      kind: 'refused',
      text: expect.stringContaining('/v1/reload'),
    });
  });

  it('a read-only listener on a non-local address needs the token, and refuses admin actions even with it', async () => {
    expect((await curl([`${roRemoteUrl}/`])).status).toBe(401);
    expect((await stream(roRemoteUrl)).status).toBe(401);
    expect((await post(roRemoteUrl, '/v1/realservers/drain')).status).toBe(403);
    const auth = ['-H', `authorization: Bearer ${TOKEN}`];
    expect((await curl([...auth, `${roRemoteUrl}/`])).status).toBe(200);
    expect((await stream(roRemoteUrl, auth)).body).toMatch(/^event: status/);
    const before = adminState();
    expect((await post(roRemoteUrl, '/v1/realservers/drain', auth)).status).toBe(403);
    expect(adminState()).toBe(before);
  });

  it('refuses to open a non-local read-only listener without a token', async () => {
    const s = new ApiServer(
      { director, vrrp: () => [], startedAt: new Date(), configFile: 'x', reload: directorReload(director) },
      {
        metrics: createMetrics(() => director.plane).registry,
        status,
        statusListen: { host: '0.0.0.0', port: 0 },
      },
    );
    await expect(s.listen()).rejects.toThrow(/not a loopback address: it needs the API token/);
  });

  it('the unix socket serves the page and logs admin actions with the peer credentials', async () => {
    const sock = join(dir, 'api.sock');
    const page = await curl(['--unix-socket', sock, 'http://x/']);
    expect(page.status).toBe(200);
    const r = await curl([
      '--unix-socket',
      sock,
      '-X',
      'POST',
      `http://x/v1/pools/${MRS_LB}/members/${MRS_NODES[1]}/link`,
    ]);
    expect(r.status).toBe(200);
    expect(status.events.list().at(-1)).toMatchObject({
      kind: 'link',
      who: expect.stringMatching(/^uid 0 pid \d+$/),
    });
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ROUTES, route } from '../../../src/api/routes.js';
import { parseConfigText } from '../../../src/config/index.js';
import { Director } from '../../../src/director/director.js';
import type { ApplyResult, DataPlaneOp } from '../../../src/kernel/dataplane.js';
import { FakeDataPlane } from '../../support/fake-dataplane.js';
import { FakeHealth } from '../../support/fake-health.js';
import { MRS_POOL_CONF } from '../../support/mrs-pool.js';

const CONF = MRS_POOL_CONF;

/** A plane whose kernel refuses weight changes. */
class RefusingPlane extends FakeDataPlane {
  refuse = false;
  override async apply(ops: readonly DataPlaneOp[]): Promise<ApplyResult> {
    if (!this.refuse) return super.apply(ops);
    return { applied: 0, errors: ops.map((op) => ({ op, error: new Error('ENOMEM') })), transactions: 1 };
  }
}

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function setup() {
  dir = mkdtempSync(join(tmpdir(), 'floatlb-routes-'));
  const plane = new RefusingPlane();
  const d = new Director({
    plane,
    health: new FakeHealth(),
    adminStatePath: join(dir, 'admin.json'),
    loadConfig: async () => parseConfigText(CONF, { file: 'r.conf' }),
  });
  await d.start();
  const reloads: number[] = [];
  const ctx = {
    director: d,
    vrrp: () => [],
    startedAt: new Date(),
    configFile: 'r.conf',
    reload: async () => {
      reloads.push(Date.now());
      return { operations: 3, errors: ['delete-dest: EBUSY'], warnings: ['r.conf:1:1: w'] };
    },
  };
  return { plane, d, ctx, reloads };
}

describe('member state for checkLB', () => {
  it('is running once linked, stopped when not', async () => {
    const { ctx, d } = await setup();
    const { status: st, body } = await route(
      ctx,
      'POST',
      '/v1/pools/192.168.0.50/members/192.168.1.2/link',
      null,
    );
    expect(st).toBe(200);
    expect(body).toMatchObject({ state: 'running' });
    expect((await route(ctx, 'GET', '/v1/pools/192.168.0.50/members/192.168.1.3', null)).body).toMatchObject({
      state: 'stopped',
    });
    await d.stop();
  });

  it('is abnormal, not running, when the kernel refused the link', async () => {
    const { ctx, d, plane } = await setup();
    plane.refuse = true;
    const { status: st } = await route(ctx, 'POST', '/v1/pools/192.168.0.50/members/192.168.1.2/link', null);
    expect(st).toBe(500);
    const { body } = await route(ctx, 'GET', '/v1/pools/192.168.0.50/members/192.168.1.2', null);
    expect(body).toMatchObject({
      state: 'abnormal',
      reason: expect.stringMatching(/refused changes: .*ENOMEM/),
    });
    await d.stop();
  });
});

describe('POST /v1/reload', () => {
  it("runs the process's one reload and reports what it did", async () => {
    const { ctx, d, reloads } = await setup();
    const { status: st, body } = await route(ctx, 'POST', '/v1/reload', null);
    expect(st).toBe(200);
    expect(body).toEqual({ operations: 3, errors: ['delete-dest: EBUSY'], warnings: ['r.conf:1:1: w'] });
    expect(reloads).toHaveLength(1);
    // The route does not reload the director by itself: the daemon's reload does that.
    expect(d.counters.reloads).toBe(0);
    await d.stop();
  });
});

describe('the plain-text member state', () => {
  it('answers one word, and names the bad argument with 400', async () => {
    const { ctx, d } = await setup();
    await route(ctx, 'POST', '/v1/pools/192.168.0.50/members/192.168.1.2/link', null);
    const base = '/v1/pools/192.168.0.50/members';
    expect(await route(ctx, 'GET', `${base}/192.168.1.2/state`, null)).toMatchObject({
      status: 200,
      text: 'running',
    });
    expect((await route(ctx, 'GET', `${base}/192.168.1.3/state`, null)).text).toBe('stopped');
    // Any spelling of an IPv6 literal finds its pool; leading zeros in IPv4, zone
    // indexes and names are refused by the director, not by the scripts.
    for (const [vip, node, what] of [
      ['192.168.00.50', '192.168.1.2', 'LB IP'],
      ['fe80::1%25eth0', '192.168.1.2', 'LB IP'],
      ['192.168.0.50', 'node1.example', 'node'],
      ['2001:db8::50::1', '192.168.1.2', 'LB IP'],
    ] as const) {
      const r = await route(ctx, 'GET', `/v1/pools/${vip}/members/${node}/state`, null);
      expect(r.status, vip).toBe(400);
      expect(r.text).toMatch(new RegExp(`^${what} ".+" is not an IPv4 or IPv6 address$`));
    }
    expect(await route(ctx, 'GET', '/v1/pools/192.168.0.99/members/192.168.1.2/state', null)).toMatchObject({
      status: 404,
      text: 'no virtual server answers on 192.168.0.99',
    });
    await d.stop();
  });
});

describe('OpenAPI from the route table', () => {
  it('lists every route, and every path it lists is a route', async () => {
    const { ctx, d } = await setup();
    const { status, body } = await route(ctx, 'GET', '/v1/openapi.json', null);
    expect(status).toBe(200);
    const paths = (body as { paths: Record<string, Record<string, unknown>> }).paths;
    const documented = Object.entries(paths).flatMap(([p, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`),
    );
    const routed = ROUTES.map((r) => `${r.method} ${r.path}`);
    expect(documented.sort()).toEqual([...routed].sort());
    // Each documented operation is dispatched: a request to it does not fall
    // through to "no route".
    for (const r of ROUTES) {
      const concrete = r.path.replace('{vip}', '192.168.0.50').replace('{node}', '192.168.1.2');
      const reply = await route(ctx, r.method, concrete, { virtualServer: 'x', server: 'y', weight: null });
      expect(reply.text ?? '', `${r.method} ${r.path}`).not.toMatch(/^no route/);
      // Path parameters are documented with the names the path uses.
      const names = [...r.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      const op = paths[r.path]![r.method.toLowerCase()] as { parameters?: Array<{ name: string }> };
      expect((op.parameters ?? []).map((p) => p.name)).toEqual(names);
    }
    await d.stop();
  });
});

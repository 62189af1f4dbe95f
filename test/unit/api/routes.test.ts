import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { route } from '../../../src/api/routes.js';
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
    const [st, body] = await route(ctx, 'POST', '/v1/pools/192.168.0.50/members/192.168.1.2/link', null);
    expect(st).toBe(200);
    expect(body).toMatchObject({ state: 'running' });
    expect((await route(ctx, 'GET', '/v1/pools/192.168.0.50/members/192.168.1.3', null))[1]).toMatchObject({
      state: 'stopped',
    });
    await d.stop();
  });

  it('is abnormal, not running, when the kernel refused the link', async () => {
    const { ctx, d, plane } = await setup();
    plane.refuse = true;
    const [st] = await route(ctx, 'POST', '/v1/pools/192.168.0.50/members/192.168.1.2/link', null);
    expect(st).toBe(500);
    const [, body] = await route(ctx, 'GET', '/v1/pools/192.168.0.50/members/192.168.1.2', null);
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
    const [st, body] = await route(ctx, 'POST', '/v1/reload', null);
    expect(st).toBe(200);
    expect(body).toEqual({ operations: 3, errors: ['delete-dest: EBUSY'], warnings: ['r.conf:1:1: w'] });
    expect(reloads).toHaveLength(1);
    // The route does not reload the director by itself: the daemon's reload does that.
    expect(d.counters.reloads).toBe(0);
    await d.stop();
  });
});

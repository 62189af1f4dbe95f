// Addresses leave the API in their one canonical form, whatever spelling the
// config or the request used: RFC 5952 for IPv6 (lower case, zero runs
// compressed, IPv4-mapped written in hex as the kernel reports it).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { route } from '../../../src/api/routes.js';
import { parseConfigText } from '../../../src/config/index.js';
import { Director } from '../../../src/director/director.js';
import { FakeDataPlane } from '../../support/fake-dataplane.js';
import { FakeHealth } from '../../support/fake-health.js';

const CONF = `virtual_server 2001:DB8:0:0::50 80 {
  lb_algo rr
  lb_kind NAT
  protocol TCP
  active_standby
  real_server 2001:0DB8::0:11 80 {
    weight 1
  }
  real_server 2001:db8:0:0:0:0:0:12 80 {
    weight 1
  }
}
virtual_server ::FFFF:10.0.0.50 80 {
  lb_algo rr
  lb_kind NAT
  protocol TCP
  real_server 2001:DB8::13 80 {
    weight 1
  }
}
`;

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function setup() {
  dir = mkdtempSync(join(tmpdir(), 'floatlb-canon-'));
  const d = new Director({
    plane: new FakeDataPlane(),
    health: new FakeHealth(),
    adminStatePath: join(dir, 'admin.json'),
    loadConfig: async () => parseConfigText(CONF, { file: 'c.conf' }),
  });
  await d.start();
  const ctx = {
    director: d,
    vrrp: () => [],
    startedAt: new Date(),
    configFile: 'c.conf',
    reload: async () => ({ operations: 0, errors: [], warnings: [] }),
  };
  return { d, ctx };
}

describe('canonical addresses in the API', () => {
  it('lists pools and members in canonical form', async () => {
    const { d, ctx } = await setup();
    const { body } = await route(ctx, 'GET', '/v1/pools', null);
    const pools = body as Array<{ vip: string; members: Array<{ node: string }> }>;
    expect(pools.map((p) => [p.vip, p.members.map((m) => m.node)])).toEqual([
      ['2001:db8::50', ['2001:db8::11', '2001:db8::12']],
      ['::ffff:a00:32', ['2001:db8::13']],
    ]);
    await d.stop();
  });

  it('finds a pool and a member by any spelling, and answers in canonical form', async () => {
    const { d, ctx } = await setup();
    const link = await route(ctx, 'POST', '/v1/pools/2001:DB8:0::50/members/2001:db8:0:0::11/link', null);
    expect(link.status).toBe(200);
    expect(link.body).toMatchObject({ vip: '2001:db8::50', node: '2001:db8::11', state: 'running' });
    const pool = await route(ctx, 'GET', '/v1/pools/2001:0db8:0000::0050', null);
    expect(pool.status).toBe(200);
    expect(pool.body).toMatchObject([{ vip: '2001:db8::50', active: '2001:db8::11' }]);
    const mapped = await route(ctx, 'GET', '/v1/pools/::FFFF:10.0.0.50', null);
    expect(mapped.body).toMatchObject([{ vip: '::ffff:a00:32' }]);
    const state = await route(ctx, 'GET', '/v1/pools/2001:db8::50/members/2001:DB8::0:11/state', null);
    expect(state.body).toBe('running');
    await d.stop();
  });
});

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/config/index.js';
import { Director } from '../../../src/director/director.js';
import { canonicalIp as asIp } from '../../../src/kernel/vocabulary.js';
import { FakeDataPlane } from '../../support/fake-dataplane.js';
import { FakeHealth } from '../../support/fake-health.js';

const base = `
virtual_server 10.0.0.200 80 {
  lb_algo wrr
  lb_kind NAT
  protocol TCP
  real_server 10.0.1.1 80 {
    weight 1
    TCP_CHECK {
      connect_timeout 1
    }
  }
  real_server 10.0.1.2 80 {
    weight 3
    TCP_CHECK {
      connect_timeout 1
    }
  }
}
virtual_server 192.168.0.50 20026 {
  lb_algo rr
  lb_kind NAT
  active_standby
  real_server 192.168.1.2 20026 { weight 1 }
  real_server 192.168.1.3 20026 { weight 1 }
}
`;

let dir: string;
let text: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'floatlb-director-'));
  text = base;
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function director(plane = new FakeDataPlane(), health = new FakeHealth()) {
  const d = new Director({
    plane,
    health,
    adminStatePath: join(dir, 'admin.json'),
    loadConfig: async () => parseConfigText(text, { file: 'floatlb.conf' }),
  });
  return { d, plane, health };
}

const weights = async (plane: FakeDataPlane) =>
  (await plane.list()).flatMap((s) =>
    s.dests.map((x) => `${s.key.kind === 'ip' ? s.key.port : ''}>${x.address}=${x.weight}`),
  );

describe('Director', () => {
  it('programs the config at start and then adopts its own state without operations', async () => {
    const { d, plane } = director();
    const first = await d.start();
    expect(first.ops).toHaveLength(6);
    expect(await weights(plane)).toEqual([
      '80>10.0.1.1=1',
      '80>10.0.1.2=3',
      '20026>192.168.1.2=0',
      '20026>192.168.1.3=0',
    ]);
    await d.stop();
    // A restart finds everything in place: zero operations, nothing flushed.
    const again = director(plane);
    expect((await again.d.start()).ops).toEqual([]);
    await again.d.stop();
    expect(plane.services.size).toBe(2);
  });

  it('follows health: a failed server leaves, a recovered one returns', async () => {
    const { d, plane, health } = director();
    await d.start();
    health.set('tcp/10.0.0.200:80|10.0.1.2:80', false);
    await d.reconcile();
    expect(await weights(plane)).not.toContain('80>10.0.1.2=3');
    health.set('tcp/10.0.0.200:80|10.0.1.2:80', true);
    await d.reconcile();
    expect(await weights(plane)).toContain('80>10.0.1.2=3');
    await d.stop();
  });

  it('reload applies only the difference', async () => {
    const { d, plane } = director();
    await d.start();
    plane.log.length = 0;
    text = base.replace('weight 3', 'weight 5');
    const r = await d.reload();
    expect(r.ops).toEqual([
      expect.objectContaining({
        op: 'update-dest',
        dest: expect.objectContaining({ address: asIp('10.0.1.2'), weight: 5 }),
      }),
    ]);
    expect(plane.log).toHaveLength(1);
    await d.stop();
  });

  it('a broken config on reload changes nothing and names the line', async () => {
    const { d, plane } = director();
    await d.start();
    const before = await plane.list();
    // A keyword without its value: keepalived exits on it, so floatlb refuses it too.
    text = `${base}\nvirtual_server 10.0.0.9 80 {\n  lb_algo\n}\n`;
    await expect(d.reload()).rejects.toThrow(/floatlb\.conf:\d+:\d+: .*lb_algo/);
    expect(await plane.list()).toEqual(before);
    await d.stop();
  });

  it('a service removed from the config is deleted; one it never owned is left alone', async () => {
    const plane = new FakeDataPlane();
    await plane.apply([
      {
        op: 'add-service',
        service: {
          key: { kind: 'ip', family: 'inet', protocol: 'udp', address: asIp('10.9.9.9'), port: 53 },
          scheduler: 'rr',
          flags: 0,
          persistence: null,
        },
      },
    ]);
    const { d } = director(plane);
    await d.start();
    text = base.split('virtual_server 192.168.0.50')[0]!;
    const r = await d.reload();
    expect(r.ops.map((o) => o.op)).toEqual(['delete-service']);
    expect([...plane.services.keys()].sort()).toEqual(['tcp/10.0.0.200:80', 'udp/10.9.9.9:53']);
    await d.stop();
  });

  it('persists links before acknowledging them, and restores them at start', async () => {
    const { d, plane } = director();
    await d.start();
    await d.setLink('192.168.0.50', '192.168.1.3', 'linked');
    const saved = JSON.parse(readFileSync(join(dir, 'admin.json'), 'utf8'));
    expect(saved.links['192.168.0.50']).toEqual({ '192.168.1.3': 'linked' });
    expect(await weights(plane)).toContain('20026>192.168.1.3=1');
    // A new process on an empty kernel rebuilds the same state.
    const fresh = new FakeDataPlane();
    const second = director(fresh);
    await second.d.start();
    expect(await weights(fresh)).toEqual(await weights(plane));
    await d.stop();
    await second.d.stop();
  });

  it('refuses unknown pools, nodes and bad weights without changing anything', async () => {
    const { d, plane } = director();
    await d.start();
    const before = await plane.list();
    await expect(d.setLink('192.168.0.99', '192.168.1.3', 'linked')).rejects.toMatchObject({ status: 404 });
    await expect(d.setLink('192.168.0.50', '192.168.1.9', 'linked')).rejects.toMatchObject({ status: 404 });
    await expect(d.setOverride('tcp/10.0.0.200:80', '10.0.1.1:80', { weight: -1 })).rejects.toMatchObject({
      status: 400,
    });
    expect(await plane.list()).toEqual(before);
    await d.stop();
  });

  it('flushes only owned services on stop when asked', async () => {
    const { d, plane } = director();
    await d.start();
    await d.stop({ flush: true });
    expect(plane.services.size).toBe(0);
  });

  it('tells role probes from health checks by their type, not their id', async () => {
    const probe = (ip: string) => `  real_server ${ip} 20026 {
    weight 1
    TCP_CHECK {
      connect_timeout 1
    }
    @floatlb role_probe { HTTP_GET { url { path /active
    @floatlb   status_code 200 } } }
  }`;
    text = `virtual_server 192.168.0.50 20026 {
  lb_algo rr
  lb_kind NAT
  active_standby
${probe('192.168.1.2')}
${probe('192.168.1.3')}
}
`;
    const { d, health } = director();
    await d.start();
    const byCheck = (type: string, host: string) =>
      health.targets.find((t) => t.host === host && t.checks[0].type === type)!.id;
    expect(health.targets).toHaveLength(4);
    health.set(byCheck('HTTP_GET', '192.168.1.2'), false);
    health.set(byCheck('HTTP_GET', '192.168.1.3'), true);
    await d.reconcile();
    const pool = d.poolsStatus()[0]!;
    // Nobody linked: the role probe picks .3; .2's failed role probe is not a failed health check.
    expect(pool.active).toBe('192.168.1.3');
    expect(pool.members.find((m) => m.node === '192.168.1.2')).toMatchObject({
      healthy: true,
      roleUp: false,
    });
    health.set(byCheck('TCP_CHECK', '192.168.1.3'), false);
    await d.reconcile();
    expect(d.poolsStatus()[0]!.members.find((m) => m.node === '192.168.1.3')).toMatchObject({
      healthy: false,
    });
    await d.stop();
  });
});

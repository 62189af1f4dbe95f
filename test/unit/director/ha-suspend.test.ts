// ha_suspend: a virtual server whose address this host does not hold runs no
// checks (its servers keep their state); the checks resume when the address
// arrives. The prober is a counter, the host's addresses a set the test holds.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/config/index.js';
import { Director } from '../../../src/director/director.js';
import { HealthChecker } from '../../../src/health/checker.js';
import { FakeDataPlane } from '../../support/fake-dataplane.js';

const text = (suspend: boolean) => `
virtual_server 10.5.0.1 80 {
  lb_algo rr
  lb_kind NAT
  protocol TCP
  ${suspend ? 'ha_suspend' : ''}
  real_server 10.5.1.1 80 {
    TCP_CHECK {
      delay_loop 0.05
      warmup 0
    }
  }
}
`;

async function run(suspend: boolean) {
  const probed: string[] = [];
  const local = new Set<string>();
  const health = new HealthChecker({
    prober: async (spec) => {
      probed.push(spec.host);
      return { ok: true, latencyMs: 0 };
    },
  });
  const d = new Director({
    plane: new FakeDataPlane(),
    health,
    adminStatePath: join(mkdtempSync(join(tmpdir(), 'floatlb-hasusp-')), 'a.json'),
    loadConfig: async () => parseConfigText(text(suspend), { file: 'h.conf' }),
    localAddresses: () => local,
  });
  await d.start();
  return { d, probed, local };
}

const until = async (ok: () => boolean) => {
  const end = Date.now() + 20_000;
  while (!ok()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('ha_suspend', () => {
  it('runs no check while the VIP is elsewhere, and resumes when it arrives', async () => {
    const { d, probed, local } = await run(true);
    try {
      // The service's own address is missing: however long this takes, nothing is probed.
      await new Promise((r) => setTimeout(r, 300));
      expect(probed).toEqual([]);
      expect(d.poolsStatus()[0].members[0]!.healthy).toBe(true);
      local.add('10.5.0.1');
      await until(() => probed.length > 0);
      expect(probed[0]).toBe('10.5.1.1');
    } finally {
      await d.stop();
    }
  });

  it('without ha_suspend, checks run wherever the VIP is', async () => {
    const { d, probed } = await run(false);
    try {
      await until(() => probed.length > 0);
    } finally {
      await d.stop();
    }
  });
});

// Host tier: two `floatlb run` directors under VRRP on the nftables plane.
// The master fails as a node does (process killed, links down); the backup
// takes both VIPs and traffic continues.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpFrom } from '../support/director-lab.js';
import { buildHaLab, HA_VIP, type HaLab, haConfig, nodeIp } from '../support/ha-lab.js';
import { requireRoot, requireTool } from '../support/require.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const VS = `virtual_server ${HA_VIP} 80 {
  delay_loop 1
  lb_algo wrr
  lb_kind NAT
  protocol TCP
${[0, 1]
  .map(
    (i) => `  real_server ${nodeIp(i)} 80 {
    weight 1
    TCP_CHECK {
      connect_timeout 1
    }
  }`,
  )
  .join('\n')}
}
`;

describe('two directors under VRRP', () => {
  let lab: HaLab;

  beforeAll(async () => {
    requireRoot();
    requireTool('nft');
    lab = await buildHaLab(2);
    lab.startDirector(0, haConfig(0, VS));
    lab.startDirector(1, haConfig(1, VS));
    await lab.waitMaster(0);
  });

  afterAll(() => lab?.cleanup());

  it('elects the higher priority, which holds both VIPs and balances traffic', async () => {
    expect(lab.hasVip(1)).toBe(false);
    // The two instances become master independently: the gateway VIP may follow a moment later.
    const gwVip = () => lab.directors[0]!.ip('-4', 'addr', 'show', 'dev', 'eth1').includes('10.81.1.1/24');
    for (let i = 0; i < 100 && !gwVip(); i++) await sleep(50);
    expect(gwVip()).toBe(true);
    const seen = new Map<string, number>();
    for (let i = 0; i < 40; i++) {
      const who = (await httpFrom(lab.client, `http://${HA_VIP}:80`)) ?? 'failed';
      seen.set(who, (seen.get(who) ?? 0) + 1);
    }
    expect(Object.fromEntries(seen)).toEqual({ node0: 20, node1: 20 });
  });

  it('moves both VIPs to the backup when the master node fails, and traffic continues', async () => {
    const results: Array<{ t: number; ok: boolean }> = [];
    let running = true;
    const loop = (async () => {
      while (running) {
        results.push({
          t: Date.now(),
          ok: (await httpFrom(lab.client, `http://${HA_VIP}:80`, 500)) !== null,
        });
        await sleep(20);
      }
    })();
    await sleep(500);
    const failedAt = Date.now();
    lab.failDirector(0);
    await lab.waitMaster(1, 15_000);
    const end = Date.now() + 10_000;
    while (!results.some((r) => r.t > failedAt && r.ok) && Date.now() < end) await sleep(50);
    await sleep(1000);
    running = false;
    await loop;
    expect(lab.directors[1]!.ip('-4', 'addr', 'show', 'dev', 'eth1')).toContain('10.81.1.1/24');
    const firstOk = results.find((r) => r.t > failedAt && r.ok);
    expect(firstOk).toBeDefined();
    const failed = results.filter((r) => r.t > failedAt && !r.ok).length;
    const gap = firstOk!.t - failedAt;
    expect(results.filter((r) => r.t > firstOk!.t && !r.ok)).toEqual([]);
    process.stdout.write(`[ha] master failure: first success after ${gap} ms, ${failed} failed requests\n`);
  });
});

// floatlb's VRRP speaker and keepalived 2.2.7 elect one master between them,
// whoever starts first, with keepalived's preempt/nopreempt semantics.
import { afterEach, describe, expect, it } from 'vitest';
import { type Lan, lan, type Speaker, sleep, startFloat, startKeepalived, VIP } from './vrrp-lab.js';

let net: Lan | null = null;
const speakers: Speaker[] = [];

afterEach(async () => {
  for (const s of speakers.splice(0)) await s.kill9().catch(() => {});
  net?.destroy();
  net = null;
});

function track<T extends Speaker>(s: T): T {
  speakers.push(s);
  return s;
}

/** The first speaker becomes master alone, then the second starts. */
async function firstThen(first: () => Speaker, second: () => Speaker): Promise<[Speaker, Speaker]> {
  const a = track(first());
  await a.waitState('MASTER', 8000);
  const b = track(second());
  await b.waitState('BACKUP', 8000).catch(() => b.waitState('MASTER', 1));
  return [a, b];
}

describe.each([2, 3] as const)('VRRPv%i election with keepalived', (version) => {
  const auth = version === 2 ? { authPass: 'secret' } : {};

  it('floatlb (150) preempts keepalived (100) that was master first; its VIP carries the label', async () => {
    net = await lan();
    const { d1, d2 } = net;
    const vips = [{ address: VIP, prefixLen: 32, label: 'eth0:vip' }];
    const [ka, fl] = await firstThen(
      () => startKeepalived(d1, { priority: 100, version, ...auth }),
      () => startFloat(d2, { priority: 150, version, vips, ...auth }),
    );
    const mark = ka.mark();
    await fl.waitState('MASTER', 8000);
    await ka.waitState('BACKUP', 3000, mark);
    // The VIP is added just after the state change is reported.
    for (let i = 0; !d2.ip('-4', 'addr', 'show', 'eth0').includes('10.7.0.100') && i < 40; i++)
      await sleep(50);
    expect(d2.ip('-4', 'addr', 'show', 'eth0')).toMatch(/inet 10\.7\.0\.100\/32 .*eth0:vip/);
    expect(d2.ip('-4', 'addr', 'show', 'label', 'eth0:vip')).toContain('10.7.0.100/32');
    await sleep(500);
    expect(d1.ip('-4', 'addr', 'show', 'eth0')).not.toContain('10.7.0.100');
  });

  it('keepalived (150) preempts floatlb (100) that was master first', async () => {
    net = await lan();
    const { d1, d2 } = net;
    const [fl, ka] = await firstThen(
      () => startFloat(d2, { priority: 100, version, ...auth }),
      () => startKeepalived(d1, { priority: 150, version, ...auth }),
    );
    const mark = fl.mark();
    await ka.waitState('MASTER', 8000);
    await fl.waitState('BACKUP', 3000, mark);
    await sleep(500);
    expect(d2.ip('-4', 'addr', 'show', 'eth0')).not.toContain('10.7.0.100');
    expect(d1.ip('-4', 'addr', 'show', 'eth0')).toContain('10.7.0.100/32');
  });

  it('floatlb with nopreempt (150) leaves keepalived (100) master', async () => {
    net = await lan();
    const { d1, d2 } = net;
    const [ka, fl] = await firstThen(
      () => startKeepalived(d1, { priority: 100, version, ...auth }),
      () => startFloat(d2, { priority: 150, version, preempt: false, ...auth }),
    );
    const mark = ka.mark();
    await sleep(6000);
    await expect(fl.waitState('MASTER', 1)).rejects.toThrow();
    await expect(ka.waitState('BACKUP', 1, mark)).rejects.toThrow();
    expect(d1.ip('-4', 'addr', 'show', 'eth0')).toContain('10.7.0.100/32');
  });

  it('keepalived with nopreempt (150) leaves floatlb (100) master', async () => {
    net = await lan();
    const { d1, d2 } = net;
    const [fl, ka] = await firstThen(
      () => startFloat(d2, { priority: 100, version, ...auth }),
      () => startKeepalived(d1, { priority: 150, version, nopreempt: true, ...auth }),
    );
    const mark = fl.mark();
    await sleep(6000);
    await expect(ka.waitState('MASTER', 1)).rejects.toThrow();
    await expect(fl.waitState('BACKUP', 1, mark)).rejects.toThrow();
    expect(d2.ip('-4', 'addr', 'show', 'eth0')).toContain('10.7.0.100/32');
  });
});

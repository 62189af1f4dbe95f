// Unicast VRRP across a router namespace that forwards unicast and drops
// multicast: floatlb on one subnet, keepalived 2.2.7 on another. Adverts
// arrive with TTL 254, accepted through unicast_peer min_ttl/max_ttl, or
// without bounds at any TTL, as keepalived accepts them.
import { afterEach, describe, expect, it } from 'vitest';
import { requireTool } from '../support/require.js';
import {
  type KaOptions,
  nft,
  type Speaker,
  sleep,
  startFloat,
  startKeepalived,
  VIP,
  vrTopology,
} from './vrrp-lab.js';

const FL = '10.9.1.2';
const KA = '10.9.2.2';
const cleanups: Array<() => void> = [];
const speakers: Speaker[] = [];

afterEach(async () => {
  for (const s of speakers.splice(0)) await s.kill9().catch(() => {});
  for (const c of cleanups.splice(0)) c();
});

type Side = { name: string; speaker: Speaker; ns: Parameters<typeof hasVip>[0] };

/** Stops the master gracefully and times the backup's move to MASTER; the VIP must follow it. */
async function handOver(master: Side, backup: Side): Promise<void> {
  const mark = backup.speaker.mark();
  const t0 = performance.now();
  await master.speaker.stop();
  const at = await backup.speaker.waitState('MASTER', 5000, mark);
  console.log(
    `unicast across router, ${master.name} master stopped: ${backup.name} master after ${((at - t0) / 1000).toFixed(3)} s`,
  );
  await sleep(300);
  expect(hasVip(backup.ns)).toBe(true);
  expect(hasVip(master.ns)).toBe(false);
}

/** fl 10.9.1.2 ─ rt 10.9.1.1 | 10.9.2.1 ─ ka 10.9.2.2; the router drops multicast. */
async function routed() {
  requireTool('keepalived');
  const topo = await vrTopology({
    nodes: ['ufl', 'urt', 'uka'],
    veths: [
      {
        a: { node: 'ufl', ifname: 'eth0', addrs: [`${FL}/24`] },
        b: { node: 'urt', ifname: 'eth0', addrs: ['10.9.1.1/24'] },
      },
      {
        a: { node: 'uka', ifname: 'eth0', addrs: [`${KA}/24`] },
        b: { node: 'urt', ifname: 'eth1', addrs: ['10.9.2.1/24'] },
      },
    ],
    routes: [
      { node: 'ufl', dst: 'default', via: '10.9.1.1' },
      { node: 'uka', dst: 'default', via: '10.9.2.1' },
    ],
    sysctls: { urt: { 'net.ipv4.ip_forward': 1 } },
  });
  cleanups.push(() => topo.destroy());
  const [fl, rt, ka] = [topo.node('ufl'), topo.node('urt'), topo.node('uka')];
  nft(
    rt,
    `table inet vrrouter {
  chain routed {
    type filter hook forward priority 0;
    ip daddr 224.0.0.0/4 counter drop
    ip protocol 112 counter accept
  }
}`,
  );
  return { fl, rt, ka };
}

const floatUnicast = (priority: number) => ({
  priority,
  version: 3 as const,
  srcIp: FL,
  unicastPeers: [KA],
  unicastPeerTtl: [{ address: KA, minTtl: 250, maxTtl: 255 }],
});
const kaUnicast = (priority: number): KaOptions => ({
  priority,
  version: 3,
  unicastSrc: KA,
  unicastPeers: [`${FL} min_ttl 250 max_ttl 255`],
});

const hasVip = (ns: { ip(...a: string[]): string }) =>
  ns.ip('-4', 'addr', 'show', 'eth0').includes(`${VIP}/32`);

describe('unicast VRRPv3 across a router with keepalived', () => {
  it('floatlb (150) preempts keepalived (100); keepalived takes over when floatlb stops', async () => {
    const { fl, rt, ka } = await routed();
    const k = startKeepalived(ka, kaUnicast(100));
    speakers.push(k);
    await k.waitState('MASTER', 8000);
    const f = startFloat(fl, floatUnicast(150));
    speakers.push(f);
    const mark = k.mark();
    await f.waitState('MASTER', 8000);
    await k.waitState('BACKUP', 3000, mark);
    await sleep(500);
    expect(hasVip(fl)).toBe(true);
    expect(hasVip(ka)).toBe(false);
    // The adverts went through the router as unicast, with TTL 254.
    const counters = rt.exec('nft', 'list', 'table', 'inet', 'vrrouter');
    expect(Number(/protocol (?:112|vrrp) counter packets (\d+)/.exec(counters)?.[1])).toBeGreaterThan(0);
    const stats = await f.stats();
    expect(stats.received).toBeGreaterThan(0);
    expect(stats.dropped).toEqual({});

    await handOver({ name: 'floatlb', speaker: f, ns: fl }, { name: 'keepalived', speaker: k, ns: ka });
  });

  it('keepalived (150) preempts floatlb (100); floatlb takes over when keepalived stops', async () => {
    const { fl, ka } = await routed();
    const f = startFloat(fl, floatUnicast(100));
    speakers.push(f);
    await f.waitState('MASTER', 8000);
    const k = startKeepalived(ka, kaUnicast(150));
    speakers.push(k);
    const mark = f.mark();
    await k.waitState('MASTER', 8000);
    await f.waitState('BACKUP', 3000, mark);
    await sleep(500);
    expect(hasVip(ka)).toBe(true);
    expect(hasVip(fl)).toBe(false);

    await handOver({ name: 'keepalived', speaker: k, ns: ka }, { name: 'floatlb', speaker: f, ns: fl });
  });

  it('without TTL bounds floatlb accepts the routed adverts (TTL 254), as keepalived does, and stays backup', async () => {
    // keepalived checks the TTL of unicast adverts only against min_ttl/max_ttl
    // (vrrp-ttl-group.test.ts shows it accepting TTL 9 from floatlb without bounds).
    const { fl, ka } = await routed();
    const k = startKeepalived(ka, kaUnicast(150));
    speakers.push(k);
    await k.waitState('MASTER', 8000);
    const { unicastPeerTtl: _, ...noBounds } = floatUnicast(100);
    const f = startFloat(fl, noBounds);
    speakers.push(f);
    await f.waitState('BACKUP', 8000);
    await sleep(5000); // past the master-down interval (3.6 s)
    const stats = await f.stats();
    expect((stats.dropped as Record<string, number>)['bad-ttl'] ?? 0).toBe(0);
    expect(f.output()).not.toMatch(/"state":"MASTER"/);
    expect(hasVip(fl)).toBe(false);
  });
});

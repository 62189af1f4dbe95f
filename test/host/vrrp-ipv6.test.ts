// VRRPv3 over IPv6 with keepalived 2.2.7: adverts to ff02::12 from link-local
// sources, election both ways, graceful failover, and the unsolicited
// Neighbour Advertisement that moves the client's neighbour entry.
import { afterEach, describe, expect, it } from 'vitest';
import { linkLocal, NaListener } from './vrrp-ipv6-lab.js';
import { type Lan, lan, type Speaker, sleep, startFloat, startKeepalived } from './vrrp-lab.js';

const VIP6 = 'fd00:7::100';
let net: Lan | null = null;
const speakers: Speaker[] = [];
const listeners: NaListener[] = [];

afterEach(async () => {
  for (const s of speakers.splice(0)) await s.kill9().catch(() => {});
  for (const l of listeners.splice(0)) l.close();
  net?.destroy();
  net = null;
});

async function lan6() {
  net = await lan();
  const { d1, d2, client } = net;
  client.ip('addr', 'add', 'fd00:7::10/64', 'dev', 'eth0', 'nodad');
  const ll = { d1: await linkLocal(d1), d2: await linkLocal(d2) };
  await linkLocal(client);
  const na = new NaListener(client);
  listeners.push(na);
  return { ...net, ll, na };
}

const fl = (priority: number) => ({
  priority,
  version: 3 as const,
  advertIntMs: 1000,
  vips: [{ address: VIP6, prefixLen: 64 }],
});
const ka = (priority: number) => ({ priority, version: 3 as const, vip: `${VIP6}/64` });
const has = (ns: { ip(...a: string[]): string }) =>
  ns.ip('-6', 'addr', 'show', 'eth0').includes(`${VIP6}/64`);
const track = <T extends Speaker>(s: T): T => {
  speakers.push(s);
  return s;
};
const neighMac = (ns: { ip(...a: string[]): string }) =>
  /lladdr ([0-9a-f:]{17})/.exec(ns.ip('-6', 'neigh', 'show', VIP6, 'dev', 'eth0'))?.[1];

describe('VRRPv3 over IPv6 with keepalived', () => {
  it('floatlb (150) preempts keepalived (100); keepalived takes the VIP back when floatlb stops', async () => {
    const { d1, d2, client, na, mac, ll } = await lan6();
    const k = track(startKeepalived(d1, ka(100)));
    await k.waitState('MASTER', 10_000);
    // Every NA from d2 comes after its start; the MASTER log line can reach
    // this process after the NA reaches the capture socket.
    const tf = performance.now();
    const f = track(startFloat(d2, fl(150)));
    const mark = k.mark();
    await f.waitState('MASTER', 10_000);
    await k.waitState('BACKUP', 3000, mark);
    await sleep(500);
    expect(has(d2)).toBe(true);
    expect(has(d1)).toBe(false);
    // floatlb announced the VIP with an unsolicited NA, Override set, from its own MAC.
    const ours = na.adverts.filter((a) => a.at >= tf && a.target === VIP6 && a.mac === mac(d2));
    expect(ours.length).toBeGreaterThan(0);
    expect(ours.every((a) => a.override)).toBe(true);
    client.exec('ping', '-6', '-c1', '-W2', VIP6);
    expect(neighMac(client)).toBe(mac(d2));
    const stats = await f.stats();
    expect(stats.dropped).toEqual({});
    // It speaks from its link-local address (RFC 5798 5.1.2.2).
    expect(f.output()).toContain(`"srcIp":"${ll.d2}"`);

    const mark2 = k.mark();
    const t0 = performance.now();
    await f.stop();
    const at = await k.waitState('MASTER', 5000, mark2);
    console.log(`IPv6, floatlb master stopped: keepalived master after ${((at - t0) / 1000).toFixed(3)} s`);
    await sleep(500);
    expect(has(d1)).toBe(true);
    expect(has(d2)).toBe(false);
  });

  it('keepalived (150) preempts floatlb (100); floatlb takes the VIP and the client follows its NA', async () => {
    const { d1, d2, client, na, mac } = await lan6();
    const f = track(startFloat(d2, fl(100)));
    await f.waitState('MASTER', 10_000);
    const k = track(startKeepalived(d1, ka(150)));
    const mark = f.mark();
    await k.waitState('MASTER', 10_000);
    await f.waitState('BACKUP', 3000, mark);
    await sleep(500);
    expect(has(d1)).toBe(true);
    expect(has(d2)).toBe(false);
    client.exec('ping', '-6', '-c1', '-W2', VIP6);
    expect(neighMac(client)).toBe(mac(d1));

    const mark2 = f.mark();
    const t0 = performance.now();
    await k.stop();
    const at = await f.waitState('MASTER', 5000, mark2);
    console.log(`IPv6, keepalived master stopped: floatlb master after ${((at - t0) / 1000).toFixed(3)} s`);
    await sleep(500);
    expect(has(d2)).toBe(true);
    expect(has(d1)).toBe(false);
    // From t0, not from when the MASTER line was read: the NA can reach the
    // capture socket before the log line reaches this process. d2 was
    // backup until then, and a backup sends none.
    expect(na.adverts.some((a) => a.at >= t0 && a.target === VIP6 && a.mac === mac(d2) && a.override)).toBe(
      true,
    );
    // The client never asked again: floatlb's NA moved its neighbour entry.
    expect(neighMac(client)).toBe(mac(d2));
  });
});

// Split brain and hostile input. (d) A partition makes two masters; after
// healing, one master remains within two advert intervals and the client
// sees a gratuitous ARP pointing at the winner. (e) Malformed adverts sent
// with a raw socket are dropped and counted by reason; the speaker carries on.
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { SOCK_RAW, Sock } from '../../src/kernel/sock.js';
import { sockaddrIn } from '../../src/kernel/sockaddr.js';
import { encodeAdvert, passwordAuth, type VrrpAdvert } from '../../src/vrrp/packet.js';
import {
  ArpListener,
  type Lan,
  lan,
  type Speaker,
  silenceVrrp,
  sleep,
  startFloat,
  startKeepalived,
  unsilenceVrrp,
  VIP,
} from './vrrp-lab.js';

let net: Lan | null = null;
let arp: ArpListener | null = null;
const speakers: Speaker[] = [];

afterEach(async () => {
  arp?.close();
  arp = null;
  for (const s of speakers.splice(0)) await s.kill9().catch(() => {});
  net?.destroy();
  net = null;
});

describe('split brain with keepalived', () => {
  it('floatlb (150) wins after a partition heals, and re-points the client with GARP', async () => {
    net = await lan();
    const { d1, d2, client } = net;
    const ka = startKeepalived(d1, { priority: 100 });
    speakers.push(ka);
    await ka.waitState('MASTER', 8000);
    const fl = startFloat(d2, { priority: 150 });
    speakers.push(fl);
    await fl.waitState('MASTER', 8000);
    await ka.waitState('BACKUP', 3000);
    silenceVrrp(d2);
    const kaMark = ka.mark();
    await ka.waitState('MASTER', 6000, kaMark);
    arp = new ArpListener(client);
    const flMark = fl.mark();
    const healed = performance.now();
    unsilenceVrrp(d2);
    const back = await ka.waitState('BACKUP', 15_000, ka.mark());
    const converge = back - healed;
    console.log(
      `split brain healed: keepalived yielded ${(converge / 1000).toFixed(3)} s after the partition healed`,
    );
    await expect(fl.waitState('BACKUP', 1, flMark)).rejects.toThrow();
    // The re-announcement follows the lower-priority advert; on a loaded
    // machine it may take a moment to be seen.
    const garpsAfterHeal = () =>
      arp!.frames.filter((f) => f.senderIp === VIP && f.targetIp === VIP && f.at > healed);
    for (let waited = 0; garpsAfterHeal().length === 0 && waited < 3000; waited += 100) await sleep(100);
    const garps = garpsAfterHeal();
    expect(garps.length).toBeGreaterThan(0);
    expect(garps.at(-1)!.senderMac).toBe(net.mac(d2));
    // Whether floatlb counts the other master depends on whose advert crosses
    // first after the heal (keepalived may yield on floatlb's before sending
    // one); the counter is covered by the machine and speaker unit tests.
  });

  it('floatlb (100) yields to keepalived (150) after a partition heals', async () => {
    net = await lan();
    const { d1, d2 } = net;
    const ka = startKeepalived(d1, { priority: 150, version: 3 });
    speakers.push(ka);
    await ka.waitState('MASTER', 8000);
    const fl = startFloat(d2, { priority: 100, version: 3 });
    speakers.push(fl);
    await fl.waitState('BACKUP', 3000);
    silenceVrrp(d2);
    await fl.waitState('MASTER', 6000);
    const mark = fl.mark();
    const healed = performance.now();
    unsilenceVrrp(d2);
    const back = await fl.waitState('BACKUP', 15_000, mark);
    console.log(
      `split brain healed: floatlb yielded ${((back - healed) / 1000).toFixed(3)} s after the partition healed`,
    );
    await sleep(500);
    expect(d2.ip('-4', 'addr', 'show', 'eth0')).not.toContain(VIP);
  });
});

describe('malformed adverts', () => {
  it('are dropped and counted by reason, never a crash or a state change', async () => {
    net = await lan();
    const { d2, client } = net;
    const fl = startFloat(d2, { priority: 200, version: 2, authPass: 'secret', initialState: 'MASTER' });
    speakers.push(fl);
    await fl.waitState('MASTER', 5000);
    const sock = Sock.open(2, SOCK_RAW, 112, { netns: client.name });
    const to = sockaddrIn('10.7.0.2');
    const send = (b: Buffer, ttl = 255) => {
      sock.setsockopt(0, 2, ttl); // IP_TTL
      sock.sendto(b, to);
    };
    // Priority 254 would win: only the checks keep floatlb master.
    const good: VrrpAdvert = {
      version: 2,
      vrid: 51,
      priority: 254,
      family: 4,
      addresses: [VIP],
      advertIntCs: 100,
      auth: passwordAuth('secret'),
    };
    const badSum = encodeAdvert(good);
    badSum[6]! ^= 0xff;
    send(badSum);
    send(encodeAdvert(good), 64);
    send(encodeAdvert({ ...good, version: 3, auth: undefined }, { src: '10.7.0.10', dst: '10.7.0.2' }));
    send(encodeAdvert(good).subarray(0, 5));
    send(encodeAdvert({ ...good, auth: passwordAuth('wrong') }));
    send(encodeAdvert({ ...good, vrid: 52 }));
    send(encodeAdvert({ ...good, addresses: [VIP, '10.7.0.101'] }));
    for (let i = 0; i < 300; i++)
      send(Buffer.from(Array.from({ length: (i % 60) + 1 }, () => (Math.random() * 256) | 0)));
    await sleep(500);
    const stats = await fl.stats();
    const dropped = stats.dropped as Record<string, number>;
    expect(dropped['bad-checksum']).toBeGreaterThanOrEqual(1);
    expect(dropped['bad-ttl']).toBe(1);
    expect(dropped['bad-version']).toBeGreaterThanOrEqual(1);
    expect(dropped.short).toBeGreaterThanOrEqual(1);
    expect(dropped['auth-mismatch']).toBe(1);
    expect(dropped['wrong-vrid']).toBe(1);
    expect(dropped['address-count-mismatch']).toBe(1);
    expect(stats.received).toBe(307);
    expect((stats.machine as { advertsReceived: number }).advertsReceived).toBe(0);
    // Still master, still alive; a well-formed advert is then obeyed.
    const mark = fl.mark();
    send(encodeAdvert(good));
    await fl.waitState('BACKUP', 3000, mark);
    sock.close();
  });
});

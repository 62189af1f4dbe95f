import { describe, expect, it } from 'vitest';
import { canonicalIp } from '../../../src/kernel/vocabulary.js';
import type { VrrpDatagram } from '../../../src/kernel/vrrp-socket.js';
import { parseArp } from '../../../src/vrrp/arp.js';
import { notifyCommands, splitCommand } from '../../../src/vrrp/notify.js';
import { decodeAdvert, encodeAdvert, parseIpv4, type VrrpAdvert } from '../../../src/vrrp/packet.js';
import { GARP_DEFAULTS, garpOnMaster, instanceSettings, type Vip } from '../../../src/vrrp/settings.js';
import { VrrpSpeaker } from '../../../src/vrrp/speaker.js';
import { VIP_RETRY_MS } from '../../../src/vrrp/speaker-seams.js';
import { ipv4Packet } from '../../support/ipv4-packet.js';
import { FakeClock } from './fake-clock.js';

const ipv4 = (payload: Buffer, src: string, ttl = 255): Buffer => ipv4Packet(payload, { src, ttl });

function world(
  over: Parameters<typeof instanceSettings>[0] extends infer S ? Partial<S> : never = {},
  vipAddFailures = 0,
) {
  const clock = new FakeClock();
  const sent: { data: Buffer; dst: string }[] = [];
  const frames: Buffer[] = [];
  const queue: VrrpDatagram[] = [];
  const vips = new Set<string>();
  const scripts: string[][] = [];
  const states: string[] = [];
  const settings = instanceSettings({
    name: 'VI_1',
    vrid: 51,
    priority: 100,
    interface: 'eth0',
    vips: [{ address: '10.0.0.100', prefixLen: 32 }],
    version: 3,
    notify: { master: '/bin/m arg', generic: '/bin/n' },
    ...over,
  });
  const speaker = new VrrpSpeaker(settings, {
    srcIp: '10.0.0.2',
    clock,
    transport: {
      destinations: () => ['224.0.0.18'],
      sendTo: (data, dst) => sent.push({ data, dst }),
      drain: () => queue.splice(0),
      onReceive: () => {},
      close: () => {},
    },
    frames: { mac: Buffer.from([2, 0, 0, 0, 0, 2]), send: (f) => frames.push(f), close: () => {} },
    vips: {
      add: async (v: Vip) => {
        if (vipAddFailures-- > 0) throw Object.assign(new Error('RTM_NEWADDR: EBUSY'), { code: 'EBUSY' });
        vips.add(v.address);
      },
      remove: async (v: Vip) => void vips.delete(v.address),
      list: async () => [...vips].map((address) => ({ address: canonicalIp(address), prefixLen: 32 })),
    },
    scripts: { run: (argv) => scripts.push([...argv]) },
    onState: (s) => states.push(s),
  });
  const advertFrom = (src: string, priority: number, a: Partial<VrrpAdvert> = {}): VrrpDatagram => {
    const adv: VrrpAdvert = {
      version: 3,
      vrid: 51,
      priority,
      family: 4,
      addresses: ['10.0.0.100'],
      advertIntCs: 100,
      ...a,
    };
    return { family: 4, data: ipv4(encodeAdvert(adv, { src, dst: '224.0.0.18' }), src) };
  };
  const deliver = (d: VrrpDatagram) =>
    (speaker as unknown as { onDatagram(d: VrrpDatagram, n: number): void }).onDatagram(d, clock.t);
  return { clock, sent, frames, queue, vips, scripts, states, speaker, advertFrom, deliver };
}

const flush = () => new Promise((r) => setImmediate(r));

describe('VrrpSpeaker', () => {
  it('adds a refused VIP again while master, and announces it once in place', async () => {
    const w = world({}, 2);
    w.speaker.start();
    w.clock.advance(3610);
    expect(w.speaker.machine.state).toBe('MASTER');
    await flush();
    expect(w.vips.size).toBe(0);
    expect(w.speaker.stats.vipErrors).toBe(1);
    w.clock.advance(3610 + VIP_RETRY_MS);
    await flush();
    expect(w.vips.size).toBe(0);
    expect(w.speaker.stats.vipErrors).toBe(2);
    const framesBefore = w.frames.length;
    w.clock.advance(3610 + 2 * VIP_RETRY_MS);
    await flush();
    await flush();
    expect(w.vips.has('10.0.0.100')).toBe(true);
    expect(w.frames.length).toBeGreaterThan(framesBefore);
  });

  it('stops retrying a refused VIP once it is no longer master', async () => {
    const w = world({}, 1);
    w.speaker.start();
    w.clock.advance(3610);
    await flush();
    expect(w.speaker.stats.vipErrors).toBe(1);
    // A higher-priority master appears before the retry is due.
    w.deliver(w.advertFrom('10.0.0.9', 200));
    expect(w.speaker.machine.state).toBe('BACKUP');
    w.clock.advance(3610 + 3 * VIP_RETRY_MS);
    await flush();
    expect(w.vips.size).toBe(0);
  });

  it('takes over when no master speaks: advert, VIPs, GARP rounds, notify scripts', async () => {
    const w = world();
    w.speaker.start();
    w.clock.advance(3609);
    expect(w.speaker.machine.state).toBe('BACKUP');
    w.clock.advance(3610);
    expect(w.speaker.machine.state).toBe('MASTER');
    await flush();
    expect(w.vips.has('10.0.0.100')).toBe(true);
    const ip = w.sent[0]!;
    expect(ip.dst).toBe('224.0.0.18');
    expect(decodeAdvert(ip.data, 4, { src: '10.0.0.2', dst: '224.0.0.18' })).toMatchObject({
      ok: true,
      value: { vrid: 51, priority: 100, advertIntCs: 100 },
    });
    w.clock.advance(3610);
    await flush();
    expect(w.frames.length).toBe(5);
    expect(parseArp(w.frames[0]!)).toMatchObject({ senderIp: '10.0.0.100', senderMac: '02:00:00:00:00:02' });
    w.clock.advance(3610 + 5000);
    await flush();
    expect(w.frames.length).toBe(10);
    expect(w.scripts).toEqual([
      ['/bin/n', 'INSTANCE', 'VI_1', 'BACKUP', '100'],
      ['/bin/m', 'arg'],
      ['/bin/n', 'INSTANCE', 'VI_1', 'MASTER', '100'],
    ]);
    expect(w.states).toEqual(['BACKUP', 'MASTER']);
  });

  it('drains queued adverts before judging a late timer (no spurious takeover)', () => {
    const w = world();
    w.speaker.start();
    w.deliver(w.advertFrom('10.0.0.1', 200));
    // The loop stalls: the advert sent at 900 sits in the socket; the timer fires at ~5000.
    w.queue.push(w.advertFrom('10.0.0.1', 200));
    w.clock.advance(5000, 1400);
    expect(w.speaker.machine.state).toBe('BACKUP');
    expect(w.speaker.machine.stats.advertsReceived).toBe(2);
  });

  it('counts bad packets by reason and keeps going', () => {
    const w = world();
    w.speaker.start();
    const good = w.advertFrom('10.0.0.1', 200);
    const badSum = Buffer.from(good.data);
    badSum[26]! ^= 0xff;
    w.deliver({ family: 4, data: badSum });
    w.deliver({
      family: 4,
      data: ipv4(
        parseIpv4(good.data).ok
          ? (parseIpv4(good.data) as { value: { payload: Buffer } }).value.payload
          : Buffer.alloc(0),
        '10.0.0.1',
        64,
      ),
    });
    w.deliver({ family: 4, data: Buffer.alloc(3) });
    w.deliver(w.advertFrom('10.0.0.1', 200, { vrid: 52 }));
    w.deliver(w.advertFrom('10.0.0.1', 200, { addresses: [] }));
    w.deliver(w.advertFrom('10.0.0.2', 200));
    expect(w.speaker.stats.dropped).toEqual({
      'bad-checksum': 1,
      'bad-ttl': 1,
      short: 1,
      'wrong-vrid': 1,
      'address-count-mismatch': 1,
      'own-packet': 1,
    });
    expect(w.speaker.machine.stats.advertsReceived).toBe(0);
  });

  it('a graceful stop as master sends priority 0 and removes the VIPs', async () => {
    const w = world({ priority: 255 });
    w.speaker.start();
    await flush();
    expect(w.vips.size).toBe(1);
    await w.speaker.stop();
    const last = decodeAdvert(w.sent.at(-1)!.data, 4, { src: '10.0.0.2', dst: '224.0.0.18' });
    expect(last).toMatchObject({ ok: true, value: { priority: 0 } });
    expect(w.vips.size).toBe(0);
    expect(w.states.at(-1)).toBe('STOP');
  });

  it('as master, a lower-priority master gets an advert and a GARP round', async () => {
    const w = world({
      priority: 255,
      garp: { ...GARP_DEFAULTS, masterDelayMs: 0, masterRepeat: 2, lowerPrioRepeat: 2, lowerPrioDelayMs: 0 },
    });
    w.speaker.start();
    w.clock.advance(1);
    await flush();
    expect(w.frames.length).toBe(2);
    const before = w.sent.length;
    w.deliver(w.advertFrom('10.0.0.9', 50));
    w.clock.advance(2);
    await flush();
    expect(w.sent.length).toBe(before + 1);
    expect(w.frames.length).toBe(4);
    // Heard just after this router took over: preemption, not split brain.
    expect(w.speaker.machine.stats.splitBrain).toBe(0);
  });
});

describe('notify and GARP helpers', () => {
  it('splits script lines and builds keepalived arguments', () => {
    expect(splitCommand(`/x/y 'a b' c "d e"`)).toEqual(['/x/y', 'a b', 'c', 'd e']);
    expect(notifyCommands({ fault: '/f', generic: '/g x' }, 'VI', 'FAULT', 90)).toEqual([
      { kind: 'fault', argv: ['/f'] },
      { kind: 'generic', argv: ['/g', 'x', 'INSTANCE', 'VI', 'FAULT', '90'] },
    ]);
    expect(notifyCommands({}, 'VI', 'STOP', 0)).toEqual([]);
  });
  it('plans GARP rounds like garp_master_delay/repeat', () => {
    expect(garpOnMaster({ ...GARP_DEFAULTS, masterDelayMs: 5000, masterRepeat: 3 })).toEqual([
      { atMs: 0, repeat: 3 },
      { atMs: 5000, repeat: 3 },
    ]);
    expect(garpOnMaster({ ...GARP_DEFAULTS, masterDelayMs: 0, masterRepeat: 1 })).toEqual([
      { atMs: 0, repeat: 1 },
    ]);
  });
});

describe('reload in place', () => {
  const newVips: Vip[] = [
    { address: canonicalIp('10.0.0.100'), prefixLen: 32 },
    { address: canonicalIp('10.0.0.102'), prefixLen: 32 },
  ];

  it('a master keeps its state: new VIPs added and announced, the new priority on the next advert', async () => {
    const w = world({
      garp: { ...GARP_DEFAULTS, masterDelayMs: 0, masterRepeat: 2, lowerPrioRepeat: 2, lowerPrioDelayMs: 0 },
    });
    w.speaker.start();
    w.clock.advance(3610);
    await flush();
    expect(w.speaker.machine.state).toBe('MASTER');
    const sentBefore = w.sent.length;
    const framesBefore = w.frames.length;
    const next = { ...w.speaker.settings, priority: 80, vips: newVips };
    w.speaker.reconfigure(next, {
      name: 'VI_1',
      action: 'update',
      changes: ['vips', 'priority'],
      vipsAdded: [newVips[1]!],
      vipsRemoved: [],
    });
    w.clock.advance(w.clock.t);
    await flush();
    await flush();
    expect(w.speaker.machine.state).toBe('MASTER');
    expect([...w.vips].sort()).toEqual(['10.0.0.100', '10.0.0.102']);
    // Only the new VIP is announced, masterRepeat times.
    expect(w.frames.slice(framesBefore).map((f) => parseArp(f)?.targetIp)).toEqual([
      '10.0.0.102',
      '10.0.0.102',
    ]);
    // No advert at once: the next scheduled one carries priority 80 and both addresses.
    expect(w.sent.length).toBe(sentBefore);
    w.clock.advance(w.clock.t + 1000);
    const adv = decodeAdvert(w.sent.at(-1)!.data, 4, { src: '10.0.0.2', dst: '224.0.0.18' });
    expect(adv.ok && adv.value.priority).toBe(80);
    expect(adv.ok && adv.value.addresses).toEqual(['10.0.0.100', '10.0.0.102']);
    expect(w.states).toEqual(['BACKUP', 'MASTER']);
  });

  it('a master removes only the VIPs that left the list', async () => {
    const w = world({ vips: newVips });
    w.speaker.start();
    w.clock.advance(3610);
    await flush();
    w.speaker.reconfigure(
      { ...w.speaker.settings, vips: [newVips[1]!] },
      { name: 'VI_1', action: 'update', changes: ['vips'], vipsAdded: [], vipsRemoved: [newVips[0]!] },
    );
    await flush();
    expect([...w.vips]).toEqual(['10.0.0.102']);
    expect(w.speaker.machine.state).toBe('MASTER');
  });

  it('a backup adds nothing, and its Master_Down follows the new priority', async () => {
    const w = world();
    w.speaker.start();
    w.deliver(w.advertFrom('10.0.0.9', 200));
    w.speaker.reconfigure(
      { ...w.speaker.settings, vips: newVips, priority: 250 },
      {
        name: 'VI_1',
        action: 'update',
        changes: ['vips', 'priority'],
        vipsAdded: [newVips[1]!],
        vipsRemoved: [],
      },
    );
    await flush();
    expect(w.vips.size).toBe(0);
    expect(w.speaker.machine.state).toBe('BACKUP');
    expect(w.speaker.machine.priority).toBe(250);
    // The master's adverts now name both addresses: accepted.
    w.deliver(w.advertFrom('10.0.0.9', 200, { addresses: ['10.0.0.100', '10.0.0.102'] }));
    expect(w.speaker.stats.dropped).toEqual({});
  });
});

describe('vrrp_skip_check_adv_addr', () => {
  it("skips the address check for the current master's adverts only", () => {
    const w = world({ skipCheckAdvAddr: true });
    w.speaker.start();
    w.deliver(w.advertFrom('10.0.0.9', 200));
    w.deliver(w.advertFrom('10.0.0.9', 200, { addresses: ['10.0.0.100', '10.0.0.103'] }));
    expect(w.speaker.stats.dropped).toEqual({});
    w.deliver(w.advertFrom('10.0.0.8', 250, { addresses: ['10.0.0.100', '10.0.0.103'] }));
    expect(w.speaker.stats.dropped).toEqual({ 'address-count-mismatch': 1 });
    const strict = world();
    strict.speaker.start();
    strict.deliver(strict.advertFrom('10.0.0.9', 200));
    strict.deliver(strict.advertFrom('10.0.0.9', 200, { addresses: ['10.0.0.103'] }));
    expect(strict.speaker.stats.dropped).toEqual({ 'address-mismatch': 1 });
  });
});

describe('virtual_ipaddress_excluded on the speaker', () => {
  it('a master holds and announces excluded VIPs, and adverts name only the VIPs', async () => {
    const w = world({ excludedVips: [{ address: '10.0.0.150', prefixLen: 32 }] });
    w.speaker.start();
    w.clock.advance(3610);
    await flush();
    await flush();
    expect([...w.vips].sort()).toEqual(['10.0.0.100', '10.0.0.150']);
    expect(new Set(w.frames.map((f) => parseArp(f)?.targetIp))).toEqual(
      new Set(['10.0.0.100', '10.0.0.150']),
    );
    const adv = decodeAdvert(w.sent.at(-1)!.data, 4, { src: '10.0.0.2', dst: '224.0.0.18' });
    expect(adv.ok && adv.value.addresses).toEqual(['10.0.0.100']);
    await w.speaker.stop();
    expect(w.vips.size).toBe(0);
  });
});

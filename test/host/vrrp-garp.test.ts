// Gratuitous ARP timing and the lower-priority knobs on the wire, through
// `floatlb run` beside keepalived 2.2.7 on the same config; the client's
// AF_PACKET listeners see what each sends. Verdicts compare order and counts
// with keepalived's, and bound gaps from below only: a loaded machine makes
// gaps longer, never shorter.
import { describe, expect, it } from 'vitest';
import type { Netns } from '../../lab/netns.js';
import { VrrpCapture } from './vrrp-capture.js';
import { ArpListener, sleep } from './vrrp-lab.js';
import type { Director } from './vrrp-reload-lab.js';
import { runLab } from './vrrp-run-lab.js';
import { deaf } from './vrrp-script-lab.js';

const lab = runLab();

const instance = (o: { vrid: number; prio: number; advert: number; vips: string[]; body: string }) =>
  `vrrp_instance VI_${o.vrid} {
  state MASTER
  interface eth0
  virtual_router_id ${o.vrid}
  priority ${o.prio}
  advert_int ${o.advert}
  virtual_ipaddress {
${o.vips.map((v) => `    ${v}/32`).join('\n')}
  }
${o.body}
}
`;

const hasVip = (ns: Netns, vip: string) => ns.ip('-4', 'addr', 'show', 'dev', 'eth0').includes(` ${vip}/32 `);

async function until(what: string, ok: () => boolean, timeoutMs: number, ds: Director[]): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`${what}: timed out\n${ds.map((d) => d.output(40)).join('\n')}`);
    await sleep(100);
  }
}

describe('gratuitous ARP pacing against keepalived', () => {
  it('vrrp_garp_interval spaces the rounds of garp_master_repeat and garp_master_delay as keepalived does', async () => {
    const { d1, d2, client } = await lab.lan();
    deaf(d1, d2); // each is master alone, on its own VRID and VIPs
    const arp = new ArpListener(client);
    lab.defer(() => arp.close());
    const global = `global_defs {
  vrrp_garp_interval 0.3
  vrrp_garp_master_repeat 3
  vrrp_garp_master_delay 2
}
`;
    const vips = { fl: ['10.7.0.111', '10.7.0.112'], ka: ['10.7.0.121', '10.7.0.122'] };
    const fl = lab.floatlb(
      d1,
      global + instance({ vrid: 61, prio: 100, advert: 1, vips: vips.fl, body: '' }),
    );
    const ka = lab.keepalived(
      d2,
      global + instance({ vrid: 62, prio: 100, advert: 1, vips: vips.ka, body: '' }),
    );
    // Names A and B for each director's first and second VIP, in send order.
    const seq = (mine: string[]) =>
      arp.frames
        .filter((f) => f.op === 1 && f.senderIp === f.targetIp && mine.includes(f.targetIp))
        .map((f) => ({ at: f.at, vip: mine[0] === f.targetIp ? 'A' : 'B' }));
    await until(
      'two GARP rounds from each',
      () => seq(vips.fl).length >= 6 && seq(vips.ka).length >= 6,
      40_000,
      [fl, ka],
    );
    await sleep(2500); // anything more would show by now
    const [f, k] = [seq(vips.fl), seq(vips.ka)];
    // keepalived: a repeat of an address still waiting for its turn is merged, so A A B per round.
    expect(k.map((x) => x.vip)).toEqual(['A', 'A', 'B', 'A', 'A', 'B']);
    expect(f.map((x) => x.vip)).toEqual(k.map((x) => x.vip));
    for (const s of [f, k]) {
      const gaps = s.slice(1).map((x, i) => x.at - s[i]!.at);
      // Within a round at least the interval (less a little for capture jitter), between rounds the delay.
      for (const i of [0, 1, 3, 4]) expect(gaps[i]).toBeGreaterThan(250);
      expect(s[3]!.at - s[0]!.at).toBeGreaterThan(1900);
    }
  });
});

/**
 * Two subjects side by side, each on its own VRID and VIP: floatlb on d1
 * and keepalived on the client, so one run shows both.
 */
interface Subject {
  readonly who: 'floatlb' | 'keepalived';
  readonly ns: Netns;
  readonly ip: string;
  readonly vrid: number;
  readonly vip: string;
}

function subjects(lan: { d1: Netns; client: Netns }, vrid: number, vip: (i: number) => string): Subject[] {
  return [
    { who: 'floatlb', ns: lan.d1, ip: '10.7.0.1', vrid, vip: vip(1) },
    { who: 'keepalived', ns: lan.client, ip: '10.7.0.10', vrid: vrid + 1, vip: vip(2) },
  ];
}

const start = (s: Subject, conf: string): Director =>
  s.who === 'floatlb' ? lab.floatlb(s.ns, conf) : lab.keepalived(s.ns, conf);

describe('a master hearing a lower-priority master, against keepalived', () => {
  it('garp_lower_prio_repeat/delay rounds per advert heard, and no advert back with lower_prio_no_advert', async () => {
    // Each subject (priority 150, adverts every 1 s) is master; the peer, a
    // keepalived on d2 that hears neither (priority 100, adverts every 3.5 s),
    // is master too, so each subject hears a lower-priority master every 3.5 s.
    const lan = await lab.lan();
    deaf(lan.d2);
    // On the bridge: a capture on the client would not see the client's own frames.
    const arp = new ArpListener(lan.hub, 'vrbr');
    const cap = new VrrpCapture(lan.hub, 'vrbr');
    lab.defer(() => arp.close());
    lab.defer(() => cap.close());
    const g = 'global_defs {\n  vrrp_version 3\n}\n';
    const body = `  garp_master_repeat 1
  garp_master_delay 0
  garp_lower_prio_repeat 2
  garp_lower_prio_delay 1
  lower_prio_no_advert`;
    const ss = subjects(lan, 71, (i) => `10.7.0.13${i}`);
    const ds = ss.map((s) =>
      start(s, g + instance({ vrid: s.vrid, prio: 150, advert: 1, vips: [s.vip], body })),
    );
    const peerConf = ss.map((s) =>
      instance({ vrid: s.vrid, prio: 100, advert: 3.5, vips: [s.vip], body: '' }),
    );
    const peer = lab.keepalived(lan.d2, g + peerConf.join(''));
    const peerAdverts = (s: Subject) =>
      cap.from('10.7.0.2').filter((f) => f.priority === 100 && f.vrid === s.vrid);
    await until('four adverts from the peer', () => ss.every((s) => peerAdverts(s).length >= 4), 40_000, [
      ...ds,
      peer,
    ]);
    await sleep(3000);
    for (const s of ss) {
      // From just before the second peer advert to just after the fourth: two 3.5 s periods.
      const p = peerAdverts(s);
      const [w0, w1] = [p[1]!.at - 100, p[3]!.at + 100];
      const mac = JSON.parse(s.ns.ip('-j', 'link', 'show', 'eth0'))[0].address as string;
      const garps = arp.frames.filter(
        (f) => f.senderMac === mac && f.targetIp === s.vip && f.at >= w0 && f.at < w1 + 2500,
      );
      const adverts = cap.from(s.ip).filter((f) => f.at >= w0 && f.at < w1);
      const gaps = adverts.slice(1).map((x, i) => x.at - adverts[i]!.at);
      const seen = {
        peerAdverts: p.filter((f) => f.at >= w0 && f.at < w1).length,
        garps: garps.length,
        stillMaster: adverts.length > 0 && adverts.every((f) => f.priority === 150),
      };
      // Two GARPs at once and two 1 s later per advert heard.
      expect(seen, s.who).toEqual({ peerAdverts: 3, garps: 12, stillMaster: true });
      // Only the 1 s adverts: none sent back on hearing the peer (they would come 0.5 s after one).
      expect(Math.min(...gaps), s.who).toBeGreaterThan(900);
    }
  });
});

describe('higher_prio_send_advert against keepalived', () => {
  it('keepalived 2.2.7 and floatlb each send one advert at their own priority before yielding', async () => {
    // Each subject (priority 100) is master when a keepalived at priority 150
    // starts on d2 and preempts it: the subject's adverts after the first one
    // at 150 are its last word before yielding.
    const lan = await lab.lan();
    const cap = new VrrpCapture(lan.hub, 'vrbr');
    lab.defer(() => cap.close());
    const ss = subjects(lan, 81, (i) => `10.7.0.14${i}`);
    const ds = ss.map((s) =>
      start(
        s,
        instance({ vrid: s.vrid, prio: 100, advert: 1, vips: [s.vip], body: '  higher_prio_send_advert' }),
      ),
    );
    await until('the subjects master', () => ss.every((s) => cap.from(s.ip).length >= 2), 30_000, ds);
    const peerConf = ss.map((s) => instance({ vrid: s.vrid, prio: 150, advert: 1, vips: [s.vip], body: '' }));
    const peer = lab.keepalived(lan.d2, peerConf.join(''));
    const high = (s: Subject) => cap.from('10.7.0.2').filter((f) => f.priority === 150 && f.vrid === s.vrid);
    await until('the peer master', () => ss.every((s) => high(s).length >= 3), 30_000, [...ds, peer]);
    for (const s of ss) {
      const after = cap
        .from(s.ip)
        .filter((f) => f.at >= high(s)[0]!.at)
        .map((f) => f.priority);
      // One (a regular advert due at the same moment may add a second), never more, at priority 100.
      expect(after.length, s.who).toBeGreaterThanOrEqual(1);
      expect(after.length, s.who).toBeLessThanOrEqual(2);
      expect(after.every((p) => p === 100)).toBe(true);
    }
  });
});

describe('check_unicast_src against keepalived', () => {
  it('keepalived 2.2.7 and floatlb both ignore unicast adverts from a source that is not a peer', async () => {
    // Each subject (priority 100) is unicast master with the other director's
    // address as its only peer (their VRIDs differ) and check_unicast_src; a
    // rogue keepalived on the client (priority 200) sends each unicast adverts.
    // Accepted, they would make it yield.
    const lan = await lab.lan();
    const unicast = (src: string, peer: string) =>
      `  unicast_src_ip ${src}\n  unicast_peer {\n    ${peer}\n  }`;
    const ss: Subject[] = [
      { who: 'floatlb', ns: lan.d1, ip: '10.7.0.1', vrid: 91, vip: '10.7.0.151' },
      { who: 'keepalived', ns: lan.d2, ip: '10.7.0.2', vrid: 92, vip: '10.7.0.152' },
    ];
    const caps = ss.map((s) => new VrrpCapture(s.ns));
    for (const c of caps) lab.defer(() => c.close());
    const ds = ss.map((s, i) =>
      start(
        s,
        instance({
          vrid: s.vrid,
          prio: 100,
          advert: 1,
          vips: [s.vip],
          body: `${unicast(s.ip, ss[1 - i]!.ip)}\n  check_unicast_src`,
        }),
      ),
    );
    await until('the subjects master', () => ss.every((s) => hasVip(s.ns, s.vip)), 30_000, ds);
    const rogueConf = ss.map((s) =>
      instance({ vrid: s.vrid, prio: 200, advert: 1, vips: [s.vip], body: unicast('10.7.0.10', s.ip) }),
    );
    const rogue = lab.keepalived(lan.client, rogueConf.join(''));
    await until(
      'rogue adverts at the subjects',
      () => caps.every((c) => c.from('10.7.0.10').length >= 4),
      30_000,
      [...ds, rogue],
    );
    await sleep(1000);
    expect(ss.map((s) => [s.who, hasVip(s.ns, s.vip)])).toEqual([
      ['floatlb', true],
      ['keepalived', true],
    ]);
  });
});

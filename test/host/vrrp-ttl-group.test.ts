// unicast_ttl and vrrp_mcast_group4 on the wire, through `floatlb run` beside
// keepalived 2.2.7 with the same settings: a capture shows what each sends,
// and the pair elects one master in both directions.
import { describe, expect, it } from 'vitest';
import { VrrpCapture } from './vrrp-capture.js';
import { sleep } from './vrrp-lab.js';
import { runLab } from './vrrp-run-lab.js';

const VIP = '10.7.0.100';
const lab = runLab();

const conf = (o: {
  router: string;
  prio: number;
  global?: string;
  unicast?: { src: string; peer: string };
}) =>
  `global_defs {
  router_id ${o.router}
${o.global ?? ''}
}
vrrp_instance VI_W {
  state BACKUP
  interface eth0
  virtual_router_id 77
  priority ${o.prio}
  advert_int 1
  virtual_ipaddress {
    ${VIP}/32
  }${o.unicast ? `\n  unicast_src_ip ${o.unicast.src}\n  unicast_peer {\n    ${o.unicast.peer}\n  }\n  unicast_ttl 9` : ''}
}
`;

describe('VRRP on the wire against keepalived', () => {
  it('unicast_ttl: floatlb’s unicast adverts carry the TTL, as keepalived’s do, and the pair interoperates', async () => {
    const { d1, d2 } = await lab.lan();
    const at2 = new VrrpCapture(d2);
    const at1 = new VrrpCapture(d1);
    lab.defer(() => at2.close());
    lab.defer(() => at1.close());
    const sampler = lab.sampler(d1, d2);
    const fl = lab.floatlb(
      d1,
      conf({ router: 'fl', prio: 150, unicast: { src: '10.7.0.1', peer: '10.7.0.2' } }),
    );
    await sampler.until('floatlb master', (s) => s.subject.has(VIP), 20_000);
    const ka = lab.keepalived(
      d2,
      conf({ router: 'ka', prio: 100, unicast: { src: '10.7.0.2', peer: '10.7.0.1' } }),
    );
    const from = sampler.samples.length;
    await sleep(5000); // past keepalived's master-down interval (3.6 s)
    expect(sampler.samples.slice(from).filter((s) => s.peer.has(VIP))).toEqual([]);
    const ours = at2.from('10.7.0.1');
    expect(ours.length).toBeGreaterThan(2);
    expect(ours.every((f) => f.dst === '10.7.0.2' && f.ttl === 9 && f.vrid === 77)).toBe(true);

    // floatlb stops: keepalived takes over, and its adverts carry the same TTL to floatlb's address.
    await fl.stop();
    await sampler.until('keepalived master', (s) => s.peer.has(VIP), 20_000);
    await sleep(1500);
    const theirs = at1.from('10.7.0.2').filter((f) => f.priority === 100);
    expect(theirs.length).toBeGreaterThan(0);
    expect(theirs.every((f) => f.dst === '10.7.0.1' && f.ttl === 9)).toBe(true);
    expect(ka.output()).not.toMatch(/invalid ttl/);
  });

  it('vrrp_mcast_group4: adverts go to the configured group, and each hears the other on it', async () => {
    const { d1, d2, client } = await lab.lan();
    const cap = new VrrpCapture(client);
    lab.defer(() => cap.close());
    const sampler = lab.sampler(d1, d2);
    const global = '  vrrp_mcast_group4 224.0.0.19';
    const fl = lab.floatlb(d1, conf({ router: 'fl', prio: 150, global }));
    await sampler.until('floatlb master', (s) => s.subject.has(VIP), 20_000);
    lab.keepalived(d2, conf({ router: 'ka', prio: 100, global }));
    const from = sampler.samples.length;
    await sleep(5000);
    // keepalived heard floatlb on 224.0.0.19: it never took the VIP.
    expect(sampler.samples.slice(from).filter((s) => s.peer.has(VIP))).toEqual([]);
    const ours = cap.from('10.7.0.1');
    expect(ours.length).toBeGreaterThan(2);
    expect(new Set(ours.map((f) => f.dst))).toEqual(new Set(['224.0.0.19']));

    // floatlb again, below keepalived now master: it hears keepalived on the group and stays backup.
    await fl.stop();
    await sampler.until('keepalived master', (s) => s.peer.has(VIP), 20_000);
    lab.floatlb(d1, conf({ router: 'fl', prio: 50, global }));
    const again = sampler.samples.length;
    await sleep(5000);
    expect(sampler.samples.slice(again).filter((s) => s.subject.has(VIP))).toEqual([]);
    const theirs = cap.from('10.7.0.2');
    expect(theirs.length).toBeGreaterThan(2);
    expect(new Set(theirs.map((f) => f.dst))).toEqual(new Set(['224.0.0.19']));
  });
});

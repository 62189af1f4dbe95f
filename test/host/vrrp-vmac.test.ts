// use_vmac through `floatlb run`, beside keepalived 2.2.7 on the same config:
// both create the same macvlan vrrp.77 (ip -d link), floatlb master holds the
// VIP on it and its adverts leave with the virtual MAC (a capture on the
// client), keepalived
// stays backup, gratuitous ARPs carry the virtual MAC, and floatlb removes
// the interface when it stops.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { Netns } from '../../lab/netns.js';
import { VrrpCapture } from './vrrp-capture.js';
import { ArpListener, sleep } from './vrrp-lab.js';
import { runLab } from './vrrp-run-lab.js';

const VIP = '10.7.0.100';
const VMAC = '00:00:5e:00:01:4d'; // VRID 77
const lab = runLab();

const conf = (router: string, prio: number) => `global_defs {
  router_id ${router}
}
vrrp_instance VI_M {
  state BACKUP
  interface eth0
  use_vmac
  virtual_router_id 77
  priority ${prio}
  advert_int 1
  virtual_ipaddress {
    ${VIP}/32
  }
}
`;

/** What ip -d link says of the VMAC interface: kind, mode, MAC, parent, state. */
function vmacLink(ns: Netns): Record<string, unknown> | null {
  const r = spawnSync('ip', ['-n', ns.name, '-d', '-j', 'link', 'show', 'vrrp.77'], { encoding: 'utf8' });
  if (r.status !== 0) return null;
  const l = JSON.parse(r.stdout)[0];
  return {
    kind: l.linkinfo?.info_kind,
    mode: l.linkinfo?.info_data?.mode,
    address: l.address,
    link: l.link,
    up: l.flags.includes('UP'),
    addrgenmode: l.inet6_addr_gen_mode,
  };
}

describe('use_vmac against keepalived', () => {
  it('the same macvlan as keepalived, the VIP on it, adverts and GARPs from the virtual MAC, removed on stop', async () => {
    const lan = await lab.lan();
    const { d1, d2, client } = lan;
    const cap = new VrrpCapture(client);
    const garps = new ArpListener(client);
    lab.defer(() => garps.close());
    lab.defer(() => cap.close());
    const sampler = lab.sampler(d1, d2);
    const fl = lab.floatlb(d1, conf('fl', 150));
    await sampler
      .until('floatlb master', (s) => s.subject.has(VIP), 20_000)
      .catch((e: Error) => {
        throw new Error(`${e.message}\n${fl.output()}`);
      });
    expect(d1.ip('-4', '-o', 'addr', 'show', 'dev', 'vrrp.77')).toContain(`${VIP}/32`);
    const ka = lab.keepalived(d2, conf('ka', 100));
    const from = sampler.samples.length;
    await sleep(5000); // past keepalived's master-down interval
    expect(sampler.samples.slice(from).filter((s) => s.peer.has(VIP))).toEqual([]);
    expect(ka.output(200)).toMatch(/Success creating VMAC interface vrrp\.77/);
    const ours = vmacLink(d1);
    expect(ours).toEqual({
      kind: 'macvlan',
      mode: 'private',
      address: VMAC,
      link: 'eth0',
      up: true,
      addrgenmode: 'none',
    });
    expect(vmacLink(d2)).toEqual(ours);

    const adverts = cap.from('10.7.0.1');
    expect(adverts.length).toBeGreaterThan(2);
    expect(new Set(adverts.map((f) => f.srcMac))).toEqual(new Set([VMAC]));
    // Gratuitous ARPs announce the virtual MAC.
    const announced = garps.frames.filter((f) => f.senderIp === VIP);
    expect(announced.length).toBeGreaterThan(0);
    expect(new Set(announced.map((f) => f.senderMac))).toEqual(new Set([VMAC]));
    // The client's ARP answer for the VIP, with floatlb master and then with keepalived master:
    // on this veth LAN both answer from the parent interface's MAC, the same way.
    const arpFor = () => {
      client.exec('ip', 'neigh', 'flush', 'all');
      client.exec('ping', '-c', '1', '-W', '2', VIP);
      return /lladdr (\S+)/.exec(client.ip('neigh', 'show', VIP))?.[1];
    };
    expect(arpFor()).toBe(lan.mac(d1));

    await fl.stop();
    expect(vmacLink(d1)).toBeNull();
    await sampler.until('keepalived master', (s) => s.peer.has(VIP), 20_000);
    await sleep(1000);
    expect(arpFor()).toBe(lan.mac(d2));
  });
});

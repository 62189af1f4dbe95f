import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/config/index.js';
import type { AddressSpec, Rtnl } from '../../../src/kernel/rtnetlink.js';
import { canonicalIp } from '../../../src/kernel/vocabulary.js';
import { vrrpSettingsFromConfig } from '../../../src/vrrp/from-config.js';
import { RtnlVipManager } from '../../../src/vrrp/rtnl-vips.js';

const CONF = `
vrrp_instance VI_1 {
  state MASTER
  interface eth0
  virtual_router_id 51
  priority 150
  virtual_ipaddress {
    10.0.0.1/24 dev eth0 label eth0:vip
    10.0.1.1/24 dev eth1 label eth1:gw
    10.0.2.1/32
  }
}
`;

function instance() {
  const r = parseConfigText(CONF, { file: 'labels.conf' });
  const inst = r.config?.vrrpInstances[0];
  if (!inst) throw new Error(`no instance: ${JSON.stringify(r.diagnostics)}`);
  return inst;
}

/** Records what would go to the kernel. */
function fakeRtnl(): { rtnl: Rtnl; added: AddressSpec[] } {
  const added: AddressSpec[] = [];
  const links = new Map([
    ['eth0', 2],
    ['eth1', 3],
  ]);
  const fake = {
    async link(name: string) {
      const index = links.get(name);
      if (!index) throw new Error(`no interface ${name}`);
      return { index, name };
    },
    async addAddress(a: AddressSpec) {
      added.push(a);
    },
    async deleteAddress() {},
    async addresses() {
      return added.map((a) => ({ address: a.address }));
    },
  };
  return { rtnl: fake as unknown as Rtnl, added };
}

describe('VIP labels', () => {
  it('carries label and dev from virtual_ipaddress into the settings', () => {
    const s = vrrpSettingsFromConfig(instance());
    expect(s.vips).toEqual([
      { address: '10.0.0.1', prefixLen: 24, label: 'eth0:vip' },
      { address: '10.0.1.1', prefixLen: 24, ifname: 'eth1', label: 'eth1:gw' },
      { address: '10.0.2.1', prefixLen: 32 },
    ]);
  });

  it('passes the label to rtnetlink with the VIP, on the VIP device', async () => {
    const { rtnl, added } = fakeRtnl();
    const m = new RtnlVipManager(rtnl, 'eth0');
    for (const v of vrrpSettingsFromConfig(instance()).vips) await m.add(v);
    expect(added.map((a) => [a.ifindex, a.address, a.label])).toEqual([
      [2, '10.0.0.1', 'eth0:vip'],
      [3, '10.0.1.1', 'eth1:gw'],
      [2, '10.0.2.1', undefined],
    ]);
    expect((await m.list()).map((v) => v.label)).toEqual(['eth0:vip', 'eth1:gw', undefined]);
  });

  it('drops a label on an IPv6 VIP, which the kernel cannot carry', async () => {
    const { rtnl, added } = fakeRtnl();
    await new RtnlVipManager(rtnl, 'eth0').add({
      address: canonicalIp('fd00::1'),
      prefixLen: 64,
      label: 'eth0:v6',
    });
    expect(added[0]).toMatchObject({ address: 'fd00::1', nodad: true });
    expect(added[0]!.label).toBeUndefined();
  });
});

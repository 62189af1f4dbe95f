// The VRRP settings carry canonical addresses, whether they come from the
// config or are written by hand, so the speaker compares what the kernel reports.
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/config/index.js';
import { vrrpSettingsFromConfig } from '../../../src/vrrp/from-config.js';
import { instanceSettings } from '../../../src/vrrp/settings.js';

const CONF = `vrrp_instance V6 {
  interface eth0
  virtual_router_id 7
  priority 100
  unicast_src_ip 2001:DB8:0::1
  unicast_peer {
    2001:0db8:0:0:0:0:0:2 min_ttl 250
    ::FFFF:10.0.0.3
  }
  virtual_ipaddress {
    2001:DB8::0:100/64
  }
  virtual_ipaddress_excluded {
    FD00:0:0::1/64
  }
}
`;

describe('VRRP settings addresses', () => {
  it('come out of the config canonical', () => {
    const r = parseConfigText(CONF, { file: 'v.conf' });
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    if (!r.config) throw new Error('config refused');
    const s = vrrpSettingsFromConfig(r.config.vrrpInstances[0]!);
    expect(s.vips.map((v) => v.address)).toEqual(['2001:db8::100']);
    expect(s.excludedVips?.map((v) => v.address)).toEqual(['fd00::1']);
    expect(s.srcIp).toBe('2001:db8::1');
    expect(s.unicastPeers).toEqual(['2001:db8::2', '::ffff:a00:3']);
    expect(s.unicastPeerTtl?.map((p) => p.address)).toEqual(['2001:db8::2', '::ffff:a00:3']);
  });

  it('written by hand are made canonical, and a non-address is refused', () => {
    const s = instanceSettings({
      name: 'V',
      vrid: 1,
      priority: 100,
      interface: 'eth0',
      vips: [{ address: 'FE80:0:0::1', prefixLen: 64 }],
      srcIp: 'FE80::0:2',
      unicastPeers: ['::ffff:192.0.2.1', '2001:DB8::1'],
      unicastPeerTtl: [{ address: '2001:DB8:0::1', minTtl: 1, maxTtl: 255 }],
    });
    expect(s.vips[0]!.address).toBe('fe80::1');
    expect(s.family).toBe(6);
    expect(s.srcIp).toBe('fe80::2');
    expect(s.unicastPeers).toEqual(['::ffff:c000:201', '2001:db8::1']);
    expect(s.unicastPeerTtl?.[0]?.address).toBe('2001:db8::1');
    expect(() =>
      instanceSettings({
        name: 'V',
        vrid: 1,
        priority: 1,
        interface: 'e',
        vips: [{ address: 'eth0', prefixLen: 32 }],
      }),
    ).toThrow(/not an IP address/);
  });
});

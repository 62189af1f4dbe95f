import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/config/index.js';
import { canonicalIp as asIp } from '../../../src/kernel/vocabulary.js';
import { vrrpSettingsFromConfig } from '../../../src/vrrp/from-config.js';
import {
  type AdvertExpectations,
  checkTtl,
  encodeAdvert,
  receiveIpv4,
  type VrrpAdvert,
} from '../../../src/vrrp/packet.js';
import { ipv4Packet } from '../../support/ipv4-packet.js';

const adv: VrrpAdvert = {
  version: 3,
  vrid: 51,
  priority: 100,
  family: 4,
  addresses: [asIp('192.168.1.100')],
  advertIntCs: 100,
};

/** A unicast advert as a raw socket returns it. */
function ipv4(ttl: number, src: string, dst = '10.9.2.2'): Buffer {
  return ipv4Packet(encodeAdvert(adv, { src, dst }), { ttl, src, dst });
}

const base: AdvertExpectations = {
  version: 3,
  vrid: 51,
  family: 4,
  addresses: [asIp('192.168.1.100')],
  advertIntCs: 100,
};
const bounded: AdvertExpectations = {
  ...base,
  peerTtl: [
    { address: asIp('10.9.1.2'), minTtl: 250, maxTtl: 254 },
    { address: asIp('10.9.3.2'), minTtl: 0, maxTtl: 255 },
  ],
};

describe('per-peer TTL bounds', () => {
  it('without bounds the TTL must be 255', () => {
    expect(checkTtl('10.9.1.2', 255, base)).toBeNull();
    expect(checkTtl('10.9.1.2', 254, base)).toBe('bad-ttl');
  });

  it('with bounds a TTL inside the sending peer range is accepted, one outside is not', () => {
    expect(checkTtl('10.9.1.2', 254, bounded)).toBeNull();
    expect(checkTtl('10.9.1.2', 250, bounded)).toBeNull();
    expect(checkTtl('10.9.1.2', 255, bounded)).toBe('bad-ttl');
    expect(checkTtl('10.9.1.2', 249, bounded)).toBe('bad-ttl');
    expect(checkTtl('10.9.3.2', 1, bounded)).toBeNull();
  });

  it('with bounds an advert from a source that is not a peer is dropped', () => {
    expect(checkTtl('10.9.1.9', 254, bounded)).toBe('unknown-peer');
    expect(checkTtl(undefined, 254, bounded)).toBe('unknown-peer');
  });

  it('IPv6 peers compare in canonical form', () => {
    const v6 = { ...base, peerTtl: [{ address: asIp('fd00:0:0::2'), minTtl: 254, maxTtl: 254 }] };
    expect(checkTtl('fd00::2', 254, v6)).toBeNull();
  });

  it('the raw IPv4 receive path applies them', () => {
    expect(receiveIpv4(ipv4(254, '10.9.1.2'), bounded)).toMatchObject({
      ok: true,
      value: { src: '10.9.1.2' },
    });
    expect(receiveIpv4(ipv4(254, '10.9.1.2'), base)).toEqual({ ok: false, reason: 'bad-ttl' });
    expect(receiveIpv4(ipv4(253, '10.9.1.7'), bounded)).toEqual({ ok: false, reason: 'unknown-peer' });
  });
});

describe('unicast_peer min_ttl/max_ttl from the config', () => {
  const conf = (peers: string) => `
vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority 100
  unicast_src_ip 10.9.2.2
  unicast_peer {
${peers}
  }
  virtual_ipaddress {
    10.9.2.100/32
  }
}
`;
  const settings = (peers: string) => {
    const inst = parseConfigText(conf(peers), { file: 'u.conf' }).config?.vrrpInstances[0];
    if (!inst) throw new Error('no instance');
    return vrrpSettingsFromConfig(inst);
  };

  it('a bound on any peer gives every peer a range, 0..255 where unset', () => {
    const s = settings('    10.9.1.2 min_ttl 250 max_ttl 254\n    10.9.3.2');
    expect(s.unicastPeers).toEqual(['10.9.1.2', '10.9.3.2']);
    expect(s.unicastPeerTtl).toEqual([
      { address: asIp('10.9.1.2'), minTtl: 250, maxTtl: 254 },
      { address: asIp('10.9.3.2'), minTtl: 0, maxTtl: 255 },
    ]);
  });

  it('no bounds anywhere leaves the 255 rule', () => {
    expect(settings('    10.9.1.2').unicastPeerTtl).toBeUndefined();
  });
});

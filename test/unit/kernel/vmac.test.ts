// The VMAC interface's address and its RTM_NEWLINK payload.
import { describe, expect, it } from 'vitest';
import { decodeAttrs } from '../../../src/kernel/netlink/codec.js';
import { encodeVmac, vrrpMac } from '../../../src/kernel/vmac.js';

describe('VRRP virtual MAC', () => {
  it('is 00:00:5e:00:01:VRID for IPv4 and 00:00:5e:00:02:VRID for IPv6 (RFC 5798 7.3)', () => {
    expect(vrrpMac(77, 4)).toBe('00:00:5e:00:01:4d');
    expect(vrrpMac(1, 6)).toBe('00:00:5e:00:02:01');
    expect(vrrpMac(255, 4)).toBe('00:00:5e:00:01:ff');
  });

  it('is created as a private-mode macvlan on the parent, with the name and the MAC', () => {
    const b = encodeVmac('vrrp.77', 2, '00:00:5e:00:01:4d');
    const attrs = new Map(decodeAttrs(b.subarray(16)).map((a) => [a.type, a.value]));
    expect(attrs.get(3)!.toString()).toBe('vrrp.77\0'); // IFLA_IFNAME
    expect(attrs.get(5)!.readUInt32LE(0)).toBe(2); // IFLA_LINK
    expect([...attrs.get(1)!]).toEqual([0, 0, 0x5e, 0, 1, 0x4d]); // IFLA_ADDRESS
    const info = new Map(decodeAttrs(attrs.get(18)!).map((a) => [a.type, a.value])); // IFLA_LINKINFO
    expect(info.get(1)!.toString()).toBe('macvlan\0');
    const data = new Map(decodeAttrs(info.get(2)!).map((a) => [a.type, a.value]));
    expect(data.get(1)!.readUInt32LE(0)).toBe(1); // MACVLAN_MODE_PRIVATE
  });
});

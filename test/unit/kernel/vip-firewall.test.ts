// The no_accept table as floatlb writes it and reads it back (the kernel's
// own listing of it is checked in test/host/vrrp-no-accept.test.ts).
import { describe, expect, it } from 'vitest';
import {
  parseVipFirewallTable,
  renderVipElements,
  renderVipFirewallTable,
} from '../../../src/kernel/vip-firewall.js';
import { canonicalIp } from '../../../src/kernel/vocabulary.js';

describe('no_accept firewall table', () => {
  it('renders the table keepalived 2.2.7 builds, in floatlb’s own inet table', () => {
    expect(renderVipFirewallTable()).toBe(
      [
        'add table inet floatlb_vrrp',
        'add set inet floatlb_vrrp vips4 { type ipv4_addr; }',
        'add set inet floatlb_vrrp vips6 { type ipv6_addr; }',
        'add chain inet floatlb_vrrp in { type filter hook input priority filter - 1; policy accept; }',
        'add rule inet floatlb_vrrp in ip daddr @vips4 drop',
        'add rule inet floatlb_vrrp in ip6 daddr @vips6 icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept',
        'add rule inet floatlb_vrrp in ip6 daddr @vips6 drop',
        'add chain inet floatlb_vrrp out { type filter hook output priority filter - 1; policy accept; }',
        'add rule inet floatlb_vrrp out ip saddr @vips4 drop',
        'add rule inet floatlb_vrrp out ip6 saddr @vips6 icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept',
        'add rule inet floatlb_vrrp out ip6 saddr @vips6 drop',
      ].join('\n'),
    );
  });

  it('puts each address in the set of its family', () => {
    const addrs = ['10.0.0.1', '2001:db8::1', '10.0.0.2'].map(canonicalIp);
    expect(renderVipElements('delete', addrs)).toEqual([
      'delete element inet floatlb_vrrp vips4 { 10.0.0.1, 10.0.0.2 }',
      'delete element inet floatlb_vrrp vips6 { 2001:db8::1 }',
    ]);
    expect(renderVipElements('add', [])).toEqual([]);
  });

  it('reads elements back and tells a complete table from one missing a rule', () => {
    const rule = (chain: string) => ({ rule: { chain } });
    const listing = (rules: object[]) => ({
      nftables: [
        { metainfo: {} },
        { table: { family: 'inet', name: 'floatlb_vrrp', handle: 3 } },
        { set: { name: 'vips4', elem: ['10.0.0.1'] } },
        { set: { name: 'vips6', elem: ['2001:DB8::1'] } },
        ...rules,
      ],
    });
    const full = [rule('in'), rule('in'), rule('in'), rule('out'), rule('out'), rule('out')];
    expect(parseVipFirewallTable(listing(full))).toEqual({
      elements: ['10.0.0.1', '2001:db8::1'],
      complete: true,
    });
    expect(parseVipFirewallTable(listing(full.slice(1)))?.complete).toBe(false);
    expect(parseVipFirewallTable(null)).toBeNull();
  });
});

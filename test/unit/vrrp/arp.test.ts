import { describe, expect, it } from 'vitest';
import { parseMac } from '../../../src/kernel/sockaddr.js';
import { gratuitousArp, parseArp, unsolicitedNa } from '../../../src/vrrp/arp.js';
import { inetChecksum, pseudoHeader } from '../../../src/vrrp/checksum.js';

const mac = parseMac('02:00:00:00:00:01');

describe('gratuitous ARP', () => {
  it('is a broadcast ARP request with sender = target = VIP', () => {
    const expected =
      'ffffffffffff' +
      '020000000001' +
      '0806' + // Ethernet
      '0001' +
      '0800' +
      '06' +
      '04' +
      '0001' + // Ethernet/IPv4, request
      '020000000001' +
      '0a000064' + // sender
      'ffffffffffff' +
      '0a000064'; // target
    expect(gratuitousArp(mac, '10.0.0.100').toString('hex')).toBe(expected);
  });
  it('parses back', () => {
    expect(parseArp(gratuitousArp(mac, '10.0.0.100'))).toEqual({
      op: 1,
      senderMac: '02:00:00:00:00:01',
      senderIp: '10.0.0.100',
      targetIp: '10.0.0.100',
    });
    expect(parseArp(Buffer.alloc(42))).toBeNull();
  });
  it('refuses an IPv6 VIP', () => {
    expect(() => gratuitousArp(mac, '2001:db8::1')).toThrow(TypeError);
  });
});

describe('unsolicited neighbour advertisement', () => {
  const f = unsolicitedNa(mac, 'fe80::1', '2001:db8::64');
  it('has the RFC 4861 layout', () => {
    expect(f.length).toBe(14 + 40 + 32);
    expect(f.subarray(0, 14).toString('hex')).toBe('333300000001' + '020000000001' + '86dd');
    // IPv6: version 6, payload 32, next header ICMPv6, hop limit 255, fe80::1 -> ff02::1
    expect(f.subarray(14, 54).toString('hex')).toBe(
      '60000000' +
        '0020' +
        '3a' +
        'ff' +
        'fe800000000000000000000000000001' +
        'ff020000000000000000000000000001',
    );
    const icmp = f.subarray(54);
    expect(icmp[0]).toBe(136);
    expect(icmp[1]).toBe(0);
    expect(icmp.subarray(4, 8).toString('hex')).toBe('20000000'); // Override only
    expect(icmp.subarray(8, 24).toString('hex')).toBe('20010db8000000000000000000000064');
    expect(icmp.subarray(24).toString('hex')).toBe('0201' + '020000000001');
  });
  it('carries a checksum that verifies over the pseudo-header', () => {
    const icmp = f.subarray(54);
    expect(inetChecksum(pseudoHeader('fe80::1', 'ff02::1', 58, 32), icmp)).toBe(0);
    expect(icmp.readUInt16BE(2)).not.toBe(0);
  });
  it('sets the router flag when asked', () => {
    expect(unsolicitedNa(mac, 'fe80::1', '2001:db8::64', true)[54 + 4]).toBe(0xa0);
  });
});

describe('keepalived 2.2.7 gratuitous ARP (captured with tcpdump)', () => {
  it('is byte-identical to ours', () => {
    const captured =
      'ffffffffffff d28694472e63 0806 0001 0800 0604 0001 d28694472e63 0a070064 ffffffffffff 0a070064'.replace(
        / /g,
        '',
      );
    expect(gratuitousArp(parseMac('d2:86:94:47:2e:63'), '10.7.0.100').toString('hex')).toBe(captured);
  });
});

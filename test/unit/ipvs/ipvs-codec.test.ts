import { describe, expect, it } from 'vitest';
import type { ServiceSpec } from '../../../src/kernel/dataplane.js';
import { type IpvsService, requests } from '../../../src/kernel/ipvs/codec.js';
import { decodeConfig, decodeInfo, decodeService } from '../../../src/kernel/ipvs/decode.js';
import { canonicalIp as asIp, SCHED_FLAG_BIT } from '../../../src/kernel/vocabulary.js';

const hex = (s: string) => s.replace(/\s+/g, '');

describe('IPVS requests: golden bytes (derived by hand from ip_vs.h)', () => {
  it('NEW_SERVICE tcp 10.0.0.1:80 rr, not persistent', () => {
    const b = requests.newService({
      key: { kind: 'ip', family: 'inet', protocol: 'tcp', address: asIp('10.0.0.1'), port: 80 },
      scheduler: 'rr',
      flags: 0,
      persistence: null,
    });
    expect(b.toString('hex')).toBe(
      hex(`
      01010000
      4800 0100
        0600 0100 0200 0000
        0600 0200 0600 0000
        0800 0300 0a000001
        0600 0400 0050 0000
        0700 0600 727200 00
        0c00 0700 00000000 ffffffff
        0800 0800 00000000
        0800 0900 ffffffff`),
    );
  });

  it('SET_SERVICE fwmark 7 IPv6, sh with both flags and one-packet, persistent 300 /64', () => {
    const b = requests.setService({
      key: { kind: 'fwmark', family: 'inet6', fwmark: 7 },
      scheduler: 'sh',
      flags: SCHED_FLAG_BIT['sh-fallback'] | SCHED_FLAG_BIT['sh-port'] | SCHED_FLAG_BIT.ops,
      persistence: { timeoutSec: 300, prefix: 64 },
    });
    expect(b.toString('hex')).toBe(
      hex(`
      02010000
      3800 0100
        0600 0100 0a00 0000
        0800 0500 07000000
        0700 0600 736800 00
        0c00 0700 1d000000 ffffffff
        0800 0800 2c010000
        0800 0900 40000000`),
    );
  });

  it('NEW_DEST gue tunnel with checksum, weight 3, thresholds 100/10', () => {
    const b = requests.newDest(
      { kind: 'ip', family: 'inet', protocol: 'udp', address: asIp('10.0.0.1'), port: 53 },
      {
        address: asIp('10.1.0.5'),
        port: 53,
        family: 'inet',
        forwarding: 'tun',
        weight: 3,
        upperThreshold: 100,
        lowerThreshold: 10,
        tunnel: { type: 'gue', port: 6080, csum: 'csum' },
      },
    );
    expect(b.toString('hex')).toBe(
      hex(`
      05010000
      2400 0100
        0600 0100 0200 0000
        0600 0200 1100 0000
        0800 0300 0a000001
        0600 0400 0035 0000
      5400 0200
        0800 0100 0a010005
        0600 0200 0035 0000
        0600 0b00 0200 0000
        0800 0300 02000000
        0800 0400 03000000
        0800 0500 64000000
        0800 0600 0a000000
        0500 0d00 01 000000
        0600 0e00 17c0 0000
        0600 0f00 0100 0000`),
    );
  });

  it('DEL_DEST of an IPv6 real server', () => {
    const b = requests.delDest(
      { kind: 'ip', family: 'inet6', protocol: 'tcp', address: asIp('2001:db8::1'), port: 443 },
      { address: asIp('2001:db8::2'), port: 443 },
    );
    expect(b.toString('hex')).toBe(
      hex(`
      07010000
      3000 0100
        0600 0100 0a00 0000
        0600 0200 0600 0000
        1400 0300 20010db8000000000000000000000001
        0600 0400 01bb 0000
      2800 0200
        1400 0100 20010db8000000000000000000000002
        0600 0200 01bb 0000
        0600 0b00 0a00 0000`),
    );
  });

  it('GET_DEST dump key, FLUSH, ZERO, GET_INFO, SET_CONFIG', () => {
    expect(requests.getDests({ kind: 'fwmark', family: 'inet', fwmark: 1 }).toString('hex')).toBe(
      hex('08010000 1400 0100 0600 0100 0200 0000 0800 0500 01000000'),
    );
    expect(requests.flush().toString('hex')).toBe('11010000');
    expect(requests.zero().toString('hex')).toBe('10010000');
    expect(requests.getInfo().toString('hex')).toBe('0f010000');
    expect(requests.setConfig({ tcp: 900, tcpFin: 120, udp: 300 }).toString('hex')).toBe(
      hex('0c010000 0800 0400 84030000 0800 0500 78000000 0800 0600 2c010000'),
    );
  });

  it('NEW_DAEMON backup with group, port, ttl and maxlen; DEL_DAEMON master', () => {
    const b = requests.newDaemon({
      state: 'backup',
      ifname: 'eth0',
      syncId: 6,
      maxLen: 1400,
      group: '224.0.0.99',
      port: 8849,
      ttl: 2,
    });
    expect(b.toString('hex')).toBe(
      hex(`
      09010000
      4000 0300
        0800 0100 02000000
        0900 0200 6574683000 000000
        0800 0300 06000000
        0600 0400 7805 0000
        0800 0500 e0000063
        0600 0700 9122 0000
        0500 0800 02 000000`),
    );
    expect(requests.delDaemon('master').toString('hex')).toBe(hex('0a010000 0c00 0300 0800 0100 01000000'));
  });
});

describe('IPVS replies: golden decode', () => {
  it('decodes a service as the kernel dumps it: 16-byte address, HASHED flag, 32-bit stats', () => {
    const payload = Buffer.from(
      hex(`
      01010000
      8800 0100
        0600 0100 0200 0000
        0600 0200 0600 0000
        1400 0300 0a000001 00000000 00000000 00000000
        0600 0400 0050 0000
        0800 0600 776c6300
        0c00 0700 03000000 ffffffff
        0800 0800 2c010000
        0800 0900 ffffff00
        3400 0a00
          0800 0100 05000000
          0800 0200 0a000000
          0800 0300 09000000
          0c00 0400 e803000000000000
          0c00 0500 d007000000000000`),
      'hex',
    );
    expect(decodeService(payload)).toEqual({
      key: { kind: 'ip', family: 'inet', protocol: 'tcp', address: asIp('10.0.0.1'), port: 80 },
      scheduler: 'wlc',
      flags: 0,
      persistence: { timeoutSec: 300, prefix: 24 },
      // Rates the kernel left out read as zero.
      stats: {
        conns: 5n,
        inPackets: 10n,
        outPackets: 9n,
        inBytes: 1000n,
        outBytes: 2000n,
        cps: 0n,
        inPps: 0n,
        outPps: 0n,
        inBps: 0n,
        outBps: 0n,
      },
    } satisfies IpvsService);
  });

  it('decodes info and config', () => {
    const info = Buffer.from(hex('0e010000 0800 0100 01020100 0800 0200 00100000'), 'hex');
    expect(decodeInfo(info)).toEqual({ version: '1.2.1', versionCode: 0x010201, connTabSize: 4096 });
    const cfg = Buffer.from(hex('0d010000 0800 0400 84030000 0800 0500 78000000 0800 0600 2c010000'), 'hex');
    expect(decodeConfig(cfg)).toEqual({ tcp: 900, tcpFin: 120, udp: 300 });
  });
});

// Arbitraries for the properties.
const IPVSADM_NEW_SERVICE_PE_SIP = hex(`
  01010000 5c000180 06000100 02000000 06000200 11000000 14000300 0a000001 00000000 00000000 00000000
  06000400 13c40000 07000600 72720000 08000b00 73697000 0c000700 01000000 ffffffff 08000800 3c000000
  08000900 ffffffff`);
const IPVSADM_SET_TIMEOUTS = hex('0c010000 08000400 84030000 08000500 78000000 08000600 2c010000');

describe('persistence engine and timeouts against ipvsadm', () => {
  const sip: ServiceSpec = {
    key: { kind: 'ip', family: 'inet', protocol: 'udp', address: asIp('10.0.0.1'), port: 5060 },
    scheduler: 'rr',
    pe: 'sip',
    flags: 0,
    persistence: { timeoutSec: 60, prefix: 32 },
  };

  it('decodes what ipvsadm sends for --pe sip into the same service', () => {
    const s = decodeService(Buffer.from(IPVSADM_NEW_SERVICE_PE_SIP, 'hex'));
    expect({
      key: s.key,
      scheduler: s.scheduler,
      pe: s.pe,
      flags: s.flags,
      persistence: s.persistence,
    }).toEqual(sip);
  });

  it('encodes the persistence engine attribute byte for byte as ipvsadm, in the same place', () => {
    const ours = requests.newService(sip).toString('hex');
    // ipvsadm sends the IPv4 address in a 16-byte field and flags the nest NLA_F_NESTED; the rest is identical.
    const theirs = IPVSADM_NEW_SERVICE_PE_SIP.replace(
      '14000300 0a000001 00000000 00000000 00000000'.replace(/ /g, ''),
      '080003000a000001',
    ).replace('5c000180', '50000100');
    expect(ours).toBe(theirs);
    expect(ours).toContain('0800 0b00 73697000'.replace(/ /g, ''));
  });

  it('sets the timeouts with the bytes ipvsadm --set sends', () => {
    expect(requests.setConfig({ tcp: 900, tcpFin: 120, udp: 300 }).toString('hex')).toBe(
      IPVSADM_SET_TIMEOUTS,
    );
  });
});

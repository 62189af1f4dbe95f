import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalIp as asIp } from '../../../src/kernel/vocabulary.js';
import {
  type AdvertExpectations,
  AUTH_NONE,
  AUTH_PASS,
  checkAdvert,
  decodeAdvert,
  encodeAdvert,
  parseIpv4,
  passwordAuth,
  receiveIpv4,
  type VrrpAdvert,
} from '../../../src/vrrp/packet.js';
import { ipv4Packet } from '../../support/ipv4-packet.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// RFC 3768 5.1 layout, checksum folded by hand:
// 2133+6401+0101+c0a8+0164+7365+6372+6574 = 2848c -> 848e -> ~ = 7b71
const V2_GOLDEN = hex('21 33 64 01 01 01 7b71 c0a80164 73656372 65740000');
// RFC 5798 5.1 layout, pseudo-header 10.0.0.1 > 224.0.0.18 proto 112 len 12:
// 0a00+0001+e000+0012+0070+000c + 3133+6401+0064+c0a8+0164 = 24233 -> 4235 -> ~ = bdca
const V3_GOLDEN = hex('31 33 64 01 0064 bdca c0a80164');

const v2: VrrpAdvert = {
  version: 2,
  vrid: 51,
  priority: 100,
  family: 4,
  addresses: [asIp('192.168.1.100')],
  advertIntCs: 100,
  auth: passwordAuth('secret'),
};
const v3: VrrpAdvert = {
  version: 3,
  vrid: 51,
  priority: 100,
  family: 4,
  addresses: [asIp('192.168.1.100')],
  advertIntCs: 100,
};
const pseudo = { src: '10.0.0.1', dst: '224.0.0.18' };

const ipv4 = (payload: Buffer, ttl = 255, src = '10.0.0.1', dst = '224.0.0.18', proto = 112): Buffer =>
  ipv4Packet(payload, { ttl, src, dst, proto });

describe('VRRP v2 codec', () => {
  it('encodes the RFC 3768 layout byte for byte', () => {
    expect(encodeAdvert(v2).toString('hex')).toBe(V2_GOLDEN.toString('hex'));
  });
  it('decodes the golden bytes', () => {
    expect(decodeAdvert(V2_GOLDEN, 4, 'kernel')).toEqual({ ok: true, value: v2 });
  });
  it('rejects a flipped bit as a bad checksum', () => {
    const b = Buffer.from(V2_GOLDEN);
    b[9]! ^= 1;
    expect(decodeAdvert(b, 4, 'kernel')).toEqual({ ok: false, reason: 'bad-checksum' });
  });
  it('refuses IPv6 addresses in version 2', () => {
    expect(() => encodeAdvert({ ...v2, family: 6, addresses: ['2001:db8::1'] })).toThrow(RangeError);
    expect(decodeAdvert(V2_GOLDEN, 6, 'kernel')).toEqual({ ok: false, reason: 'bad-address-family' });
  });
});

describe('VRRP v3 codec', () => {
  it('encodes the RFC 5798 layout with the IPv4 pseudo-header checksum', () => {
    expect(encodeAdvert(v3, pseudo).toString('hex')).toBe(V3_GOLDEN.toString('hex'));
  });
  it('decodes the golden bytes and verifies the checksum against the pseudo-header', () => {
    expect(decodeAdvert(V3_GOLDEN, 4, pseudo)).toEqual({ ok: true, value: v3 });
    expect(decodeAdvert(V3_GOLDEN, 4, { src: '10.0.0.2', dst: '224.0.0.18' })).toEqual({
      ok: false,
      reason: 'bad-checksum',
    });
  });
  it('carries a 12-bit interval and ignores the reserved bits', () => {
    const b = encodeAdvert({ ...v3, advertIntCs: 0xfff }, pseudo);
    expect(b.readUInt16BE(4)).toBe(0x0fff);
    expect(() => encodeAdvert({ ...v3, advertIntCs: 0x1000 }, pseudo)).toThrow(RangeError);
  });
  it('encodes IPv6 addresses with the IPv6 pseudo-header', () => {
    const a: VrrpAdvert = { ...v3, family: 6, addresses: ['2001:db8::1', 'fe80::1'] };
    const p6 = { src: 'fe80::a', dst: 'ff02::12' };
    const b = encodeAdvert(a, p6);
    expect(b.length).toBe(8 + 32);
    expect(b.subarray(8, 24).toString('hex')).toBe('20010db8000000000000000000000001');
    expect(decodeAdvert(b, 6, p6)).toEqual({ ok: true, value: a });
    expect(decodeAdvert(b, 6, { src: 'fe80::b', dst: 'ff02::12' })).toEqual({
      ok: false,
      reason: 'bad-checksum',
    });
  });
});

describe('structural drop reasons', () => {
  it('names each malformation', () => {
    expect(decodeAdvert(V3_GOLDEN.subarray(0, 7), 4, pseudo)).toEqual({ ok: false, reason: 'short' });
    expect(decodeAdvert(V3_GOLDEN.subarray(0, 10), 4, pseudo)).toEqual({ ok: false, reason: 'short' });
    expect(decodeAdvert(Buffer.concat([V3_GOLDEN, Buffer.alloc(4)]), 4, pseudo)).toEqual({
      ok: false,
      reason: 'bad-length',
    });
    const v4 = Buffer.from(V3_GOLDEN);
    v4[0] = 0x41;
    expect(decodeAdvert(v4, 4, pseudo)).toEqual({ ok: false, reason: 'bad-version' });
    const t2 = Buffer.from(V3_GOLDEN);
    t2[0] = 0x32;
    expect(decodeAdvert(t2, 4, pseudo)).toEqual({ ok: false, reason: 'bad-type' });
  });
});

describe('instance checks', () => {
  const want: AdvertExpectations = {
    version: 2,
    vrid: 51,
    family: 4,
    addresses: [asIp('192.168.1.100')],
    advertIntCs: 100,
    auth: passwordAuth('secret'),
  };
  it('accepts a matching advert', () => {
    expect(checkAdvert(v2, 255, want)).toBeNull();
  });
  it.each([
    ['bad-ttl', v2, 254],
    ['wrong-vrid', { ...v2, vrid: 52 }, 255],
    ['auth-mismatch', { ...v2, auth: passwordAuth('other') }, 255],
    ['auth-mismatch', { ...v2, auth: { type: AUTH_NONE, data: Buffer.alloc(8) } }, 255],
    ['advert-int-mismatch', { ...v2, advertIntCs: 200 }, 255],
    ['address-count-mismatch', { ...v2, addresses: ['192.168.1.100', '192.168.1.101'] }, 255],
    ['address-mismatch', { ...v2, addresses: ['192.168.1.101'] }, 255],
    ['bad-version', v3, 255],
  ] as const)('drops %s', (reason, adv, ttl) => {
    expect(checkAdvert(adv as VrrpAdvert, ttl, want)).toBe(reason);
  });
  it('v3 learns the interval instead of requiring it', () => {
    expect(checkAdvert({ ...v3, advertIntCs: 37 }, 255, { ...want, version: 3, auth: undefined })).toBeNull();
  });
  it('a PASS password is truncated to 8 bytes and NUL padded', () => {
    expect(passwordAuth('abcdefghij').data.toString()).toBe('abcdefgh');
    expect(passwordAuth('ab')).toEqual({ type: AUTH_PASS, data: hex('6162000000000000') });
  });
});

describe('raw IPv4 receive', () => {
  const want: AdvertExpectations = {
    version: 3,
    vrid: 51,
    family: 4,
    addresses: [asIp('192.168.1.100')],
    advertIntCs: 100,
  };
  it('parses the header a raw socket returns', () => {
    const r = receiveIpv4(ipv4(V3_GOLDEN), want);
    expect(r).toEqual({ ok: true, value: { ...v3, src: '10.0.0.1' } });
  });
  it('drops TTL != 255, other protocols and short headers', () => {
    expect(receiveIpv4(ipv4(V3_GOLDEN, 64), want)).toEqual({ ok: false, reason: 'bad-ttl' });
    expect(receiveIpv4(ipv4(V3_GOLDEN, 255, '10.0.0.1', '224.0.0.18', 17), want)).toEqual({
      ok: false,
      reason: 'not-vrrp',
    });
    expect(parseIpv4(Buffer.alloc(10))).toEqual({ ok: false, reason: 'short' });
    const bad = ipv4(V3_GOLDEN);
    bad[0] = 0x43;
    expect(parseIpv4(bad)).toEqual({ ok: false, reason: 'bad-ip-header' });
  });
});

const ipv4Arb = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((p) => p.join('.'));
const ipv6Arb = fc.ipV6().map((ip) => {
  // Normalise to the codec's RFC 5952 text.
  const b = decodeAdvert(
    encodeAdvert({ version: 3, vrid: 1, priority: 1, family: 6, addresses: [ip], advertIntCs: 1 }),
    6,
    'kernel',
  );
  return b.ok ? b.value.addresses[0]! : ip;
});
const advertArb: fc.Arbitrary<VrrpAdvert> = fc.oneof(
  fc.record({
    version: fc.constant(2 as const),
    vrid: fc.integer({ min: 1, max: 255 }),
    priority: fc.nat(255),
    family: fc.constant(4 as const),
    addresses: fc.array(ipv4Arb, { maxLength: 20 }),
    advertIntCs: fc.nat(255).map((s) => s * 100),
    auth: fc.record({
      type: fc.nat(255),
      data: fc.uint8Array({ minLength: 8, maxLength: 8 }).map(Buffer.from),
    }),
  }),
  fc.record({
    version: fc.constant(3 as const),
    vrid: fc.integer({ min: 1, max: 255 }),
    priority: fc.nat(255),
    family: fc.constant(4 as const),
    addresses: fc.array(ipv4Arb, { maxLength: 20 }),
    advertIntCs: fc.nat(0xfff),
  }),
  fc.record({
    version: fc.constant(3 as const),
    vrid: fc.integer({ min: 1, max: 255 }),
    priority: fc.nat(255),
    family: fc.constant(6 as const),
    addresses: fc.array(ipv6Arb, { maxLength: 10 }),
    advertIntCs: fc.nat(0xfff),
  }),
);

describe('properties', () => {
  it('decode(encode(x)) == x', () => {
    fc.assert(
      fc.property(advertArb, (a) => {
        const p = a.family === 4 ? pseudo : { src: 'fe80::1', dst: 'ff02::12' };
        expect(decodeAdvert(encodeAdvert(a, p), a.family, p)).toEqual({ ok: true, value: a });
      }),
    );
  });
  it('random bytes never throw', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 200 }),
        fc.constantFrom(4 as const, 6 as const),
        (bytes, fam) => {
          const p = fam === 4 ? pseudo : { src: 'fe80::1', dst: 'ff02::12' };
          const r = decodeAdvert(bytes, fam, p);
          expect(typeof r.ok).toBe('boolean');
          const w = receiveIpv4(bytes, { version: 3, vrid: 1, family: 4, addresses: [], advertIntCs: 100 });
          expect(typeof w.ok).toBe('boolean');
        },
      ),
      { numRuns: 2000 },
    );
  });
  it('mutated valid adverts never throw', () => {
    fc.assert(
      fc.property(advertArb, fc.nat(), fc.nat(255), (a, pos, val) => {
        const b = encodeAdvert(a, pseudo.src && a.family === 4 ? pseudo : null);
        b[pos % b.length] = val;
        const r = receiveIpv4(ipv4(b), {
          version: a.version,
          vrid: a.vrid,
          family: 4,
          addresses: [],
          advertIntCs: 100,
        });
        expect(typeof r.ok).toBe('boolean');
      }),
    );
  });
});

describe('bytes keepalived 2.2.7 sent (captured with tcpdump in a namespace)', () => {
  const ip = (s: string) => hex(s);
  it('VRRPv2 with PASS auth: decodes, and encodes back to the same bytes', () => {
    const frame = ip(
      '45c0 0028 0004 0000 ff70 d087 0a07 0001 e000 0012 2133 6401 0101 3313 0a07 0064 7365 6372 6574 0000',
    );
    const want: AdvertExpectations = {
      version: 2,
      vrid: 51,
      family: 4,
      addresses: [asIp('10.7.0.100')],
      advertIntCs: 100,
      auth: passwordAuth('secret'),
    };
    const r = receiveIpv4(frame, want);
    expect(r).toMatchObject({ ok: true, value: { priority: 100, src: '10.7.0.1' } });
    const adv = decodeAdvert(frame.subarray(20), 4, 'kernel');
    expect(adv.ok && encodeAdvert(adv.value).toString('hex')).toBe(frame.subarray(20).toString('hex'));
  });
  it('VRRPv3 over IPv4: the pseudo-header checksum matches ours', () => {
    const frame = ip('45c0 0020 0001 0000 ff70 d092 0a07 0001 e000 0012 3133 6401 0064 7565 0a07 0064');
    const r = receiveIpv4(frame, {
      version: 3,
      vrid: 51,
      family: 4,
      addresses: [asIp('10.7.0.100')],
      advertIntCs: 100,
    });
    expect(r).toMatchObject({ ok: true, value: { version: 3, priority: 100, advertIntCs: 100 } });
    const adv: VrrpAdvert = {
      version: 3,
      vrid: 51,
      priority: 100,
      family: 4,
      addresses: [asIp('10.7.0.100')],
      advertIntCs: 100,
    };
    expect(encodeAdvert(adv, { src: '10.7.0.1', dst: '224.0.0.18' }).toString('hex')).toBe(
      frame.subarray(20).toString('hex'),
    );
  });
});

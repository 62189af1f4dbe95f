// The data-plane vocabulary: golden cases and properties, with Node's own
// address handling (net.isIP, the WHATWG URL serializer) as the oracle.
import { isIP } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  canonicalIp,
  formatIp,
  formatNetmask,
  IP_VS_SVC_F_ONEPACKET,
  IP_VS_SVC_F_SCHED1,
  IP_VS_SVC_F_SCHED2,
  IP_VS_SVC_F_SCHED3,
  ipToBytes,
  maskBytes,
  parseIp,
  parseNetmask,
  parseProtocol,
  prefixFromMask,
  SCHED_FLAG_BIT,
  sameIp,
  schedFlagBits,
  schedFlagNames,
} from '../../../src/kernel/vocabulary.js';

/** RFC 5952 text per the WHATWG URL serializer: shares no code with the vocabulary. */
const urlCanonical = (v6: string): string => new URL(`http://[${v6}]/`).hostname.slice(1, -1);

const v4bytes = fc.uint8Array({ minLength: 4, maxLength: 4 });
// Zero runs are what RFC 5952 compression is about: make them common.
const group = fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 0, max: 0xffff }));
const v6bytes = fc.array(group, { minLength: 8, maxLength: 8 }).map((gs) => {
  const b = Buffer.alloc(16);
  gs.forEach((g, i) => {
    b.writeUInt16BE(g, i * 2);
  });
  return b;
});
/** Every way of writing an IPv6 address: full, leading zeros, upper case, any :: run, IPv4 tail. */
const v6spelling = fc
  .tuple(v6bytes, fc.boolean(), fc.boolean(), fc.nat(8), fc.nat(8), fc.boolean())
  .map(([b, pad, upper, from, len, dotted]) => {
    let gs = Array.from({ length: 8 }, (_, i) => b.readUInt16BE(i * 2).toString(16));
    if (pad) gs = gs.map((g) => g.padStart(4, '0'));
    let tail: string[] = [];
    if (dotted) {
      tail = [Array.from(b.subarray(12, 16)).join('.')];
      gs = gs.slice(0, 6);
    }
    // Compress any run of zero groups (not only the longest), as writers may.
    const end = Math.min(gs.length, from + len);
    const run = gs.slice(from, end);
    let text: string;
    if (run.length >= 1 && run.every((g) => /^0+$/.test(g)) && from < gs.length) {
      text = `${gs.slice(0, from).join(':')}::${[...gs.slice(end), ...tail].join(':')}`;
    } else text = [...gs, ...tail].join(':');
    return { bytes: b, text: upper ? text.toUpperCase() : text };
  });

describe('addresses', () => {
  it('golden: the canonical spellings', () => {
    expect(parseIp('2001:DB8:0::50')).toBe('2001:db8::50');
    expect(parseIp('2001:DB8:0:0::11')).toBe('2001:db8::11');
    expect(parseIp('2001:0db8:0000:0000:0000:0000:0000:0012')).toBe('2001:db8::12');
    expect(parseIp('::FFFF:192.0.2.80')).toBe('::ffff:c000:250');
    expect(parseIp('2001:db8:0:1:0:0:0:1')).toBe('2001:db8:0:1::1'); // the longest run
    expect(parseIp('2001:db8:0:0:1:0:0:1')).toBe('2001:db8::1:0:0:1'); // the first of equals
    expect(parseIp('2001:db8:1:1:1:1:0:1')).toBe('2001:db8:1:1:1:1:0:1'); // one zero stays
    expect(parseIp('::')).toBe('::');
    expect(parseIp('10.1.0.5')).toBe('10.1.0.5');
    // What neither keepalived (inet_pton) nor the kernel accepts is refused.
    expect(parseIp('010.001.0.5')).toBeNull();
    expect(parseIp('10.1.0')).toBeNull();
    expect(parseIp('fe80::1%eth0')).toBeNull();
    expect(parseIp('host.example')).toBeNull();
    expect(() => canonicalIp('1.2.3.256')).toThrow(/not an IP address/);
    expect(sameIp('2001:DB8::1', '2001:db8:0::1')).toBe(true);
    expect(sameIp('10.0.0.1', '10.0.0.2')).toBe(false);
  });

  it('IPv6: agrees with the URL serializer for every spelling, and round trips through bytes', () => {
    fc.assert(
      fc.property(v6spelling, ({ bytes, text }) => {
        expect(isIP(text)).toBe(6);
        const c = parseIp(text)!;
        expect(c).toBe(urlCanonical(text));
        expect(c).toBe(formatIp(bytes));
        expect(ipToBytes(c).equals(bytes)).toBe(true);
        expect(parseIp(c)).toBe(c); // idempotent
      }),
      { numRuns: 1000 },
    );
  });

  it('IPv4: the dotted quad without leading zeros, as Node and the URL parser print it', () => {
    fc.assert(
      fc.property(v4bytes, (b) => {
        const text = formatIp(b);
        expect(isIP(text)).toBe(4);
        expect(new URL(`http://${text}/`).hostname).toBe(text);
        expect(parseIp(text)).toBe(text);
        expect(ipToBytes(text).equals(Buffer.from(b))).toBe(true);
      }),
    );
  });

  it('parse accepts exactly what net.isIP accepts (zones aside)', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9a-fA-F:.]{0,20}$/), (s) => {
        expect(parseIp(s) !== null).toBe(isIP(s) !== 0);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('protocols, flags and netmasks', () => {
  it('protocols are one lower-case enum whatever the spelling', () => {
    expect(['TCP', 'udp', 'Sctp', 'icmp'].map(parseProtocol)).toEqual(['tcp', 'udp', 'sctp', null]);
  });

  it('scheduler flags are the kernel bits of linux/ip_vs.h; the aliases share them', () => {
    expect([IP_VS_SVC_F_ONEPACKET, IP_VS_SVC_F_SCHED1, IP_VS_SVC_F_SCHED2, IP_VS_SVC_F_SCHED3]).toEqual([
      0x4, 0x8, 0x10, 0x20,
    ]);
    expect(SCHED_FLAG_BIT['sh-fallback']).toBe(SCHED_FLAG_BIT['mh-fallback']);
    expect(SCHED_FLAG_BIT['sh-fallback']).toBe(SCHED_FLAG_BIT['flag-1']);
    expect(SCHED_FLAG_BIT['sh-port']).toBe(SCHED_FLAG_BIT['mh-port']);
    expect(SCHED_FLAG_BIT['sh-port']).toBe(SCHED_FLAG_BIT['flag-2']);
    expect(schedFlagNames('sh', schedFlagBits(['flag-1', 'flag-2']))).toEqual(['sh-fallback', 'sh-port']);
    expect(schedFlagNames('mh', schedFlagBits(['sh-port', 'ops']))).toEqual(['mh-port', 'ops']);
    expect(schedFlagNames('rr', schedFlagBits(['flag-3']))).toEqual(['flag-3']);
  });

  it('flag names and bits round trip under every scheduler', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('sh', 'mh', 'rr'),
        fc.nat(0xf).map((n) => n << 2),
        (sched, bits) => {
          expect(schedFlagBits(schedFlagNames(sched, bits))).toBe(bits);
        },
      ),
    );
  });

  it('netmasks are prefix lengths; dotted quads only at the edges', () => {
    expect(parseNetmask('255.255.255.0', 'inet')).toBe(24);
    expect(parseNetmask('24', 'inet')).toBe(24);
    expect(parseNetmask('64', 'inet6')).toBe(64);
    expect(parseNetmask('255.0.255.0', 'inet')).toBeNull(); // holes
    expect(parseNetmask('33', 'inet')).toBeNull();
    expect(parseNetmask('255.255.255.0', 'inet6')).toBeNull();
    expect(formatNetmask('inet', 20)).toBe('255.255.240.0');
    expect(formatNetmask('inet6', 64)).toBe('64');
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 32 }), (p) => {
        expect(parseNetmask(formatNetmask('inet', p), 'inet')).toBe(p);
      }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 128 }), (p) => {
        expect(prefixFromMask(maskBytes('inet6', p))).toBe(p);
      }),
    );
  });
});

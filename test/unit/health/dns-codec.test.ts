import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DnsCodecError,
  type DnsMessage,
  decodeMessage,
  encodeMessage,
  encodeQuery,
  nameLabels,
  rcodeOf,
} from '../../../src/health/dns-codec.js';
import { judgeDnsReply } from '../../../src/health/probes/dns.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('dns codec: golden', () => {
  it('encodes an A query for example.com with RD set', () => {
    expect(encodeQuery(0x1234, 'example.com', 1).toString('hex')).toBe(
      '123401000001000000000000' + '076578616d706c6503636f6d00' + '00010001',
    );
  });

  it('encodes the root SOA query keepalived sends by default', () => {
    expect(encodeQuery(0xbeef, '.', 6).toString('hex')).toBe('beef01000001000000000000' + '00' + '00060001');
  });

  it('decodes a response that uses a compression pointer', () => {
    // id 0x1234, QR RD RA, NOERROR; 1 question, 1 answer whose name is a pointer to offset 12.
    const raw = hex(`
      1234 8180 0001 0001 0000 0000
      07 6578616d706c65 03 636f6d 00 0001 0001
      c00c 0001 0001 0000012c 0004 5db8d822`);
    const m = decodeMessage(raw);
    expect(m.id).toBe(0x1234);
    expect(rcodeOf(m.flags)).toBe(0);
    expect(m.questions).toEqual([{ name: 'example.com', type: 1, class: 1 }]);
    expect(m.answers).toHaveLength(1);
    expect(m.answers[0]!.name).toBe('example.com');
    expect(m.answers[0]!.ttl).toBe(300);
    expect([...m.answers[0]!.data]).toEqual([93, 184, 216, 34]);
    expect(judgeDnsReply(raw, 0x1234, 1)).toBeNull();
    expect(judgeDnsReply(raw, 0x1234, 28)).toBe('no answer of type 28');
  });

  it('rejects NXDOMAIN, pointer loops and truncation', () => {
    const nx = hex('1234 8183 0001 0000 0000 0000 00 0006 0001');
    expect(judgeDnsReply(nx, 0x1234, 6)).toBe('rcode 3');
    const loop = hex('0001 8180 0001 0000 0000 0000 c00c 0001 0001');
    expect(() => decodeMessage(loop)).toThrow(DnsCodecError);
    expect(() => decodeMessage(hex('1234 81'))).toThrow(/truncated/);
    expect(judgeDnsReply(hex('1234 0100 0000 0000 0000 0000'), 0x1234, 6)).toBe('reply is not a response');
  });

  it('validates label and name lengths', () => {
    expect(nameLabels('a.b.')).toEqual(['a', 'b']);
    expect(nameLabels('.')).toEqual([]);
    expect(() => nameLabels('a..b')).toThrow(DnsCodecError);
    expect(() => encodeQuery(1, 'x'.repeat(64), 1)).toThrow(/63/);
    expect(() => encodeQuery(1, Array(130).fill('ab').join('.'), 1)).toThrow(/255/);
  });
});

const label = fc.stringMatching(/^[a-z0-9-]{1,20}$/);
const name = fc.array(label, { minLength: 0, maxLength: 5 }).map((ls) => (ls.length ? ls.join('.') : '.'));
const record = fc.record({
  name,
  type: fc.integer({ min: 0, max: 0xffff }),
  class: fc.integer({ min: 0, max: 0xffff }),
  ttl: fc.integer({ min: 0, max: 0xffffffff }),
  data: fc.uint8Array({ maxLength: 40 }),
});
const message: fc.Arbitrary<DnsMessage> = fc.record({
  id: fc.integer({ min: 0, max: 0xffff }),
  flags: fc.integer({ min: 0, max: 0xffff }),
  questions: fc.array(
    fc.record({
      name,
      type: fc.integer({ min: 0, max: 0xffff }),
      class: fc.integer({ min: 0, max: 0xffff }),
    }),
    { maxLength: 3 },
  ),
  answers: fc.array(record, { maxLength: 3 }),
  authority: fc.array(record, { maxLength: 2 }),
  additional: fc.array(record, { maxLength: 2 }),
});

describe('dns codec: properties', () => {
  it('decode(encode(m)) == m', () => {
    fc.assert(
      fc.property(message, (m) => {
        expect(decodeMessage(encodeMessage(m))).toEqual(m);
      }),
    );
  });

  it('arbitrary bytes decode or fail with DnsCodecError, never anything else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        try {
          decodeMessage(bytes);
        } catch (e) {
          expect(e).toBeInstanceOf(DnsCodecError);
        }
      }),
    );
  });

  it('a truncated encoding never decodes to the original', () => {
    fc.assert(
      fc.property(message, fc.nat(), (m, cut) => {
        const buf = encodeMessage(m);
        const n = cut % buf.length;
        expect(() => decodeMessage(buf.subarray(0, n))).toThrow(DnsCodecError);
      }),
    );
  });
});

// Pure parts of PING_CHECK, SMTP_CHECK and FILE_CHECK: the ICMP codec (golden
// bytes and round trips), SMTP reply framing, and the file value rules.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { judgeFileValue, parseFileValue } from '../../../src/health/probes/file.js';
import { takeReply } from '../../../src/health/probes/smtp.js';
import { encodeEchoRequest, icmpChecksum, parseIcmp4, parseIcmp6 } from '../../../src/kernel/icmp-codec.js';

/** An IPv4 header (20 bytes, protocol ICMP) from src to dst. */
function ip4(src: number[], dst: number[], body: Buffer): Buffer {
  const h = Buffer.alloc(20);
  h[0] = 0x45;
  h.writeUInt16BE(20 + body.length, 2);
  h[8] = 64;
  h[9] = 1;
  Buffer.from(src).copy(h, 12);
  Buffer.from(dst).copy(h, 16);
  return Buffer.concat([h, body]);
}

describe('ICMP echo codec', () => {
  it('encodes an IPv4 echo request (golden bytes: 0x0800+0x1234+0x0001+0x6162+0x6364 = 0xdefb, checksum 0x2104)', () => {
    const b = encodeEchoRequest(4, 0x1234, 1, Buffer.from('abcd'));
    expect(b.toString('hex')).toBe('080021041234000161626364');
    expect(icmpChecksum(b)).toBe(0);
  });

  it('leaves the ICMPv6 checksum to the kernel', () => {
    expect(encodeEchoRequest(6, 0xbeef, 0xffff, Buffer.alloc(0)).toString('hex')).toBe('80000000beefffff');
  });

  it('reads back identifier, sequence and replier of any IPv4 echo reply', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffff }),
        fc.integer({ min: 0, max: 0xffff }),
        fc.uint8Array({ maxLength: 64 }),
        (id, seq, payload) => {
          const req = encodeEchoRequest(4, id, seq, payload);
          const reply = Buffer.from(req);
          reply[0] = 0;
          const ev = parseIcmp4(ip4([10, 0, 0, 9], [10, 0, 0, 1], reply));
          expect(ev).toEqual({ kind: 'reply', id, seq, target: '10.0.0.9', type: 0, code: 0 });
        },
      ),
    );
  });

  it('matches a host-unreachable error to the request it quotes', () => {
    const req = ip4([10, 0, 0, 1], [10, 0, 0, 77], encodeEchoRequest(4, 7, 9, Buffer.alloc(8)));
    const err = Buffer.concat([Buffer.from([3, 1, 0, 0, 0, 0, 0, 0]), req.subarray(0, 28)]);
    expect(parseIcmp4(ip4([10, 0, 0, 1], [10, 0, 0, 1], err))).toEqual({
      kind: 'unreachable',
      id: 7,
      seq: 9,
      target: '10.0.0.77',
      type: 3,
      code: 1,
    });
  });

  it('ignores echo requests and truncated packets', () => {
    expect(
      parseIcmp4(ip4([1, 1, 1, 1], [2, 2, 2, 2], encodeEchoRequest(4, 1, 1, Buffer.alloc(0)))),
    ).toBeNull();
    expect(parseIcmp4(Buffer.alloc(10))).toBeNull();
    expect(parseIcmp6(Buffer.alloc(4), '::1')).toBeNull();
  });

  it('reads an ICMPv6 echo reply and an address-unreachable error', () => {
    const reply = encodeEchoRequest(6, 3, 4, Buffer.alloc(2));
    reply[0] = 129;
    expect(parseIcmp6(reply, 'fd00::9')).toMatchObject({ kind: 'reply', id: 3, seq: 4, target: 'fd00::9' });
    const inner = Buffer.alloc(40);
    inner[0] = 0x60;
    inner[6] = 58;
    inner[39] = 0x42; // destination fd00::42 (first byte below)
    inner[24] = 0xfd;
    const err = Buffer.concat([
      Buffer.from([1, 3, 0, 0, 0, 0, 0, 0]),
      inner,
      encodeEchoRequest(6, 3, 5, Buffer.alloc(0)),
    ]);
    expect(parseIcmp6(err, 'fd00::1')).toMatchObject({
      kind: 'unreachable',
      id: 3,
      seq: 5,
      target: 'fd00::42',
      code: 3,
    });
  });
});

describe('SMTP reply framing', () => {
  it('waits for a whole line, and reads a multi-line reply to its last line', () => {
    expect(takeReply('220 mail')).toBeNull();
    expect(takeReply('220 mail ready\r\n')).toEqual({ code: 220, end: 16 });
    expect(takeReply('250-one\r\n250-two\r\n')).toBeNull();
    expect(takeReply('250-one\r\n250 two\r\nrest')).toEqual({ code: 250, end: 18 });
    expect(takeReply('hello\n')).toEqual({ code: -1, end: 6 });
  });
});

describe('FILE_CHECK values', () => {
  it('reads the leading integer as strtol with base 0 does, and 0 for anything else', () => {
    expect(parseFileValue('12\n')).toBe(12);
    expect(parseFileValue('  -7 trailing')).toBe(-7);
    expect(parseFileValue('0x1f')).toBe(31);
    expect(parseFileValue('010')).toBe(8);
    expect(parseFileValue('abc')).toBe(0);
    expect(parseFileValue(null)).toBe(0);
  });

  it('with weight 0, a non-zero value fails (zero fails with reverse)', () => {
    expect(judgeFileValue(0, 0, false)).toEqual({ ok: true });
    expect(judgeFileValue(3, 0, false)).toEqual({ ok: false });
    expect(judgeFileValue(0, 0, true)).toEqual({ ok: false });
    expect(judgeFileValue(-1, 0, true)).toEqual({ ok: true });
  });

  it('with a weight, value x weight moves the real server weight (negated with reverse)', () => {
    expect(judgeFileValue(2, 5, false)).toEqual({ ok: true, weightDelta: 10 });
    expect(judgeFileValue(2, 5, true)).toEqual({ ok: true, weightDelta: -10 });
    expect(judgeFileValue(0, 5, true)).toEqual({ ok: true, weightDelta: 0 });
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Attr,
  decodeAttrs,
  decodeErrorPayload,
  decodeGenl,
  decodeMsgs,
  encodeAttrs,
  encodeGenl,
  encodeMsg,
  NetlinkDecodeError,
  NLM_F_ACK,
  NLM_F_ACK_TLVS,
  NLM_F_REQUEST,
  NLMSG_ERROR,
  nest,
  str,
  u16,
  u32,
} from '../../../src/kernel/netlink/codec.js';
import { decodeFamily } from '../../../src/kernel/netlink/genl.js';

describe('netlink codec: golden bytes', () => {
  it('encodes the nlctrl GETFAMILY request for "IPVS" byte for byte', () => {
    const payload = encodeGenl(3, 1, [str(2, 'IPVS')]);
    const msg = encodeMsg({ type: 0x10, flags: NLM_F_REQUEST | NLM_F_ACK, seq: 1, pid: 0, payload });
    expect(msg.toString('hex')).toBe(
      // nlmsghdr: len 32 (16 + 4 + padded 12), type 0x10, flags 5, seq 1, pid 0
      '20000000' +
        '1000' +
        '0500' +
        '01000000' +
        '00000000' +
        // genlmsghdr: cmd 3, version 1, reserved
        '03010000' +
        // nla: len 9, type 2, "IPVS\0", 3 bytes of padding
        '0900' +
        '0200' +
        '4950565300' +
        '000000',
    );
  });

  it('pads nested attributes to four bytes and sets lengths from the inside out', () => {
    const buf = encodeAttrs([nest(1, [u16(1, 2), u32(2, 0xdeadbeef)])]);
    expect(buf.toString('hex')).toBe(
      '1400' + '0100' + '0600' + '0100' + '0200' + '0000' + '0800' + '0200' + 'efbeadde',
    );
  });

  it('sets NLA_F_NESTED only when asked', () => {
    const buf = encodeAttrs([nest(7, [], true)]);
    expect(buf.readUInt16LE(2)).toBe(0x8007);
    expect(decodeAttrs(buf)[0]).toMatchObject({ type: 7, nested: true });
  });

  it('reads an error with an extended-ACK message', () => {
    const orig = Buffer.alloc(16);
    orig.writeUInt32LE(16, 0);
    const msgAttr = encodeAttrs([str(1, 'Invalid prefix')]);
    const errno = Buffer.alloc(4);
    errno.writeInt32LE(-22, 0);
    const m = {
      type: NLMSG_ERROR,
      flags: NLM_F_ACK_TLVS | 0x100,
      seq: 9,
      pid: 0,
      payload: Buffer.concat([errno, orig, msgAttr]),
    };
    expect(decodeErrorPayload(m)).toEqual({ error: -22, message: 'Invalid prefix' });
  });

  it('decodes a CTRL_CMD_NEWFAMILY reply', () => {
    const payload = encodeGenl(1, 2, [
      u16(1, 0x25),
      str(2, 'IPVS'),
      u32(3, 1),
      u32(5, 9),
      nest(7, [nest(1, [str(1, 'notify'), u32(2, 4)])]),
    ]);
    const f = decodeFamily(payload);
    expect(f).toMatchObject({ id: 0x25, name: 'IPVS', version: 1, maxAttr: 9 });
    expect([...f.multicastGroups]).toEqual([['notify', 4]]);
  });
});

const leafAttr = fc.record({
  type: fc.integer({ min: 0, max: 0x3fff }),
  value: fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)),
});

describe('netlink codec: properties', () => {
  it('decode(encode(attrs)) gives back every attribute', () => {
    fc.assert(
      fc.property(fc.array(leafAttr, { maxLength: 20 }), (attrs) => {
        const decoded = decodeAttrs(encodeAttrs(attrs));
        expect(decoded.map((a) => ({ type: a.type, value: a.value }))).toEqual(attrs);
      }),
    );
  });

  it('round-trips nested attribute trees', () => {
    const tree: fc.Arbitrary<Attr[]> = fc.letrec<{ list: Attr[]; node: Attr }>((tie) => ({
      list: fc.array(tie('node'), { maxLength: 4 }),
      node: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        leafAttr,
        fc.record({ type: fc.integer({ min: 0, max: 0x3fff }), value: tie('list') }),
      ),
    })).list;
    const decodeTree = (buf: Buffer, shape: readonly Attr[]): Attr[] =>
      decodeAttrs(buf).map((a, i) => {
        const s = shape[i]!;
        return Buffer.isBuffer(s.value)
          ? { type: a.type, value: a.value }
          : { type: a.type, value: decodeTree(a.value, s.value) };
      });
    fc.assert(
      fc.property(tree, (attrs) => {
        expect(decodeTree(encodeAttrs(attrs), attrs)).toEqual(attrs);
      }),
    );
  });

  it('round-trips messages, several to a datagram', () => {
    const msg = fc.record({
      type: fc.integer({ min: 0, max: 0xffff }),
      flags: fc.integer({ min: 0, max: 0xffff }),
      seq: fc.nat(),
      pid: fc.nat(),
      payload: fc.uint8Array({ maxLength: 80 }).map((a) => Buffer.from(a)),
    });
    fc.assert(
      fc.property(fc.array(msg, { minLength: 1, maxLength: 5 }), (msgs) => {
        const wire = Buffer.concat(msgs.map(encodeMsg));
        expect(decodeMsgs(wire)).toEqual(msgs);
      }),
    );
  });

  it('random bytes give a typed error or a result, never anything else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (raw) => {
        const b = Buffer.from(raw);
        for (const decode of [decodeMsgs, decodeAttrs, decodeGenl, decodeFamily] as Array<
          (b: Buffer) => unknown
        >) {
          try {
            decode(b);
          } catch (e) {
            expect(e).toBeInstanceOf(NetlinkDecodeError);
          }
        }
      }),
      { numRuns: 2000 },
    );
  });
});

// nf_tables over netlink, the subset floatlb's incremental changes use:
// set elements (add/delete in the shared maps, with concatenated and
// interval keys), flushing a chain and appending one rule. Pure: messages
// are values, the batch is bytes; the golden tests compare them with what
// nft 1.0.6 sends for the same script. Constants: linux/netfilter/nf_tables.h
// and nfnetlink.h.
import { endianness } from 'node:os';
import {
  type Attr,
  attrMap,
  bytes,
  encodeAttrs,
  encodeMsg,
  NetlinkDecodeError,
  NLM_F_ACK,
  NLM_F_APPEND,
  NLM_F_CREATE,
  NLM_F_REQUEST,
  nest,
  str,
  u32be,
} from '../netlink/codec.js';

export const NFNL_SUBSYS_NFTABLES = 10;
export const NFNL_MSG_BATCH_BEGIN = 0x10;
export const NFNL_MSG_BATCH_END = 0x11;
export const NFT_MSG_NEWCHAIN = 3;
export const NFT_MSG_NEWRULE = 6;
export const NFT_MSG_DELRULE = 8;
export const NFT_MSG_NEWSETELEM = 12;
export const NFT_MSG_DELSETELEM = 14;
export const NFT_MSG_NEWGEN = 15;
export const NFT_MSG_GETGEN = 16;
const NFTA_GEN_ID = 1;

/** The generation id from an NFT_MSG_NEWGEN payload (nfgenmsg, then attributes). */
export function decodeGenId(payload: Buffer): number {
  const id = attrMap(payload.subarray(4)).get(NFTA_GEN_ID);
  if (!id || id.length < 4) throw new NetlinkDecodeError('NFT_MSG_NEWGEN without NFTA_GEN_ID');
  return id.readUInt32BE(0);
}

export const NFPROTO_INET = 1;
export const NFPROTO_IPV4 = 2;
export const NFPROTO_IPV6 = 10;

const TABLE_ATTR = 1; // NFTA_{CHAIN,RULE,SET_ELEM_LIST}_TABLE
const NFTA_CHAIN_NAME = 3;
const NFTA_RULE_CHAIN = 2;
const NFTA_RULE_EXPRESSIONS = 4;
const NFTA_RULE_USERDATA = 7;
const NFTA_SET_ELEM_LIST_SET = 2;
const NFTA_SET_ELEM_LIST_ELEMENTS = 3;
const NFTA_LIST_ELEM = 1;
const NFTA_SET_ELEM_KEY = 1;
const NFTA_SET_ELEM_DATA = 2;
const NFTA_SET_ELEM_FLAGS = 3;
/** The element closes an interval (rbtree sets keep ranges as start and end elements). */
const NFT_SET_ELEM_INTERVAL_END = 1;
const NFTA_SET_ELEM_USERDATA = 6;
const NFTA_SET_ELEM_KEY_END = 10;
const NFTA_DATA_VALUE = 1;
const NFTA_EXPR_NAME = 1;
const NFTA_EXPR_DATA = 2;
/** libnftnl's user-data TLV type for a comment (rules and elements alike). */
const UDATA_COMMENT = 0;

/** One message of a batch: an nf_tables command and its attributes. */
export interface NftMsg {
  readonly cmd: number;
  /** Flags beyond NLM_F_REQUEST (NLM_F_CREATE, NLM_F_APPEND). */
  readonly flags: number;
  readonly attrs: readonly Attr[];
  /** The command as an nft script would say it, for errors. */
  readonly what: string;
}

/** struct nfgenmsg: family, version 0, resource id (big-endian). */
export function nfgen(family: number, resId = 0): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt8(family, 0);
  b.writeUInt16BE(resId, 2);
  return b;
}

export const msgType = (cmd: number): number => (NFNL_SUBSYS_NFTABLES << 8) | cmd;
export const msgPayload = (m: NftMsg): Buffer => Buffer.concat([nfgen(NFPROTO_INET), encodeAttrs(m.attrs)]);

/**
 * The whole batch as one datagram: BATCH_BEGIN, the messages, BATCH_END,
 * with sequence numbers from seq0. With `ack`, every message asks for an
 * ACK (floatlb's transport); nft asks for none and reads errors only.
 */
export function encodeBatch(msgs: readonly NftMsg[], seq0: number, ack: boolean): Buffer {
  const out: Buffer[] = [];
  const marker = (type: number, seq: number) =>
    encodeMsg({ type, flags: NLM_F_REQUEST, seq, pid: 0, payload: nfgen(0, NFNL_SUBSYS_NFTABLES) });
  out.push(marker(NFNL_MSG_BATCH_BEGIN, seq0));
  msgs.forEach((m, i) => {
    out.push(
      encodeMsg({
        type: msgType(m.cmd),
        flags: NLM_F_REQUEST | m.flags | (ack ? NLM_F_ACK : 0),
        seq: seq0 + 1 + i,
        pid: 0,
        payload: msgPayload(m),
      }),
    );
  });
  out.push(marker(NFNL_MSG_BATCH_END, seq0 + 1 + msgs.length));
  return Buffer.concat(out);
}

// ---- key and data components: each is padded to 4 bytes inside a concatenation

export type Part =
  | { readonly ip: Buffer } // 4 or 16 bytes, network order
  | { readonly port: number } // inet_service: 2 bytes network order
  | { readonly proto: number } // inet_proto: 1 byte
  | { readonly be32: number } // numgen/jhash slot after hton (interval map)
  | { readonly host32: number } // numgen/jhash slot as the expression leaves it (hash map)
  | { readonly mark: number }; // mark: host order

const HOST_LE = endianness() === 'LE';

export function concat(parts: readonly Part[]): Buffer {
  const out: Buffer[] = [];
  for (const p of parts) {
    const b = Buffer.alloc('ip' in p ? p.ip.length : 4);
    if ('ip' in p) p.ip.copy(b);
    else if ('port' in p) b.writeUInt16BE(p.port, 0);
    else if ('proto' in p) b.writeUInt8(p.proto, 0);
    else if ('be32' in p) b.writeUInt32BE(p.be32 >>> 0, 0);
    else {
      const n = ('host32' in p ? p.host32 : p.mark) >>> 0;
      if (HOST_LE) b.writeUInt32LE(n, 0);
      else b.writeUInt32BE(n, 0);
    }
    out.push(b);
  }
  return Buffer.concat(out);
}

const dataValue = (type: number, v: Buffer): Attr => nest(type, [bytes(NFTA_DATA_VALUE, v)], true);

/** User data holding one comment, as libnftnl lays it out. */
export function commentUdata(comment: string): Buffer {
  const s = Buffer.from(`${comment}\0`, 'utf8');
  if (s.length > 255) throw new RangeError(`comment longer than 254 bytes: ${comment}`);
  return Buffer.concat([Buffer.from([UDATA_COMMENT, s.length]), s]);
}

export interface Elem {
  readonly key: Buffer;
  /** Interval end (inclusive), for interval sets. */
  readonly keyEnd?: Buffer;
  readonly data?: Buffer;
  readonly comment?: string;
  /** The end of an interval in a single-field interval set: its key is one past the range. */
  readonly intervalEnd?: boolean;
}

// libnftnl numbers the list's entries 1, 2, 3...; the kernel ignores the type.
function elemAttr(e: Elem, i: number): Attr {
  // libnftnl puts the flags first
  const a: Attr[] = e.intervalEnd ? [u32be(NFTA_SET_ELEM_FLAGS, NFT_SET_ELEM_INTERVAL_END)] : [];
  a.push(dataValue(NFTA_SET_ELEM_KEY, e.key));
  if (e.keyEnd) a.push(dataValue(NFTA_SET_ELEM_KEY_END, e.keyEnd));
  if (e.data) a.push(dataValue(NFTA_SET_ELEM_DATA, e.data));
  if (e.comment !== undefined) a.push(bytes(NFTA_SET_ELEM_USERDATA, commentUdata(e.comment)));
  return nest(i + 1, a, true);
}

export function setElems(verb: 'add' | 'delete', table: string, set: string, elems: readonly Elem[]): NftMsg {
  return {
    cmd: verb === 'add' ? NFT_MSG_NEWSETELEM : NFT_MSG_DELSETELEM,
    flags: verb === 'add' ? NLM_F_CREATE : 0,
    attrs: [
      str(TABLE_ATTR, table),
      str(NFTA_SET_ELEM_LIST_SET, set),
      nest(NFTA_SET_ELEM_LIST_ELEMENTS, elems.map(elemAttr), true),
    ],
    what: `${verb} element inet ${table} ${set}`,
  };
}

export const flushChain = (table: string, chain: string): NftMsg => ({
  cmd: NFT_MSG_DELRULE,
  flags: 0,
  attrs: [str(TABLE_ATTR, table), str(NFTA_RULE_CHAIN, chain)],
  what: `flush chain inet ${table} ${chain}`,
});

export const addChain = (table: string, chain: string): NftMsg => ({
  cmd: NFT_MSG_NEWCHAIN,
  flags: NLM_F_CREATE,
  attrs: [str(TABLE_ATTR, table), str(NFTA_CHAIN_NAME, chain)],
  what: `add chain inet ${table} ${chain}`,
});

export function appendRule(table: string, chain: string, exprs: readonly Attr[], comment: string): NftMsg {
  return {
    cmd: NFT_MSG_NEWRULE,
    flags: NLM_F_CREATE | NLM_F_APPEND,
    attrs: [
      str(TABLE_ATTR, table),
      str(NFTA_RULE_CHAIN, chain),
      nest(NFTA_RULE_EXPRESSIONS, exprs, true),
      bytes(NFTA_RULE_USERDATA, commentUdata(comment)),
    ],
    what: `add rule inet ${table} ${chain}`,
  };
}

// ---- expressions

const expr = (name: string, attrs: readonly Attr[]): Attr =>
  nest(NFTA_LIST_ELEM, [str(NFTA_EXPR_NAME, name), nest(NFTA_EXPR_DATA, attrs, true)], true);

/**
 * A register for a byte offset in the register file, numbered as nft does:
 * the 16-byte NFT_REG_n when the offset is 16-aligned, else NFT_REG32_nn.
 */
export const reg = (offset: number): number => (offset % 16 === 0 ? offset / 16 + 1 : 8 + offset / 4);

export const NFT_META_NFPROTO = 15;
export const NFT_META_L4PROTO = 16;
export const metaLoad = (key: number, dreg: number): Attr => expr('meta', [u32be(2, key), u32be(1, dreg)]);
export const cmpEq = (sreg: number, data: Buffer): Attr =>
  expr('cmp', [u32be(1, sreg), u32be(2, 0), dataValue(3, data)]);

export const PAYLOAD_NETWORK = 1;
export const PAYLOAD_TRANSPORT = 2;
export const payload = (dreg: number, base: number, offset: number, len: number): Attr =>
  expr('payload', [u32be(1, dreg), u32be(2, base), u32be(3, offset), u32be(4, len)]);

/** numgen inc mod N (type 0, offset 0). */
export const numgenInc = (dreg: number, mod: number): Attr =>
  expr('numgen', [u32be(1, dreg), u32be(2, mod), u32be(3, 0), u32be(4, 0)]);

/** jhash over len bytes at sreg, mod N, with a seed (offset 0, type jenkins). */
export const jhash = (sreg: number, dreg: number, len: number, mod: number, seed: number): Attr =>
  expr('hash', [
    u32be(1, sreg),
    u32be(2, dreg),
    u32be(3, len),
    u32be(4, mod),
    u32be(5, seed),
    u32be(6, 0),
    u32be(7, 0),
  ]);

/** byteorder hton of one 4-byte value in place. */
export const hton32 = (r: number): Attr =>
  expr('byteorder', [u32be(1, r), u32be(2, r), u32be(3, 1), u32be(4, 4), u32be(5, 4)]);

export const lookupMap = (sreg: number, dreg: number, set: string): Attr =>
  expr('lookup', [u32be(2, sreg), u32be(3, dreg), str(1, set)]);

const NFT_NAT_DNAT = 1;
export const dnat = (nfproto: number, regAddr: number, regProto: number): Attr =>
  expr('nat', [u32be(1, NFT_NAT_DNAT), u32be(2, nfproto), u32be(3, regAddr), u32be(5, regProto)]);

export const counter = (): Attr => expr('counter', []);

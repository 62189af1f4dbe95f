// Pure netlink codec: message headers, attributes (TLVs with 4-byte
// alignment, nesting) and the generic-netlink header. No I/O here.

export const NLMSG_HDRLEN = 16;
export const NLA_HDRLEN = 4;
export const GENL_HDRLEN = 4;

export const NLMSG_NOOP = 1;
export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;
export const NLMSG_OVERRUN = 4;

export const NLM_F_REQUEST = 0x01;
export const NLM_F_MULTI = 0x02;
export const NLM_F_ACK = 0x04;
export const NLM_F_ECHO = 0x08;
export const NLM_F_ROOT = 0x100;
export const NLM_F_MATCH = 0x200;
export const NLM_F_DUMP = NLM_F_ROOT | NLM_F_MATCH;
export const NLM_F_REPLACE = 0x100;
export const NLM_F_EXCL = 0x200;
export const NLM_F_CREATE = 0x400;
export const NLM_F_APPEND = 0x800;
/** On an NLMSG_ERROR: extended-ACK TLVs follow the original header. */
export const NLM_F_ACK_TLVS = 0x200;
export const NLM_F_CAPPED = 0x100;

export const NLA_F_NESTED = 0x8000;
export const NLA_F_NET_BYTEORDER = 0x4000;
export const NLA_TYPE_MASK = ~(NLA_F_NESTED | NLA_F_NET_BYTEORDER) & 0xffff;

export const align4 = (n: number): number => (n + 3) & ~3;

/** Malformed bytes from the kernel or a fuzzer: never a crash, always this. */
export class NetlinkDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NetlinkDecodeError';
  }
}

export interface NlMsg {
  readonly type: number;
  readonly flags: number;
  readonly seq: number;
  readonly pid: number;
  readonly payload: Buffer;
}

export function encodeMsg(m: NlMsg): Buffer {
  const len = NLMSG_HDRLEN + m.payload.length;
  const out = Buffer.alloc(align4(len));
  out.writeUInt32LE(len, 0);
  out.writeUInt16LE(m.type, 4);
  out.writeUInt16LE(m.flags, 6);
  out.writeUInt32LE(m.seq >>> 0, 8);
  out.writeUInt32LE(m.pid >>> 0, 12);
  m.payload.copy(out, NLMSG_HDRLEN);
  return out;
}

export function decodeMsgs(buf: Buffer): NlMsg[] {
  const out: NlMsg[] = [];
  let off = 0;
  while (off < buf.length) {
    if (buf.length - off < NLMSG_HDRLEN) throw new NetlinkDecodeError(`truncated message header at ${off}`);
    const len = buf.readUInt32LE(off);
    if (len < NLMSG_HDRLEN || off + len > buf.length) {
      throw new NetlinkDecodeError(`bad message length ${len} at ${off} (buffer ${buf.length})`);
    }
    out.push({
      type: buf.readUInt16LE(off + 4),
      flags: buf.readUInt16LE(off + 6),
      seq: buf.readUInt32LE(off + 8),
      pid: buf.readUInt32LE(off + 12),
      payload: buf.subarray(off + NLMSG_HDRLEN, off + len),
    });
    off += align4(len);
  }
  return out;
}

/** An attribute to encode: bytes, or a list of attributes nested inside. */
export interface Attr {
  readonly type: number;
  readonly value: Buffer | readonly Attr[];
  /** Set NLA_F_NESTED on a nested attribute (some families, like IPVS, do not). */
  readonly nestedFlag?: boolean;
}

export interface RawAttr {
  readonly type: number;
  readonly nested: boolean;
  readonly netByteOrder: boolean;
  readonly value: Buffer;
}

export function attrsLength(attrs: readonly Attr[]): number {
  let n = 0;
  for (const a of attrs) {
    const inner = Buffer.isBuffer(a.value) ? a.value.length : attrsLength(a.value as readonly Attr[]);
    n += align4(NLA_HDRLEN + inner);
  }
  return n;
}

export function encodeAttrs(attrs: readonly Attr[]): Buffer {
  const out = Buffer.alloc(attrsLength(attrs));
  writeAttrs(attrs, out, 0);
  return out;
}

function writeAttrs(attrs: readonly Attr[], out: Buffer, start: number): number {
  let off = start;
  for (const a of attrs) {
    let len: number;
    if (Buffer.isBuffer(a.value)) {
      len = NLA_HDRLEN + a.value.length;
      a.value.copy(out, off + NLA_HDRLEN);
    } else {
      const end = writeAttrs(a.value as readonly Attr[], out, off + NLA_HDRLEN);
      len = end - off;
    }
    if (len > 0xffff) throw new RangeError(`attribute ${a.type} too long (${len} bytes)`);
    out.writeUInt16LE(len, off);
    out.writeUInt16LE(a.type | (a.nestedFlag ? NLA_F_NESTED : 0), off + 2);
    off += align4(len);
  }
  return off;
}

export function decodeAttrs(buf: Buffer): RawAttr[] {
  const out: RawAttr[] = [];
  let off = 0;
  while (off + NLA_HDRLEN <= buf.length) {
    const len = buf.readUInt16LE(off);
    const rawType = buf.readUInt16LE(off + 2);
    if (len < NLA_HDRLEN || off + len > buf.length) {
      throw new NetlinkDecodeError(`bad attribute length ${len} at ${off} (buffer ${buf.length})`);
    }
    out.push({
      type: rawType & NLA_TYPE_MASK,
      nested: (rawType & NLA_F_NESTED) !== 0,
      netByteOrder: (rawType & NLA_F_NET_BYTEORDER) !== 0,
      value: buf.subarray(off + NLA_HDRLEN, off + len),
    });
    off += align4(len);
  }
  if (off < buf.length && buf.length - off >= NLA_HDRLEN) {
    throw new NetlinkDecodeError(`trailing bytes after attributes at ${off}`);
  }
  return out;
}

/** Attributes by type; the last one wins, as the kernel's nla_parse does. */
export function attrMap(buf: Buffer): Map<number, Buffer> {
  const m = new Map<number, Buffer>();
  for (const a of decodeAttrs(buf)) m.set(a.type, a.value);
  return m;
}

// Attribute value builders and readers.
export const u8 = (type: number, v: number): Attr => ({ type, value: Buffer.from([v & 0xff]) });
export function u16(type: number, v: number): Attr {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(v, 0);
  return { type, value: b };
}
export function u16be(type: number, v: number): Attr {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(v, 0);
  return { type, value: b };
}
export function u32(type: number, v: number): Attr {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0, 0);
  return { type, value: b };
}
export function u32be(type: number, v: number): Attr {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v >>> 0, 0);
  return { type, value: b };
}
export const str = (type: number, s: string): Attr => ({ type, value: Buffer.from(`${s}\0`, 'utf8') });
export const bytes = (type: number, b: Buffer): Attr => ({ type, value: b });
export const nest = (type: number, attrs: readonly Attr[], nestedFlag = false): Attr => ({
  type,
  value: attrs,
  nestedFlag,
});

function need(b: Buffer | undefined, n: number, what: string): Buffer {
  if (!b || b.length < n) throw new NetlinkDecodeError(`${what}: expected ${n} bytes, got ${b?.length ?? 0}`);
  return b;
}
export const readU8 = (b: Buffer | undefined, what = 'u8'): number => need(b, 1, what).readUInt8(0);
export const readU16 = (b: Buffer | undefined, what = 'u16'): number => need(b, 2, what).readUInt16LE(0);
export const readU16be = (b: Buffer | undefined, what = 'u16'): number => need(b, 2, what).readUInt16BE(0);
export const readU32 = (b: Buffer | undefined, what = 'u32'): number => need(b, 4, what).readUInt32LE(0);
export const readU64 = (b: Buffer | undefined, what = 'u64'): bigint => need(b, 8, what).readBigUInt64LE(0);
export function readStr(b: Buffer | undefined): string {
  if (!b) return '';
  const nul = b.indexOf(0);
  return b.subarray(0, nul < 0 ? b.length : nul).toString('utf8');
}

export interface GenlHeader {
  readonly cmd: number;
  readonly version: number;
}

export function encodeGenl(cmd: number, version: number, attrs: readonly Attr[]): Buffer {
  const body = encodeAttrs(attrs);
  const out = Buffer.alloc(GENL_HDRLEN + body.length);
  out.writeUInt8(cmd, 0);
  out.writeUInt8(version, 1);
  body.copy(out, GENL_HDRLEN);
  return out;
}

export function decodeGenl(payload: Buffer): GenlHeader & { attrs: Buffer } {
  if (payload.length < GENL_HDRLEN) throw new NetlinkDecodeError('truncated generic netlink header');
  return { cmd: payload.readUInt8(0), version: payload.readUInt8(1), attrs: payload.subarray(GENL_HDRLEN) };
}

export interface NlErrorPayload {
  /** 0 for an ACK, otherwise a negative errno. */
  readonly error: number;
  /** The extended ACK's message, when the kernel gave one. */
  readonly message?: string;
}

const NLMSGERR_ATTR_MSG = 1;

export function decodeErrorPayload(m: NlMsg): NlErrorPayload {
  if (m.payload.length < 4) throw new NetlinkDecodeError('truncated NLMSG_ERROR');
  const error = m.payload.readInt32LE(0);
  if (!(m.flags & NLM_F_ACK_TLVS) || m.payload.length < 4 + NLMSG_HDRLEN) return { error };
  // The original request follows: only its header when NLM_F_CAPPED.
  const origLen = m.flags & NLM_F_CAPPED ? NLMSG_HDRLEN : m.payload.readUInt32LE(4);
  const tlvStart = 4 + align4(origLen);
  if (tlvStart > m.payload.length) return { error };
  try {
    const msg = attrMap(m.payload.subarray(tlvStart)).get(NLMSGERR_ATTR_MSG);
    return msg ? { error, message: readStr(msg) } : { error };
  } catch {
    return { error };
  }
}

// A small DNS message codec (RFC 1035): enough to build a query, decode any
// response (with name compression) and, for tests, encode a response.
// Names are encoded without compression; rdata is kept as raw bytes.
import type { DnsType } from './types.js';

export const DNS_TYPES: Record<DnsType, number> = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  MX: 15,
  TXT: 16,
  AAAA: 28,
};
export const CLASS_IN = 1;
export const RCODE_NOERROR = 0;

export interface DnsQuestion {
  name: string;
  type: number;
  class: number;
}

export interface DnsRecord {
  name: string;
  type: number;
  class: number;
  ttl: number;
  data: Uint8Array;
}

export interface DnsMessage {
  id: number;
  /** QR, opcode, AA, TC, RD, RA, Z and RCODE as the raw 16-bit field. */
  flags: number;
  questions: DnsQuestion[];
  answers: DnsRecord[];
  authority: DnsRecord[];
  additional: DnsRecord[];
}

export class DnsCodecError extends Error {}

export const FLAG_QR = 0x8000;
export const FLAG_RD = 0x0100;

export function rcodeOf(flags: number): number {
  return flags & 0x000f;
}

/** Splits a dotted name into labels; "." and "" are the root. */
export function nameLabels(name: string): string[] {
  const trimmed = name.endsWith('.') ? name.slice(0, -1) : name;
  if (trimmed === '') return [];
  const labels = trimmed.split('.');
  for (const l of labels) {
    if (l.length === 0) throw new DnsCodecError(`empty label in ${JSON.stringify(name)}`);
    if (Buffer.byteLength(l) > 63) throw new DnsCodecError(`label longer than 63 bytes in ${name}`);
  }
  return labels;
}

function encodeName(name: string): Buffer {
  const parts: Buffer[] = [];
  for (const l of nameLabels(name)) {
    const b = Buffer.from(l, 'utf8');
    parts.push(Buffer.from([b.length]), b);
  }
  parts.push(Buffer.from([0]));
  const out = Buffer.concat(parts);
  if (out.length > 255) throw new DnsCodecError(`name longer than 255 bytes: ${name}`);
  return out;
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n & 0xffff);
  return b;
}

function encodeRecord(r: DnsRecord): Buffer {
  if (r.data.length > 0xffff) throw new DnsCodecError('rdata longer than 65535 bytes');
  const fixed = Buffer.alloc(10);
  fixed.writeUInt16BE(r.type, 0);
  fixed.writeUInt16BE(r.class, 2);
  fixed.writeUInt32BE(r.ttl >>> 0, 4);
  fixed.writeUInt16BE(r.data.length, 8);
  return Buffer.concat([encodeName(r.name), fixed, Buffer.from(r.data)]);
}

export function encodeMessage(m: DnsMessage): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(m.id & 0xffff, 0);
  header.writeUInt16BE(m.flags & 0xffff, 2);
  header.writeUInt16BE(m.questions.length, 4);
  header.writeUInt16BE(m.answers.length, 6);
  header.writeUInt16BE(m.authority.length, 8);
  header.writeUInt16BE(m.additional.length, 10);
  const parts: Buffer[] = [header];
  for (const q of m.questions) parts.push(encodeName(q.name), u16(q.type), u16(q.class));
  for (const r of [...m.answers, ...m.authority, ...m.additional]) parts.push(encodeRecord(r));
  return Buffer.concat(parts);
}

/** A standard recursive query for one name and type, class IN. */
export function encodeQuery(id: number, name: string, type: number): Buffer {
  return encodeMessage({
    id,
    flags: FLAG_RD,
    questions: [{ name, type, class: CLASS_IN }],
    answers: [],
    authority: [],
    additional: [],
  });
}

class Reader {
  pos = 0;
  constructor(readonly buf: Buffer) {}

  need(n: number): void {
    if (this.pos + n > this.buf.length) throw new DnsCodecError(`truncated message at offset ${this.pos}`);
  }
  u16(): number {
    this.need(2);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  bytes(n: number): Uint8Array {
    this.need(n);
    const v = new Uint8Array(this.buf.subarray(this.pos, this.pos + n));
    this.pos += n;
    return v;
  }

  /** Reads a possibly compressed name; pointers may only go backwards. */
  name(): string {
    const labels: string[] = [];
    let pos = this.pos;
    let jumped = false;
    let total = 0;
    for (;;) {
      if (pos >= this.buf.length) throw new DnsCodecError('truncated name');
      const len = this.buf[pos]!;
      if ((len & 0xc0) === 0xc0) {
        if (pos + 1 >= this.buf.length) throw new DnsCodecError('truncated name pointer');
        const target = ((len & 0x3f) << 8) | this.buf[pos + 1]!;
        if (target >= pos) throw new DnsCodecError('name pointer does not point backwards');
        if (!jumped) this.pos = pos + 2;
        jumped = true;
        pos = target;
        continue;
      }
      if ((len & 0xc0) !== 0) throw new DnsCodecError(`unsupported label type 0x${len.toString(16)}`);
      if (len === 0) {
        if (!jumped) this.pos = pos + 1;
        break;
      }
      if (pos + 1 + len > this.buf.length) throw new DnsCodecError('truncated label');
      total += len + 1;
      if (total > 255) throw new DnsCodecError('name longer than 255 bytes');
      labels.push(this.buf.toString('utf8', pos + 1, pos + 1 + len));
      pos += 1 + len;
    }
    return labels.length === 0 ? '.' : labels.join('.');
  }
}

function readRecords(r: Reader, count: number): DnsRecord[] {
  const out: DnsRecord[] = [];
  for (let i = 0; i < count; i++) {
    const name = r.name();
    const type = r.u16();
    const klass = r.u16();
    const ttl = r.u32();
    const len = r.u16();
    out.push({ name, type, class: klass, ttl, data: r.bytes(len) });
  }
  return out;
}

export function decodeMessage(buf: Buffer | Uint8Array): DnsMessage {
  const r = new Reader(Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength));
  const id = r.u16();
  const flags = r.u16();
  const qd = r.u16();
  const an = r.u16();
  const ns = r.u16();
  const ar = r.u16();
  const questions: DnsQuestion[] = [];
  for (let i = 0; i < qd; i++) questions.push({ name: r.name(), type: r.u16(), class: r.u16() });
  return {
    id,
    flags,
    questions,
    answers: readRecords(r, an),
    authority: readRecords(r, ns),
    additional: readRecords(r, ar),
  };
}

/** Compares names case-insensitively, ignoring a trailing dot. */
export function sameName(a: string, b: string): boolean {
  const norm = (s: string) => (s === '.' || s === '' ? '' : s.replace(/\.$/, '').toLowerCase());
  return norm(a) === norm(b);
}

// virtual_server_group: addresses, address ranges and fwmarks.
import { formatIp, type Ip, ipToBytes, parseIp } from '../../kernel/vocabulary.js';
import type { Token } from '../lexer.js';
import type { VirtualServerGroup, VsgEntry } from '../model.js';
import type { ConfigNode } from '../parser.js';
import type { Reader } from '../values.js';

export function readVirtualServerGroup(r: Reader, node: ConfigNode): VirtualServerGroup | null {
  const name = r.arg(node, 0, 'a group name');
  if (!name || !r.needsBlock(node)) return null;
  const entries: VsgEntry[] = [];
  for (const child of node.children!) {
    const head = child.name;
    if (head.text === 'fwmark') {
      const mark = r.int(child, 0, 4294967295, 0, 'fwmark');
      const fam = child.args[1]
        ? r.oneOfToken(child.args[1], ['inet', 'inet6'] as const, 'fwmark family')
        : null;
      if (mark !== null) entries.push({ kind: 'fwmark', fwmark: mark, family: fam });
      continue;
    }
    const range = addressRange(r, head);
    const port = child.args[0] ? r.intToken(child.args[0], 0, 65535, 'virtual_server_group port') : 0;
    if (range && port !== null) entries.push({ kind: 'range', ...range, port });
  }
  return { name: name.text, entries };
}

const ACCEPTED =
  'an address, a range like 192.168.200.1-10 or 10.0.0.1-10.0.0.9, or a prefix like 192.168.202.8/29';

function toBig(address: Ip): bigint {
  return ipToBytes(address).reduce((n, b) => (n << 8n) | BigInt(b), 0n);
}

function fromBig(n: bigint, family: 4 | 6): Ip {
  const bytes = new Uint8Array(family === 4 ? 4 : 16);
  for (let i = bytes.length - 1; i >= 0; i--, n >>= 8n) bytes[i] = Number(n & 255n);
  return formatIp(bytes);
}

/**
 * The address forms keepalived 2.2.7 takes in a virtual_server_group, with its
 * meaning: a.b.c.d/nn is every address of the prefix (host bits must be zero);
 * a.b.c.d-e replaces the last byte (the last group for IPv6, in hex) and must
 * grow; a.b.c.d-w.x.y.z is a full range. Anything else is skipped with a warning.
 */
export function addressRange(r: Reader, tok: Token): { first: Ip; last: Ip } | null {
  const text = tok.text;
  const slash = text.indexOf('/');
  const dash = text.indexOf('-');
  const base = text.slice(0, slash >= 0 ? slash : dash >= 0 ? dash : text.length);
  const ip = parseIp(base);
  if (ip === null) return r.invalid(tok, 'virtual_server_group address', ACCEPTED);
  const family = ip.includes(':') ? 6 : 4;
  const bits = family === 4 ? 32n : 128n;
  const first = toBig(ip);
  const skip = (why: string) =>
    r.dropped(tok, `virtual_server_group entry ${text}: ${why}; skipped, as keepalived does`);
  if (slash >= 0) {
    const m = text.slice(slash + 1);
    const mask = /^\d+$/.test(m) ? BigInt(m) : -1n;
    if (mask < 1n || mask > bits) return skip('invalid prefix length');
    const host = (1n << (bits - mask)) - 1n;
    if (first & host) return skip('address has bits set beyond the prefix');
    return { first: fromBig(first, family), last: fromBig(first | host, family) };
  }
  if (dash < 0) return { first: ip, last: ip };
  const tail = text.slice(dash + 1);
  if (tail.includes(family === 4 ? '.' : ':')) {
    const end = parseIp(tail);
    if (end === null || end.includes(':') !== (family === 6)) return skip('invalid range end');
    const last = toBig(end);
    if (last < first) return skip('range end is below its start');
    return { first: fromBig(first, family), last: fromBig(last, family) };
  }
  const width = family === 4 ? 8n : 16n;
  const end =
    family === 4
      ? /^\d+$/.test(tail)
        ? BigInt(tail)
        : -1n
      : /^[0-9a-fA-F]+$/.test(tail)
        ? BigInt(`0x${tail}`)
        : -1n;
  const low = first & ((1n << width) - 1n);
  if (end < 0n || end >= 1n << width) return r.invalid(tok, 'virtual_server_group range end', ACCEPTED);
  if (low >= end) return skip('range end is not above its start');
  return { first: fromBig(first, family), last: fromBig((first & ~((1n << width) - 1n)) | end, family) };
}

// virtual_server_group: addresses, address ranges and fwmarks.
import { type Ip, parseIp } from '../../kernel/vocabulary.js';
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

/** a.b.c.d, a.b.c.d-e, a.b.c.d-e.f.g.h, a.b.c.d/nn and IPv6 forms; canonical. */
function addressRange(r: Reader, tok: Token): { first: Ip; last: Ip } | null {
  const text = tok.text;
  const accepted = 'an address, a range like 192.168.200.1-10, or a prefix like 192.168.202.8/29';
  const slash = text.indexOf('/');
  if (slash >= 0) {
    const pre = r.prefixed(tok, 'virtual_server_group address');
    return pre ? { first: pre.address, last: pre.address } : null;
  }
  const dash = text.indexOf('-');
  if (dash < 0) {
    const ip = parseIp(text);
    return ip ? { first: ip, last: ip } : r.invalid(tok, 'virtual_server_group address', accepted);
  }
  const first = parseIp(text.slice(0, dash));
  const tail = text.slice(dash + 1);
  if (first === null) return r.invalid(tok, 'virtual_server_group address', accepted);
  const v6 = first.includes(':');
  const whole = parseIp(tail);
  if (whole !== null && whole.includes(':') === v6) return { first, last: whole };
  // The tail replaces the last part of the first address (canonical, so it has one).
  const sep = v6 ? ':' : '.';
  const radix = v6 ? 16 : 10;
  const parts = first.split(sep);
  const lastPart = parts[parts.length - 1]!;
  if (
    !/^[0-9a-fA-F]+$/.test(tail) ||
    Number.parseInt(tail, radix) < Number.parseInt(lastPart || '0', radix)
  ) {
    return r.invalid(tok, 'virtual_server_group address', accepted);
  }
  parts[parts.length - 1] = tail;
  const last = parseIp(parts.join(sep));
  return last !== null && last.includes(':') === v6
    ? { first, last }
    : r.invalid(tok, 'virtual_server_group address', accepted);
}

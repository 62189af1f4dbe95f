// virtual_ipaddress and virtual_ipaddress_excluded lines, with iproute2's options.
import type { VirtualIp } from '../model.js';
import type { ConfigNode } from '../parser.js';
import type { Reader } from '../values.js';

const VIP_OPTIONS_WITH_VALUE = new Set(['brd', 'dev', 'scope', 'label', 'peer', 'preferred_lft']);
const VIP_FLAGS = new Set([
  'home',
  '-nodad',
  'nodad',
  'mngtmpaddr',
  'noprefixroute',
  'autojoin',
  'no_track',
  'use_vmac',
]);

export function readVips(r: Reader, node: ConfigNode): VirtualIp[] {
  const out: VirtualIp[] = [];
  for (const c of node.children ?? []) {
    const pre = r.prefixed(c.name, 'virtual IP address');
    if (!pre) continue;
    const vip: VirtualIp = {
      ...pre,
      dev: null,
      label: null,
      scope: null,
      brd: null,
      peer: null,
      noTrack: false,
    };
    for (let i = 0; i < c.args.length; i++) {
      const a = c.args[i]!;
      if (VIP_OPTIONS_WITH_VALUE.has(a.text)) {
        const v = c.args[++i];
        if (!v) {
          r.sink.warning(a, `${a.text} has no value: ignored, as keepalived does`);
          break;
        }
        if (a.text === 'dev') vip.dev = v.text;
        else if (a.text === 'label' && vip.address.includes(':'))
          r.sink.warning(
            v,
            `cannot give a label to an IPv6 address (${vip.address}): label ignored, as keepalived does`,
          );
        else if (a.text === 'label') vip.label = v.text;
        else if (a.text === 'scope') vip.scope = v.text;
        else if (a.text === 'brd')
          vip.brd = v.text === '+' || v.text === '-' ? computedBrd(vip, v.text) : r.ipToken(v, 'brd address');
        else if (a.text === 'peer') vip.peer = r.ipToken(v, 'peer address');
      } else if (VIP_FLAGS.has(a.text)) {
        if (a.text === 'no_track') vip.noTrack = true;
      } else
        r.invalid(a, 'virtual IP option', `one of ${[...VIP_OPTIONS_WITH_VALUE, ...VIP_FLAGS].join(', ')}`);
    }
    out.push(vip);
  }
  return out;
}

/** iproute2's `brd +` (host bits set) and `brd -` (host bits clear), which keepalived passes on; IPv4 only. */
function computedBrd(vip: { address: string; prefix: number }, sign: string): string | null {
  if (!vip.address.includes('.') || vip.address.includes(':')) return null;
  const n = vip.address.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
  const host = vip.prefix >= 32 ? 0 : 2 ** (32 - vip.prefix) - 1;
  const b = sign === '+' ? n - (n % (host + 1)) + host : n - (n % (host + 1));
  return [b >>> 24, (b >>> 16) & 255, (b >>> 8) & 255, b & 255].join('.');
}

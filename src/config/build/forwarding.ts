// lvs_method / lb_kind values, shared by virtual, real and sorry servers.
import type { Forwarding, TunnelChecksum, TunnelType } from '../model.js';
import type { ConfigNode } from '../parser.js';
import type { Reader } from '../values.js';

export const NAT: Forwarding = { method: 'NAT', tunnelType: null, tunnelPort: null, tunnelChecksum: null };

const METHODS = ['NAT', 'DR', 'TUN'] as const;
const TUNNEL_TYPES: readonly TunnelType[] = ['ipip', 'gue', 'gre'];
const CHECKSUMS: readonly TunnelChecksum[] = ['nocsum', 'csum', 'remcsum'];

/** `lvs_method NAT|DR|TUN [type ipip|gue port N|gre] [nocsum|csum|remcsum]`; keepalived also takes "PORT" for NAT. */
export function readForwarding(r: Reader, node: ConfigNode): Forwarding | null {
  const tok = r.arg(node, 0, 'NAT, DR or TUN');
  if (!tok) return null;
  const method = r.oneOfToken(tok, METHODS, node.name.text, true);
  if (!method) return null;
  if (method !== 'TUN') {
    if (node.args.length > 1) r.sink.error(node.args[1]!, `${method} takes no further options`);
    return { method, tunnelType: null, tunnelPort: null, tunnelChecksum: null };
  }
  const f: Forwarding = { method, tunnelType: 'ipip', tunnelPort: null, tunnelChecksum: null };
  for (let i = 1; i < node.args.length; i++) {
    const a = node.args[i]!;
    if (a.text === 'type') {
      const t = node.args[++i];
      if (!t) return r.invalid(a, 'tunnel type', 'type ipip|gue|gre');
      const v = r.oneOfToken(t, TUNNEL_TYPES, 'tunnel type');
      if (!v) return null;
      f.tunnelType = v;
    } else if (a.text === 'port') {
      const p = node.args[++i];
      if (!p) return r.invalid(a, 'tunnel port', 'port 1..65535');
      const v = r.intToken(p, 1, 65535, 'tunnel port');
      if (v === null) return null;
      f.tunnelPort = v;
    } else if ((CHECKSUMS as readonly string[]).includes(a.text)) {
      f.tunnelChecksum = a.text as TunnelChecksum;
    } else return r.invalid(a, 'tunnel option', 'type ipip|gue port N|gre, nocsum|csum|remcsum');
  }
  if (f.tunnelType === 'gue' && f.tunnelPort === null) {
    r.sink.error(node.name, `TUN type gue needs a port`);
    return null;
  }
  if (f.tunnelType !== 'gue' && f.tunnelPort !== null) {
    r.sink.error(node.name, `a tunnel port is only used with type gue`);
    return null;
  }
  if (f.tunnelType === 'gre' && f.tunnelChecksum === 'remcsum') {
    r.sink.error(node.name, `TUN type gre does not support remcsum`);
    return null;
  }
  return f;
}

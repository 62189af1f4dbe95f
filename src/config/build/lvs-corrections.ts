// keepalived 2.2.7's corrections to a virtual server once it is read, with
// the same warnings: outside NAT a real server or sorry server takes the
// virtual server's port (none for a fwmark service, whose packets keep their
// own port); a quorum above the real servers' total weight is lowered to it,
// and a hysteresis not below the quorum is lowered to quorum - 1. Without
// these, the same file would program other ports, or a quorum that is never
// reached, where keepalived's table has the corrected ones.
import type { Position } from '../diagnostics.js';
import type { EndpointAddr, Forwarding, RealServer, VirtualServerTarget } from '../model.js';
import type { Reader } from '../values.js';

export interface Correctable {
  readonly target: VirtualServerTarget;
  readonly forwarding: Forwarding;
  readonly realServers: RealServer[];
  sorryServer: EndpointAddr | null;
  readonly sorryServerForwarding: Forwarding | null;
  quorum: number;
  hysteresis: number;
}

/** The port a non-NAT endpoint must have, or null when it may keep its own (a group). */
function wantedPort(t: VirtualServerTarget): number | null {
  if (t.kind === 'fwmark') return 0;
  if (t.kind === 'ip') return t.port;
  return null;
}

export function applyKeepalivedCorrections(r: Reader, at: Position, vs: Correctable): void {
  const want = wantedPort(vs.target);
  if (want !== null) {
    for (const rs of vs.realServers) {
      if (rs.forwarding.method === 'NAT' || rs.port === want) continue;
      if (rs.port !== 0 || want === 0) {
        r.sink.warning(
          at,
          want === 0
            ? `real server ${rs.address} port ${rs.port}: a fwmark virtual server's ${rs.forwarding.method} real servers have no port; cleared, as keepalived does`
            : `real server ${rs.address} port ${rs.port} differs from the virtual server's ${want}, which ${rs.forwarding.method} forwarding keeps; reset to ${want}, as keepalived does`,
        );
      }
      rs.port = want;
    }
    const s = vs.sorryServer;
    const sorryMethod = (vs.sorryServerForwarding ?? vs.forwarding).method;
    if (s && sorryMethod !== 'NAT' && s.port !== want) {
      if (s.port !== 0 || want === 0) {
        r.sink.warning(
          at,
          `sorry_server ${s.address} port ${s.port}: ${want === 0 ? 'cleared' : `reset to ${want}`} for ${sorryMethod} forwarding, as keepalived does`,
        );
      }
      vs.sorryServer = { address: s.address, port: want };
    }
  }
  const total = vs.realServers.reduce((sum, rs) => sum + rs.weight, 0);
  if (vs.realServers.length > 0 && vs.quorum > total) {
    r.sink.warning(
      at,
      `quorum ${vs.quorum} exceeds the real servers' total weight ${total}; lowered to ${total}, as keepalived does`,
    );
    vs.quorum = total;
  }
  if (vs.quorum > 0 && vs.hysteresis >= vs.quorum) {
    r.sink.warning(
      at,
      `hysteresis ${vs.hysteresis} is not below quorum ${vs.quorum}; lowered to ${vs.quorum - 1}, as keepalived does`,
    );
    vs.hysteresis = vs.quorum - 1;
  }
}

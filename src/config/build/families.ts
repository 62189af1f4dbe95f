// Address families of a virtual server and its real servers, checked when the
// config is read, so the kernel's bare EINVAL never reaches the operator.
// keepalived 2.2.7 skips a real (or sorry) server whose family differs from
// the virtual server's unless it is tunnelled; it takes an IPv4-mapped IPv6
// real server, which IPVS then refuses at run time: floatlb skips it at once.
import { type Family, type Ip, ipFamily, refusedDestAddress } from '../../kernel/vocabulary.js';
import type { DiagnosticSink, Position } from '../diagnostics.js';
import type { Forwarding, VirtualServer, VirtualServerGroup } from '../model.js';

/**
 * Where each virtual server's persistence_granularity is written: groups are
 * resolved after their virtual servers are read, and the warning names the value.
 */
export const granularityAt = new WeakMap<VirtualServer, Position>();

const name = (f: Family): string => (f === 'inet' ? 'IPv4' : 'IPv6');

/** A server as read, with where its address was written. */
export interface PlacedServer {
  readonly address: Ip;
  readonly forwarding: Forwarding;
  readonly at: Position;
}

/**
 * Whether the server can stand in a virtual server of this family (null: not
 * known yet, as for a group or a fwmark without ip_family); warns and answers
 * false when it cannot.
 */
export function serverFits(
  sink: DiagnosticSink,
  what: 'real_server' | 'sorry_server',
  s: PlacedServer,
  vsFamily: Family | null,
): boolean {
  const bad = refusedDestAddress(s.address);
  if (bad) {
    sink.warning(
      s.at,
      `${what} ${s.address} is ${bad}, which IPVS refuses as a real server (EINVAL): ${what} skipped`,
    );
    return false;
  }
  const f = ipFamily(s.address);
  if (vsFamily !== null && f !== vsFamily && s.forwarding.method !== 'TUN') {
    sink.warning(
      s.at,
      `address family of virtual server (${name(vsFamily)}) and ${what} ${s.address} (${name(f)}) don't match: ` +
        `IPVS forwards across families only with lvs_method TUN; ${what} skipped, as keepalived does`,
    );
    return false;
  }
  return true;
}

/** keepalived: a fwmark or group virtual server takes the family of its first untunnelled server. */
export function inferredFamily(servers: readonly PlacedServer[]): Family | null {
  const s = servers.find((x) => x.forwarding.method !== 'TUN');
  return s ? ipFamily(s.address) : null;
}

/** The address families of a group's services (a fwmark entry without one is IPv4). */
export function groupFamilies(g: VirtualServerGroup): Set<Family> {
  return new Set(g.entries.map((e) => (e.kind === 'fwmark' ? (e.family ?? 'inet') : ipFamily(e.first))));
}

/**
 * A group of both families: an untunnelled real server serves only the
 * services of its own family, and an IPv4 service groups clients by at most
 * /32. Both said, not left to the kernel or clamped in silence.
 */
export function checkGroupFamilies(sink: DiagnosticSink, vs: VirtualServer, group: VirtualServerGroup): void {
  const families = groupFamilies(group);
  const at = { file: vs.source.file, line: vs.source.line, column: 1 };
  if (families.size > 1) {
    for (const rs of vs.realServers) {
      if (rs.forwarding.method === 'TUN') continue;
      const other = ipFamily(rs.address) === 'inet' ? 'inet6' : 'inet';
      sink.warning(
        at,
        `virtual_server group ${group.name} has IPv4 and IPv6 addresses: real_server ${rs.address} ` +
          `(${name(ipFamily(rs.address))}, not lvs_method TUN) is left out of its ${name(other)} services`,
      );
    }
  }
  const g = vs.persistenceGranularity;
  if (g !== null && g > 32 && families.has('inet')) {
    sink.warning(
      granularityAt.get(vs) ?? at,
      `persistence_granularity ${g} is longer than an IPv4 address: the IPv4 services of group ${group.name} use 32`,
    );
  }
}

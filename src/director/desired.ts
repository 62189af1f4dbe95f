// Pure: what the kernel should hold, from the config, health results, admin
// overrides and per-service quorum state. No I/O, no clocks.
import type {
  Forwarding as CfgForwarding,
  FloatlbConfig,
  RealServer,
  VirtualServer,
} from '../config/model.js';
import {
  type DestSpec,
  destId,
  destRefusal,
  type Forwarding,
  type ServiceKey,
  type ServiceSpec,
  serviceId,
} from '../kernel/dataplane.js';
import {
  canonicalIp,
  formatIp,
  IP_VS_SVC_F_ONEPACKET,
  type Ip,
  ipFamily,
  maxPrefix,
  type Protocol,
} from '../kernel/vocabulary.js';
import type { AdminState, LinkState } from './admin-state.js';

export interface HealthResult {
  readonly up: boolean;
  /** MISC_CHECK misc_dynamic: the weight the script asked for. */
  readonly weight?: number;
  /** FILE_CHECK: added to the weight (the result is kept within 0..65535, as keepalived does). */
  readonly weightDelta?: number;
}

export interface DesiredInputs {
  readonly config: FloatlbConfig;
  /** By realServerKey(); a real server with no checkers is absent and counts as up; one with checkers but no result counts as down. */
  readonly health: ReadonlyMap<string, HealthResult>;
  /** Role probes of active/standby pools, by realServerKey(). */
  readonly roles: ReadonlyMap<string, boolean>;
  readonly admin: AdminState;
  /** Quorum state from the last computation, for hysteresis. */
  readonly quorum: ReadonlyMap<string, boolean>;
}

export interface DesiredService {
  readonly spec: ServiceSpec;
  readonly dests: readonly DestSpec[];
}

export interface MemberStatus {
  readonly node: Ip;
  readonly port: number;
  readonly link: LinkState;
  readonly healthy: boolean;
  readonly roleUp: boolean | null;
  readonly weight: number | null;
}

export interface PoolStatus {
  /** The virtual server's id (see virtualServerId). */
  readonly id: string;
  readonly vip: Ip | null;
  readonly activeStandby: boolean;
  readonly active: Ip | null;
  readonly members: readonly MemberStatus[];
  readonly quorumUp: boolean;
  readonly sorryServerInUse: boolean;
  /** Admin choice and role probes disagree; the admin choice is kept. */
  readonly disagreement: string | null;
}

export interface Desired {
  readonly services: readonly DesiredService[];
  readonly pools: readonly PoolStatus[];
  readonly quorum: ReadonlyMap<string, boolean>;
}

/** Stable id of a configured virtual server (a group stands for all its services). */
export function virtualServerId(vs: VirtualServer): string {
  const t = vs.target;
  if (t.kind === 'group') return `group/${t.group}`;
  if (t.kind === 'fwmark') return `fwmark/${t.family}/${t.fwmark}`;
  return serviceId(ipKey(t.address, t.port, vs.protocol));
}

export function realServerKey(vs: VirtualServer, rs: Pick<RealServer, 'address' | 'port'>): string {
  return `${virtualServerId(vs)}|${destId(rs)}`;
}

/** The VIP a virtual server answers on, for pools addressed by LB IP. */
export function virtualServerVip(vs: VirtualServer): Ip | null {
  return vs.target.kind === 'ip' ? vs.target.address : null;
}

function ipKey(address: Ip, port: number, protocol: Protocol): ServiceKey {
  return { kind: 'ip', family: ipFamily(address), protocol, address, port };
}

function expandKeys(vs: VirtualServer, config: FloatlbConfig): ServiceKey[] {
  const t = vs.target;
  if (t.kind === 'ip') return [ipKey(t.address, t.port, vs.protocol)];
  if (t.kind === 'fwmark') return [{ kind: 'fwmark', family: t.family, fwmark: t.fwmark }];
  const group = config.virtualServerGroups.find((g) => g.name === t.group);
  const keys: ServiceKey[] = [];
  for (const e of group?.entries ?? []) {
    if (e.kind === 'fwmark') keys.push({ kind: 'fwmark', family: e.family ?? 'inet', fwmark: e.fwmark });
    else for (const a of addressesInRange(e.first, e.last)) keys.push(ipKey(a, e.port, vs.protocol));
  }
  return keys;
}

/** IPv4 ranges expand address by address; IPv6 ranges vary the last group. */
export function addressesInRange(first: Ip, last: Ip): Ip[] {
  if (first === last) return [first];
  if (ipFamily(first) === 'inet') {
    const toN = (ip: string) => ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
    const out: Ip[] = [];
    for (let n = toN(first); n <= toN(last) && out.length < 65536; n++) {
      out.push(formatIp(Uint8Array.of(n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255)));
    }
    return out;
  }
  const head = first.slice(0, first.lastIndexOf(':') + 1);
  const a = Number.parseInt(first.slice(head.length) || '0', 16);
  const b = Number.parseInt(last.slice(last.lastIndexOf(':') + 1) || '0', 16);
  const out: Ip[] = [];
  // Re-canonicalised: 2001:db8:: + 0 spells 2001:db8::0.
  for (let n = a; n <= b; n++) out.push(canonicalIp(`${head}${n.toString(16)}`));
  return out;
}

export function toForwarding(f: CfgForwarding): Pick<DestSpec, 'forwarding' | 'tunnel'> {
  if (f.method === 'NAT') return { forwarding: 'nat' };
  if (f.method === 'DR') return { forwarding: 'dr' };
  const tunnel = {
    type: f.tunnelType ?? 'ipip',
    ...(f.tunnelPort !== null ? { port: f.tunnelPort } : {}),
    ...(f.tunnelChecksum !== null ? { csum: f.tunnelChecksum } : {}),
  };
  return { forwarding: 'tun' as Forwarding, tunnel };
}

function serviceSpec(vs: VirtualServer, key: ServiceKey): ServiceSpec {
  const max = maxPrefix(key.family);
  return {
    key,
    scheduler: vs.scheduler,
    ...(vs.persistenceEngine ? { pe: vs.persistenceEngine } : {}),
    flags: vs.schedulerFlags | (vs.ops ? IP_VS_SVC_F_ONEPACKET : 0),
    persistence:
      vs.persistenceTimeout === null
        ? null
        : {
            timeoutSec: Math.round(vs.persistenceTimeout / 1000),
            // A group's IPv6 prefix is at most /32 on its IPv4 services (the config warns).
            prefix: Math.min(vs.persistenceGranularity ?? max, max),
          },
  };
}

interface MemberPlan {
  readonly rs: RealServer;
  readonly key: string;
  readonly healthy: boolean;
  readonly link: LinkState;
  readonly roleUp: boolean | null;
  /** Weight to program, or null to leave the server out of the kernel. */
  weight: number | null;
}

function chooseActive(members: MemberPlan[], pool: Readonly<Record<string, LinkState>> | undefined) {
  const linked = members.filter((m) => m.link === 'linked');
  const probed = members.filter((m) => m.roleUp === true);
  const hasProbes = members.some((m) => m.roleUp !== null);
  let active: MemberPlan | null = null;
  let disagreement: string | null = null;
  if (linked.length > 0) {
    // Links are exclusive in an active/standby pool; the newest wins, but a
    // hand-edited state may hold several: take the first, and say so.
    active = linked[0]!;
    if (linked.length > 1)
      disagreement = `${linked.length} members are linked; only ${active.rs.address} carries weight`;
    else if (hasProbes && active.roleUp === false) {
      disagreement = `linked member ${active.rs.address} fails its role probe${
        probed.length ? `; ${probed.map((m) => m.rs.address).join(', ')} passes` : ''
      }`;
    }
  } else if (pool === undefined && hasProbes && probed.length === 1) {
    // Nobody has ever linked a member: the role probe alone decides.
    active = probed[0]!;
  } else if (pool === undefined && hasProbes && probed.length > 1) {
    disagreement = `${probed.length} members pass the role probe; none carries weight until one is linked`;
  }
  return { active, disagreement };
}

/** What one configured virtual server wants: its services, its pool status and its quorum. */
export interface VirtualServerDesired {
  readonly services: readonly DesiredService[];
  readonly pool: PoolStatus;
  readonly quorumUp: boolean;
}

export function computeDesired(inp: DesiredInputs): Desired {
  const services: DesiredService[] = [];
  const pools: PoolStatus[] = [];
  const quorum = new Map<string, boolean>();
  for (const vs of inp.config.virtualServers) {
    const r = desiredForVirtualServer(vs, inp);
    services.push(...r.services);
    pools.push(r.pool);
    quorum.set(r.pool.id, r.quorumUp);
  }
  return { services, pools, quorum };
}

/** One virtual server alone: the director recomputes only those whose inputs changed. */
export function desiredForVirtualServer(vs: VirtualServer, inp: DesiredInputs): VirtualServerDesired {
  const services: DesiredService[] = [];
  const id = virtualServerId(vs);
  const vip = virtualServerVip(vs);
  const links = vip ? inp.admin.links[vip] : undefined;
  const members: MemberPlan[] = vs.realServers.map((rs) => {
    const key = realServerKey(vs, rs);
    const h = inp.health.get(key);
    const role = inp.roles.get(key);
    const link: LinkState = links?.[rs.address] ?? (vs.activeStandby ? 'unlinked' : 'linked');
    return {
      rs,
      key,
      healthy: h ? h.up : rs.checkers.length === 0,
      link,
      roleUp: role === undefined ? null : role,
      weight: null,
    };
  });

  const { active, disagreement } = vs.activeStandby
    ? chooseActive(members, links)
    : { active: null, disagreement: null };

  for (const m of members) {
    const o = inp.admin.overrides[m.key];
    const h = inp.health.get(m.key);
    let w = clampWeight((h?.weight ?? m.rs.weight) + (h?.weightDelta ?? 0));
    if (o?.weight !== undefined) w = o.weight;
    const carries = vs.activeStandby ? m === active : m.link === 'linked';
    if (!carries || o?.drain) w = 0;
    if (!m.healthy) m.weight = m.rs.inhibitOnFailure || vs.inhibitOnFailure ? 0 : null;
    else m.weight = w;
  }

  // Quorum with hysteresis, as keepalived: a new service starts up when the
  // live weight reaches quorum + h; it is lost below quorum - h (or at no
  // live weight at all) and regained at quorum + h.
  const total = members.reduce((s, m) => s + (m.healthy && m.weight ? m.weight : 0), 0);
  const wasUp = inp.quorum.get(id) ?? total >= vs.quorum + vs.hysteresis;
  const up = total > 0 && (wasUp ? total >= vs.quorum - vs.hysteresis : total >= vs.quorum + vs.hysteresis);

  const sorry = vs.sorryServer;
  const sorryInUse = sorry !== null && !up;
  // keepalived: without quorum, the sorry server replaces every live real
  // server (inhibited failed ones stay at weight 0). An active/standby pool
  // keeps its members at weight 0 beside it, so a link can take over at once.
  if (sorryInUse && !vs.activeStandby) for (const m of members) if (m.healthy) m.weight = null;
  for (const key of expandKeys(vs, inp.config)) {
    const dests: DestSpec[] = [];
    for (const m of members) {
      if (m.weight === null) continue;
      dests.push(destSpec(m.rs.address, m.rs.port, m.rs.forwarding, m.weight, m.rs));
    }
    if (sorry && (sorryInUse || vs.sorryServerInhibit)) {
      const fwd = vs.sorryServerForwarding ?? vs.forwarding;
      const clash = dests.findIndex((d) => d.address === sorry.address && d.port === sorry.port);
      const spec = destSpec(sorry.address, sorry.port, fwd, sorryInUse ? 1 : 0, null);
      // A sorry server that is also a real server stays that real server while quorum holds.
      if (clash >= 0) {
        if (sorryInUse) dests[clash] = spec;
      } else dests.push(spec);
    }
    // A group of both families: an untunnelled server serves its own family (the config says so).
    services.push({ spec: serviceSpec(vs, key), dests: dests.filter((d) => destRefusal(key, d) === null) });
  }

  const pool: PoolStatus = {
    id,
    vip,
    activeStandby: vs.activeStandby,
    active: active?.rs.address ?? null,
    members: members.map((m) => ({
      node: m.rs.address,
      port: m.rs.port,
      link: vs.activeStandby ? (m === active ? 'linked' : 'unlinked') : m.link,
      healthy: m.healthy,
      roleUp: m.roleUp,
      weight: m.weight,
    })),
    quorumUp: up,
    sorryServerInUse: sorryInUse,
    disagreement,
  };
  return { services, pool, quorumUp: up };
}

const clampWeight = (w: number): number => Math.min(65535, Math.max(0, w));

function destSpec(
  address: Ip,
  port: number,
  fwd: CfgForwarding,
  weight: number,
  rs: RealServer | null,
): DestSpec {
  return {
    address,
    port,
    family: ipFamily(address),
    ...toForwarding(fwd),
    weight,
    upperThreshold: rs?.uthreshold ?? 0,
    lowerThreshold: rs?.lthreshold ?? 0,
  };
}

// The status page's one document: config, desired state, the kernel's
// counters, health probes, VRRP and events, joined per virtual service and
// real server. `floatlb status`, the page and its CSV all read this.
import type { VirtualServer } from '../config/model.js';
import { realServerKey, virtualServerId } from '../director/desired.js';
import type { Director } from '../director/director.js';
import type { DestState, ServiceState } from '../kernel/dataplane.js';
import { destId, serviceId } from '../kernel/dataplane.js';
import { schedFlagNames } from '../kernel/vocabulary.js';
import type { EventLog, ProbeLedger, ProbeRecord, RateHistory, RatePoint, StatusEvent } from './events.js';

/** The state word shown for a real server; colour is only a second signal. */
export type ServerWord = 'UP' | 'DOWN' | 'DRAIN' | 'MAINT' | 'STANDBY';

export interface ServerView {
  readonly address: string;
  readonly port: number;
  readonly id: string;
  readonly state: ServerWord;
  readonly healthy: boolean;
  readonly check: ProbeRecord | null;
  readonly configuredWeight: number;
  /** The weight the data plane holds, or null when the server is not in it. */
  readonly kernelWeight: number | null;
  readonly link: string;
  readonly drained: boolean;
  readonly weightOverride: number | null;
  readonly activeConns: number | null;
  readonly inactiveConns: number | null;
  readonly persistentConns: number | null;
  readonly rates: readonly RatePoint[];
}

export interface ServiceView {
  readonly id: string;
  readonly vip: string | null;
  readonly scheduler: string;
  readonly flags: readonly string[];
  readonly forwarding: string;
  readonly persistence: string | null;
  readonly plane: string;
  readonly quorumUp: boolean;
  readonly sorryServer: string | null;
  readonly sorryServerInUse: boolean;
  readonly activeStandby: boolean;
  readonly disagreement: string | null;
  readonly inKernel: boolean;
  readonly rates: readonly RatePoint[];
  readonly servers: readonly ServerView[];
}

export interface VrrpView {
  readonly name: string;
  readonly vrid: number;
  readonly interface: string;
  readonly state: string;
  readonly priority: number;
  readonly peerPriority: number | null;
  readonly master: string | null;
  readonly vips: readonly string[];
  readonly reason: string;
  readonly since: string | null;
}

export interface StatusView {
  readonly generatedAt: string;
  readonly plane: string;
  readonly planeReason: string | null;
  readonly lastReconcileErrors: readonly string[];
  /** Services the data plane cannot do, each refused alone with its reason. */
  readonly refused: readonly { readonly service: string; readonly reason: string }[];
  readonly vrrp: readonly VrrpView[];
  readonly services: readonly ServiceView[];
  readonly events: readonly StatusEvent[];
}

export interface StatusSources {
  readonly director: Director;
  readonly vrrp: () => readonly Record<string, unknown>[];
  readonly planeReason?: string;
  readonly events: EventLog;
  readonly probes: ProbeLedger;
  readonly rates: RateHistory;
  /** Wall time of each instance's last transition. */
  readonly vrrpSince: ReadonlyMap<string, string>;
}

const endpoint = (a: string, p: number) => (a.includes(':') ? `[${a}]:${p}` : `${a}:${p}`);

function forwardingWord(vs: VirtualServer): string {
  const f = vs.forwarding;
  return f.method === 'TUN' && f.tunnelType ? `TUN/${f.tunnelType}` : f.method;
}

function serverWord(healthy: boolean, link: string, drained: boolean, activeStandby: boolean): ServerWord {
  if (!healthy) return 'DOWN';
  if (link !== 'linked') return activeStandby ? 'STANDBY' : 'MAINT';
  if (drained) return 'DRAIN';
  return 'UP';
}

function serviceOf(vs: VirtualServer, kernel: ReadonlyMap<string, ServiceState>): ServiceState | null {
  const id = virtualServerId(vs);
  // A group or fwmark service shows its first kernel service's counters.
  return kernel.get(id) ?? null;
}

export async function buildStatusView(src: StatusSources): Promise<StatusView> {
  const d = src.director;
  const kernel = new Map<string, ServiceState>();
  try {
    for (const s of await d.plane.list()) kernel.set(serviceId(s.key), s);
  } catch {
    // The page still shows the config and health when the plane cannot be read.
  }
  const cfg = d.currentConfig;
  const pools = new Map(d.poolsStatus().map((p) => [p.id, p]));
  const overrides = d.adminState.overrides;
  const services: ServiceView[] = (cfg?.virtualServers ?? []).map((vs) => {
    const id = virtualServerId(vs);
    const pool = pools.get(id);
    const ks = serviceOf(vs, kernel);
    const dests = new Map<string, DestState>((ks?.dests ?? []).map((x) => [destId(x), x]));
    const servers: ServerView[] = vs.realServers.map((rs) => {
      const key = realServerKey(vs, rs);
      const member = pool?.members.find((m) => m.node === rs.address && m.port === rs.port);
      const dest = dests.get(destId(rs)) ?? null;
      const o = overrides[key];
      const healthy = member?.healthy ?? true;
      const link = member?.link ?? 'linked';
      return {
        address: rs.address,
        port: rs.port,
        id: endpoint(rs.address, rs.port),
        state: serverWord(healthy, link, Boolean(o?.drain), vs.activeStandby),
        healthy,
        check: src.probes.get(key),
        configuredWeight: rs.weight,
        kernelWeight: dest ? dest.weight : null,
        link,
        drained: Boolean(o?.drain),
        weightOverride: o?.weight ?? null,
        activeConns: dest?.activeConns ?? null,
        inactiveConns: dest?.inactiveConns ?? null,
        persistentConns: dest?.persistentConns ?? null,
        rates: ks ? src.rates.get(`${serviceId(ks.key)}|${destId(rs)}`) : [],
      };
    });
    return {
      id,
      vip: pool?.vip ?? null,
      scheduler: vs.scheduler,
      flags: [...schedFlagNames(vs.scheduler, vs.schedulerFlags), ...(vs.ops ? ['ops'] : [])],
      forwarding: forwardingWord(vs),
      persistence:
        vs.persistenceTimeout === null
          ? null
          : `${Math.round(vs.persistenceTimeout / 1000)} s${
              vs.persistenceGranularity !== null ? ` /${vs.persistenceGranularity}` : ''
            }`,
      plane: d.plane.kind,
      quorumUp: pool?.quorumUp ?? true,
      sorryServer: vs.sorryServer ? endpoint(vs.sorryServer.address, vs.sorryServer.port) : null,
      sorryServerInUse: pool?.sorryServerInUse ?? false,
      activeStandby: vs.activeStandby,
      disagreement: pool?.disagreement ?? null,
      inKernel: ks !== null,
      rates: ks ? src.rates.get(serviceId(ks.key)) : [],
      servers,
    };
  });
  const vrrp: VrrpView[] = src.vrrp().map((v) => ({
    name: String(v.name),
    vrid: Number(v.vrid),
    interface: String(v.interface),
    state: String(v.state),
    priority: Number(v.priority),
    peerPriority: typeof v.peerPriority === 'number' ? v.peerPriority : null,
    master: typeof v.master === 'string' ? v.master : null,
    vips: Array.isArray(v.vips) ? v.vips.map(String) : [],
    reason: typeof v.reason === 'string' ? v.reason : '',
    since: src.vrrpSince.get(String(v.name)) ?? null,
  }));
  return {
    generatedAt: new Date().toISOString(),
    plane: d.plane.kind,
    planeReason: src.planeReason ?? null,
    lastReconcileErrors: [...(d.lastReconcile?.errors ?? [])],
    refused: d.refusedServices(),
    vrrp,
    services,
    events: src.events.list(),
  };
}

const CSV_COLUMNS = [
  'service',
  'scheduler',
  'forwarding',
  'server',
  'state',
  'last_check',
  'latency_ms',
  'reason',
  'weight',
  'kernel_weight',
  'active',
  'inactive',
  'persistent',
  'cps',
  'bps',
] as const;

function csvCell(v: string | number | null): string {
  const s = v === null ? '' : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The table as CSV, one row per real server, as HAProxy's ";csv" export. */
export function statusCsv(v: StatusView): string {
  const rows: string[] = [CSV_COLUMNS.join(',')];
  for (const s of v.services) {
    for (const r of s.servers) {
      const last = r.rates.at(-1);
      rows.push(
        [
          s.id,
          s.scheduler,
          s.forwarding,
          r.id,
          r.state,
          r.check ? (r.check.ok ? 'ok' : 'failed') : null,
          r.check?.latencyMs ?? null,
          r.check?.reason ?? r.check?.lastFailure?.reason ?? null,
          r.weightOverride ?? r.configuredWeight,
          r.kernelWeight,
          r.activeConns,
          r.inactiveConns,
          r.persistentConns,
          last ? Math.round(last[1] * 10) / 10 : null,
          last ? Math.round(last[2]) : null,
        ]
          .map(csvCell)
          .join(','),
      );
    }
  }
  return `${rows.join('\n')}\n`;
}

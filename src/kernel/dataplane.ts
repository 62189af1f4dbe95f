// The contract between the director and a forwarding data plane. Two
// implementations: IPVS over generic netlink (src/kernel/ipvs) and nftables
// (src/kernel/nftables). The director computes the operations; a plane
// applies them and reports what the kernel holds.

import {
  type Family,
  formatEndpoint,
  type Ip,
  type Protocol,
  refusedDestAddress,
  type SchedFlags,
  type Scheduler,
} from './vocabulary.js';

export type { Family, Ip, Protocol, SchedFlags, Scheduler } from './vocabulary.js';
export { SCHEDULERS } from './vocabulary.js';
export type Forwarding = 'nat' | 'dr' | 'tun';

export type ServiceKey =
  | {
      readonly kind: 'ip';
      readonly family: Family;
      readonly protocol: Protocol;
      readonly address: Ip;
      readonly port: number;
    }
  | { readonly kind: 'fwmark'; readonly family: Family; readonly fwmark: number };

export interface Persistence {
  readonly timeoutSec: number;
  /** Clients are grouped by this prefix length of their address. */
  readonly prefix: number;
}

export interface ServiceSpec {
  readonly key: ServiceKey;
  readonly scheduler: Scheduler;
  /** IP_VS_SVC_F_SCHED1..3 and ONEPACKET bits (see vocabulary.ts). */
  readonly flags: SchedFlags;
  readonly persistence: Persistence | null;
  /** IPVS persistence engine (keepalived's persistence_engine; the kernel has `sip`). */
  readonly pe?: string;
}

export interface TunnelSpec {
  readonly type: 'ipip' | 'gue' | 'gre';
  readonly port?: number;
  readonly csum?: 'nocsum' | 'csum' | 'remcsum';
}

export interface DestSpec {
  readonly address: Ip;
  readonly port: number;
  readonly family: Family;
  readonly forwarding: Forwarding;
  readonly weight: number;
  readonly upperThreshold: number;
  readonly lowerThreshold: number;
  readonly tunnel?: TunnelSpec;
}

/**
 * Why the kernel refuses this destination in this service with EINVAL, or
 * null: IPVS takes only unicast real servers, and forwards across address
 * families only through a tunnel. The config refuses these first, so the
 * kernel's bare EINVAL never reaches the operator; the fake plane refuses
 * them as the kernel does.
 */
export function destRefusal(
  key: ServiceKey,
  d: Pick<DestSpec, 'address' | 'family' | 'forwarding'>,
): string | null {
  const bad = refusedDestAddress(d.address);
  if (bad) return `${d.address} is ${bad}; IPVS takes only unicast real servers`;
  if (d.family !== key.family && d.forwarding !== 'tun') {
    return `${d.address} is ${d.family === 'inet' ? 'IPv4' : 'IPv6'} but the service is ${key.family === 'inet' ? 'IPv4' : 'IPv6'}; IPVS forwards across address families only with lvs_method TUN`;
  }
  return null;
}

export interface Stats {
  readonly conns: bigint;
  readonly inPackets: bigint;
  readonly outPackets: bigint;
  readonly inBytes: bigint;
  readonly outBytes: bigint;
  readonly cps: bigint;
  readonly inPps: bigint;
  readonly outPps: bigint;
  readonly inBps: bigint;
  readonly outBps: bigint;
}

export interface DestState extends DestSpec {
  readonly activeConns: number;
  readonly inactiveConns: number;
  readonly persistentConns: number;
  readonly stats: Stats | null;
}

export interface ServiceState extends ServiceSpec {
  readonly dests: readonly DestState[];
  readonly stats: Stats | null;
}

export type DataPlaneOp =
  | { readonly op: 'add-service'; readonly service: ServiceSpec }
  | { readonly op: 'update-service'; readonly service: ServiceSpec }
  | { readonly op: 'delete-service'; readonly key: ServiceKey }
  | { readonly op: 'add-dest'; readonly key: ServiceKey; readonly dest: DestSpec }
  | { readonly op: 'update-dest'; readonly key: ServiceKey; readonly dest: DestSpec }
  | {
      readonly op: 'delete-dest';
      readonly key: ServiceKey;
      readonly dest: Pick<DestSpec, 'address' | 'port'>;
    };

export interface ApplyResult {
  /** Operations the kernel accepted. */
  readonly applied: number;
  /** Per-operation failures, in order; empty when all applied. */
  readonly errors: ReadonlyArray<{ readonly op: DataPlaneOp; readonly error: Error }>;
  /** How many kernel transactions (netlink datagrams, nft batches) it took. */
  readonly transactions: number;
}

/** An IPVS connection-sync daemon: what is started, and what the kernel reports. */
export interface SyncDaemonSpec {
  readonly state: 'master' | 'backup';
  readonly ifname: string;
  readonly syncId: number;
  /** UDP payload size; 0 or absent lets the kernel choose. */
  readonly maxLen?: number;
  /** Multicast group, IPv4 or IPv6. */
  readonly group?: string;
  readonly port?: number;
  readonly ttl?: number;
}

/** Connection-sync daemons: a capability only some planes have (IPVS). */
export interface SyncDaemonControl {
  running(): Promise<SyncDaemonSpec[]>;
  start(d: SyncDaemonSpec): Promise<void>;
  stop(state: SyncDaemonSpec['state']): Promise<void>;
}

/** Connection timeouts in seconds (ipvsadm --set); 0 leaves one unchanged. */
export interface LvsTimeouts {
  readonly tcp: number;
  readonly tcpFin: number;
  readonly udp: number;
}

/** keepalived's global LVS settings: a capability only IPVS has. */
export interface LvsGlobalControl {
  getTimeouts(): Promise<LvsTimeouts>;
  setTimeouts(t: LvsTimeouts): Promise<void>;
  /** Removes every virtual service, floatlb's or not (lvs_flush). */
  flushAll(): Promise<void>;
}

export interface DataPlane {
  readonly kind: 'ipvs' | 'nftables';
  /** Present when the plane has the global LVS settings (lvs_timeouts, lvs_flush). */
  readonly lvsGlobals?: LvsGlobalControl;
  /** Present when the plane can run connection-sync daemons. */
  readonly syncDaemon?: SyncDaemonControl;
  /**
   * Why this plane cannot program a service, naming the service, the reason
   * and the nearest supported setting; null when it can. Absent: it can
   * program anything valid. The director programs the other services.
   */
  refusal?(spec: ServiceSpec, dests: readonly DestSpec[]): string | null;
  /** What the kernel holds now, services with their destinations. */
  list(): Promise<ServiceState[]>;
  /** Applies the operations in order; a plane that can do it atomically does. */
  apply(ops: readonly DataPlaneOp[]): Promise<ApplyResult>;
  close(): void;
}

/** A stable string id for a service key: "tcp/10.0.0.1:80", "fwmark/inet/1". */
export function serviceId(k: ServiceKey): string {
  if (k.kind === 'fwmark') return `fwmark/${k.family}/${k.fwmark}`;
  return `${k.protocol}/${formatEndpoint(k.address, k.port)}`;
}

export function destId(d: Pick<DestSpec, 'address' | 'port'>): string {
  return formatEndpoint(d.address, d.port);
}

// The normalized configuration: plain JSON data with keepalived's defaults
// filled in. Every time value is in MILLISECONDS. Absent optional values are
// null, never undefined, so JSON round-trips exactly.

import type { RouteSpec, RuleSpec } from '../kernel/routes.js';
import type { Ip, Protocol, SchedFlags, Scheduler } from '../kernel/vocabulary.js';
import type { Position } from './diagnostics.js';
import type {
  AdvertKnobs,
  GarpGroup,
  GarpSettings,
  VirtualIp,
  VrrpInstance,
  VrrpScript,
  VrrpSyncGroup,
  VrrpTrackFile,
  VrrpTrackProcess,
} from './model-vrrp.js';

// Addresses, protocols, schedulers and flags are the data plane's vocabulary:
// canonical from the moment the model is built.
export type { Ip, Protocol, SchedFlags, Scheduler } from '../kernel/vocabulary.js';
export type * from './model-vrrp.js';
export type ForwardingMethod = 'NAT' | 'DR' | 'TUN';
export type TunnelType = 'ipip' | 'gue' | 'gre';
export type TunnelChecksum = 'nocsum' | 'csum' | 'remcsum';

export interface Forwarding {
  method: ForwardingMethod;
  /** Only for TUN; null otherwise. */
  tunnelType: TunnelType | null;
  tunnelPort: number | null;
  tunnelChecksum: TunnelChecksum | null;
}

/** A script to run, split the way keepalived splits it, with an optional user/group. */
export interface ScriptRef {
  command: string;
  user: string | null;
  group: string | null;
}

export interface EndpointAddr {
  address: Ip;
  port: number;
}

export interface CheckerCommon {
  /** Connection target; defaults to the real server's address/port. */
  connectIp: Ip;
  connectPort: number;
  bindTo: string | null;
  bindIf: string | null;
  bindPort: number | null;
  fwmark: number | null;
  connectTimeout: number;
  retry: number;
  delayBeforeRetry: number;
  /** Random initial delay bound; keepalived defaults it to delay_loop. */
  warmup: number;
  delayLoop: number;
  alpha: boolean;
  logAllFailures: boolean;
}

export interface HttpUrl {
  path: string;
  digest: string | null;
  /** Inclusive [low, high] ranges; default [[200, 299]]. */
  statusCodes: [number, number][];
  virtualhost: string | null;
  regex: string | null;
  regexNoMatch: boolean;
  regexOptions: string[];
}

export interface HttpChecker extends CheckerCommon {
  type: 'HTTP_GET' | 'SSL_GET';
  httpProtocol: '1.0' | '1.0C' | '1.1' | null;
  virtualhost: string | null;
  enableSni: boolean;
  fastRecovery: boolean;
  urls: HttpUrl[];
}
export interface TcpChecker extends CheckerCommon {
  type: 'TCP_CHECK';
}
export interface SmtpHost {
  connectIp: Ip;
  connectPort: number;
  bindTo: string | null;
}
export interface SmtpChecker extends CheckerCommon {
  type: 'SMTP_CHECK';
  heloName: string | null;
  /** Extra hosts from `host {}` blocks; the checker tests all of them. */
  hosts: SmtpHost[];
}
export type DnsQueryType = 'A' | 'NS' | 'CNAME' | 'SOA' | 'MX' | 'TXT' | 'AAAA';
export interface DnsChecker extends CheckerCommon {
  type: 'DNS_CHECK';
  queryType: DnsQueryType;
  name: string;
}
export interface UdpChecker extends CheckerCommon {
  type: 'UDP_CHECK';
  /** Hex string as written (spaces removed), or null for a random payload. */
  payload: string | null;
  requireReply: boolean;
  requireReplyData: string | null;
  minReplyLength: number;
  maxReplyLength: number;
}
export interface PingChecker extends CheckerCommon {
  type: 'PING_CHECK';
}
export interface MiscChecker {
  type: 'MISC_CHECK';
  path: string;
  /** Script timeout; defaults to delay_loop. */
  timeout: number;
  dynamic: boolean;
  user: string | null;
  group: string | null;
  retry: number;
  delayBeforeRetry: number;
  warmup: number;
  delayLoop: number;
  alpha: boolean;
  logAllFailures: boolean;
}
export interface FileChecker {
  type: 'FILE_CHECK';
  trackFile: string;
  dynamic: boolean;
  weight: number;
  reverse: boolean;
}
export interface BfdChecker {
  type: 'BFD_CHECK';
  name: string;
}
export type Checker =
  | HttpChecker
  | TcpChecker
  | SmtpChecker
  | DnsChecker
  | UdpChecker
  | PingChecker
  | MiscChecker
  | FileChecker
  | BfdChecker;
export type CheckerType = Checker['type'];

export interface RealServer {
  address: Ip;
  port: number;
  weight: number;
  forwarding: Forwarding;
  inhibitOnFailure: boolean;
  uthreshold: number | null;
  lthreshold: number | null;
  notifyUp: ScriptRef | null;
  notifyDown: ScriptRef | null;
  virtualhost: string | null;
  smtpAlert: boolean | null;
  checkers: Checker[];
  /** floatlb: a probe that only the active member of an active_standby pool passes. */
  roleProbe: Checker | null;
}

export type VirtualServerTarget =
  | { kind: 'ip'; address: Ip; port: number; protocol: Protocol }
  | { kind: 'fwmark'; fwmark: number; family: 'inet' | 'inet6' }
  | { kind: 'group'; group: string };

export interface VirtualServer {
  target: VirtualServerTarget;
  /** The protocol also applies to fwmark and group services. */
  protocol: Protocol;
  scheduler: Scheduler;
  /** Kernel scheduler flag bits (IP_VS_SVC_F_SCHED1..3); ops is separate. */
  schedulerFlags: SchedFlags;
  ops: boolean;
  forwarding: Forwarding;
  /** null when the service is not persistent. */
  persistenceTimeout: number | null;
  /** Persistence netmask as a prefix length; null: the whole address. */
  persistenceGranularity: number | null;
  persistenceEngine: string | null;
  delayLoop: number;
  quorum: number;
  hysteresis: number;
  quorumUp: ScriptRef | null;
  quorumDown: ScriptRef | null;
  sorryServer: EndpointAddr | null;
  sorryServerForwarding: Forwarding | null;
  sorryServerInhibit: boolean;
  inhibitOnFailure: boolean;
  alpha: boolean;
  omega: boolean;
  haSuspend: boolean;
  virtualhost: string | null;
  smtpAlert: boolean | null;
  /** floatlb: exactly one real server carries weight at a time. */
  activeStandby: boolean;
  realServers: RealServer[];
  /** Line where the block starts, for messages from later stages. */
  source: SourceRef;
}

export interface SourceRef {
  file: string;
  line: number;
}

export type VsgEntry =
  | { kind: 'range'; first: Ip; last: Ip; port: number }
  | { kind: 'fwmark'; fwmark: number; family: 'inet' | 'inet6' | null };

export interface VirtualServerGroup {
  name: string;
  entries: VsgEntry[];
}

export interface LvsSyncDaemon {
  interface: string;
  instance: string | null;
  syncId: number | null;
  maxlen: number | null;
  port: number | null;
  ttl: number | null;
  group: string | null;
}

export interface GlobalDefs {
  routerId: string | null;
  notificationEmail: string[];
  notificationEmailFrom: string | null;
  smtpServer: { address: string; port: number } | null;
  smtpHeloName: string | null;
  smtpConnectTimeout: number;
  smtpAlert: boolean | null;
  vrrpVersion: 2 | 3;
  vrrpMcastGroup4: string;
  vrrpMcastGroup6: string;
  defaultInterface: string | null;
  lvsSyncDaemon: LvsSyncDaemon | null;
  lvsFlush: boolean;
  lvsFlushOnStop: boolean;
  lvsTimeouts: { tcp: number | null; tcpFin: number | null; udp: number | null };
  scriptUser: string | null;
  scriptGroup: string | null;
  enableScriptSecurity: boolean;
  vrrpStrict: boolean;
  /** vrrp_garp_* defaults for instances that do not set their own. */
  garp: GarpSettings;
  /** vrrp_garp_interval / vrrp_gna_interval (ms): the gap between frames on one interface; 0: none. */
  vrrpGarpInterval: number;
  vrrpGnaInterval: number;
  /** vrrp_lower_prio_no_advert and the rest: defaults for instances that do not set their own. */
  adverts: AdvertKnobs;
  vrrpSkipCheckAdvAddr: boolean;
  /** floatlb: UNIX socket of the HTTP API; null means the built-in default. */
  floatlbApiSocket: string | null;
}

export interface FloatlbConfig {
  globalDefs: GlobalDefs;
  vrrpScripts: VrrpScript[];
  vrrpTrackFiles: VrrpTrackFile[];
  vrrpTrackProcesses: VrrpTrackProcess[];
  vrrpInstances: VrrpInstance[];
  vrrpSyncGroups: VrrpSyncGroup[];
  garpGroups: GarpGroup[];
  virtualServerGroups: VirtualServerGroup[];
  virtualServers: VirtualServer[];
  /** static_ipaddress, static_routes, static_rules: held from start to stop, whatever the VRRP state. */
  staticIpaddress: VirtualIp[];
  staticRoutes: RouteSpec[];
  staticRules: RuleSpec[];
  /** The SSL block: the client side of every SSL_GET (null: none given). */
  ssl: SslSettings | null;
}

/** A file the config names, with where it named it (errors loading it point there). */
export interface FileRef {
  path: string;
  at: Position;
}

/** keepalived's SSL block: one TLS client context shared by all SSL_GET checks. */
export interface SslSettings {
  /** Decrypts the key. */
  password: string | null;
  /** CA certificates loaded into the context; keepalived verifies no server certificate. */
  ca: FileRef | null;
  /** The certificate chain presented to a server that asks for one. */
  certificate: FileRef | null;
  key: FileRef | null;
}

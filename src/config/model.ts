// The normalized configuration: plain JSON data with keepalived's defaults
// filled in. Every time value is in MILLISECONDS. Absent optional values are
// null, never undefined, so JSON round-trips exactly.

import type { RouteSpec, RuleSpec } from '../kernel/routes.js';
import type { Ip, Protocol, SchedFlags, Scheduler } from '../kernel/vocabulary.js';
import type { Position } from './diagnostics.js';

// Addresses, protocols, schedulers and flags are the data plane's vocabulary:
// canonical from the moment the model is built.
export type { Ip, Protocol, SchedFlags, Scheduler } from '../kernel/vocabulary.js';
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

export interface VirtualIp {
  address: Ip;
  prefix: number;
  dev: string | null;
  label: string | null;
  scope: string | null;
  brd: string | null;
  peer: string | null;
  noTrack: boolean;
}

export interface TrackRef {
  name: string;
  /** null: no weight given, so the object failing puts the instance in FAULT (or uses the script's weight). */
  weight: number | null;
  reverse: boolean;
}

export interface UnicastPeer {
  address: Ip;
  minTtl: number | null;
  maxTtl: number | null;
}

export interface GarpSettings {
  masterDelay: number;
  masterRepeat: number;
  masterRefresh: number;
  masterRefreshRepeat: number;
  /** null (global_defs only): the master delay/repeat, resolved when an instance copies them. */
  lowerPrioDelay: number | null;
  lowerPrioRepeat: number | null;
}

/** How a master answers adverts, and how long a backup waits (keepalived's advert knobs). */
export interface AdvertKnobs {
  /** lower_prio_no_advert: a lower-priority advert gets no advert back (GARPs still go out). */
  lowerPrioNoAdvert: boolean;
  /** higher_prio_send_advert: one advert at our priority before yielding to a higher one. */
  higherPrioSendAdvert: boolean;
  /** down_timer_adverts: Master_Down_Interval is this many advert intervals plus the skew (RFC: 3). */
  downTimerAdverts: number;
  /** check_unicast_src: in unicast mode, adverts from addresses that are not peers are dropped. */
  checkUnicastSrc: boolean;
}

/** garp_group: the gaps between gratuitous ARPs (or NAs) sent on these interfaces, counted together. */
export interface GarpGroup {
  /** Milliseconds; 0: no gap (the global vrrp_garp_interval applies only to interfaces in no group). */
  garpInterval: number;
  gnaInterval: number;
  interfaces: string[];
  source: SourceRef;
}

export interface VrrpInstance {
  name: string;
  state: 'MASTER' | 'BACKUP';
  interface: string;
  virtualRouterId: number;
  priority: number;
  advertInt: number;
  version: 2 | 3;
  nopreempt: boolean;
  preemptDelay: number;
  authentication: { type: 'PASS' | 'AH'; pass: string } | null;
  virtualIpaddress: VirtualIp[];
  virtualIpaddressExcluded: VirtualIp[];
  /** Installed while master, removed on leaving it. */
  virtualRoutes: RouteSpec[];
  virtualRules: RuleSpec[];
  mcastSrcIp: Ip | null;
  unicastSrcIp: Ip | null;
  /** IP TTL / hop limit of unicast adverts; null: 255. */
  unicastTtl: number | null;
  unicastPeer: UnicastPeer[];
  trackInterface: TrackRef[];
  trackScript: TrackRef[];
  trackFile: TrackRef[];
  trackProcess: TrackRef[];
  dontTrackPrimary: boolean;
  notifyMaster: ScriptRef | null;
  notifyBackup: ScriptRef | null;
  notifyFault: ScriptRef | null;
  notifyStop: ScriptRef | null;
  notify: ScriptRef | null;
  garp: GarpSettings;
  adverts: AdvertKnobs;
  accept: boolean;
  smtpAlert: boolean | null;
  /** use_vmac: the VMAC interface's name (default vrrp.VRID), or null. */
  useVmac: string | null;
  /** vmac_xmit_base: adverts go out on the parent interface, not the VMAC one. */
  vmacXmitBase: boolean;
  /** strict_mode, or global_defs vrrp_strict when the instance does not set it. */
  strict: boolean;
  source: SourceRef;
}

export interface VrrpScript {
  name: string;
  script: string;
  interval: number;
  timeout: number | null;
  weight: number;
  weightReverse: boolean;
  rise: number;
  fall: number;
  user: string | null;
  group: string | null;
  initFail: boolean;
}

/** track_file (vrrp_track_file): a number read from a file, times the weight. */
export interface VrrpTrackFile {
  name: string;
  file: string;
  weight: number;
  weightReverse: boolean;
  /** init_file: write `value` at start if the file is missing (or always, with overwrite). */
  initFile: { value: number; overwrite: boolean } | null;
}

/** vrrp_track_process: how many running processes match, against a quorum. */
export interface VrrpTrackProcess {
  name: string;
  /** The process name (comm), or argv[0] when matching the command line. */
  process: string;
  /** Parameters after the command; matched against the command line. */
  params: string[];
  /** null: parameters match exactly (when there are any). */
  paramMatch: 'initial' | 'partial' | null;
  /** The parameters are compared (there are some, or param_match asks for none). */
  matchParams: boolean;
  /** Match the command line (/proc/PID/cmdline) rather than the process name. */
  fullCommand: boolean;
  quorum: number;
  quorumMax: number;
  weight: number;
  weightReverse: boolean;
  /** ms to wait after the quorum is gained (fork_delay) or lost (terminate_delay). */
  forkDelay: number;
  terminateDelay: number;
}

export interface VrrpSyncGroup {
  name: string;
  group: string[];
  trackInterface: TrackRef[];
  trackScript: TrackRef[];
  trackFile: TrackRef[];
  trackProcess: TrackRef[];
  notifyMaster: ScriptRef | null;
  notifyBackup: ScriptRef | null;
  notifyFault: ScriptRef | null;
  notifyStop: ScriptRef | null;
  notify: ScriptRef | null;
  smtpAlert: boolean | null;
  globalTracking: boolean;
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

// The VRRP side of the normalized configuration (see model.ts): instances,
// sync groups, their tracked objects and VIPs.
import type { RouteSpec, RuleSpec } from '../kernel/routes.js';
import type { Ip } from '../kernel/vocabulary.js';
import type { ScriptRef, SourceRef } from './model.js';

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

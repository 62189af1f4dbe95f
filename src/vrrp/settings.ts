// The speaker's input: one VRRP instance as plain data, so the director can
// build it from the config model and tests can write it by hand.

import type { RouteSpec, RuleSpec } from '../kernel/routes.js';
import { canonicalIp, type Ip } from '../kernel/vocabulary.js';
import type { PeerTtl } from './packet.js';

export interface Vip {
  readonly address: Ip;
  readonly prefixLen: number;
  /** Defaults to the instance's interface. */
  readonly ifname?: string;
  /** IPv4 address label (keepalived's `label eth0:vip`); ignored for IPv6, which has none. */
  readonly label?: string;
}

/** keepalived's garp_* settings, in milliseconds. */
export interface GarpSettings {
  /** Second round of announcements this long after becoming master (garp_master_delay, 0 = none). */
  readonly masterDelayMs: number;
  /** Frames per VIP in each round (garp_master_repeat). */
  readonly masterRepeat: number;
  /** Periodic announcements while master (garp_master_refresh, 0 = none). */
  readonly masterRefreshMs: number;
  /** Frames per VIP in a refresh (garp_master_refresh_repeat). */
  readonly masterRefreshRepeat: number;
  /** After a lower-priority master is heard: a round of this many (garp_lower_prio_repeat, 0 = none)... */
  readonly lowerPrioRepeat: number;
  /** ...and another round this long after (garp_lower_prio_delay, 0 = none). */
  readonly lowerPrioDelayMs: number;
}

export const GARP_DEFAULTS: GarpSettings = {
  masterDelayMs: 5000,
  masterRepeat: 5,
  masterRefreshMs: 0,
  masterRefreshRepeat: 1,
  lowerPrioRepeat: 5,
  lowerPrioDelayMs: 5000,
};

/**
 * vrrp_garp_interval / vrrp_gna_interval, or a garp_group's: the least gap
 * between two gratuitous ARPs (or NAs) on the interfaces of one group, which
 * all the instances sending there share.
 */
export interface GarpPace {
  readonly group: string;
  readonly garpIntervalMs: number;
  readonly gnaIntervalMs: number;
}

/** Scripts, as keepalived runs them. A string may carry arguments ("/bin/x a b"). */
export interface NotifySettings {
  readonly master?: string;
  readonly backup?: string;
  readonly fault?: string;
  readonly stop?: string;
  /** Called as: SCRIPT INSTANCE NAME STATE PRIORITY. */
  readonly generic?: string;
}

export interface VrrpInstanceSettings {
  readonly name: string;
  readonly version: 2 | 3;
  readonly vrid: number;
  readonly priority: number;
  readonly advertIntMs: number;
  readonly interface: string;
  readonly family: 4 | 6;
  /** Source of our adverts (mcast_src_ip / unicast_src_ip). Discovered from the interface when absent. */
  readonly srcIp?: Ip;
  readonly vips: readonly Vip[];
  /** virtual_routes / virtual_rules: installed while master, after the VIPs. */
  readonly routes?: readonly RouteSpec[];
  readonly rules?: readonly RuleSpec[];
  /** virtual_ipaddress_excluded: held while master like the VIPs, but not named in adverts. */
  readonly excludedVips?: readonly Vip[];
  readonly unicastPeers: readonly Ip[];
  /** unicast_ttl: the TTL (hop limit) of unicast adverts; absent: 255. */
  readonly unicastTtl?: number;
  /** use_vmac: VIPs without a dev go on this macvlan, and adverts leave from it unless xmitBase. */
  readonly vmac?: { readonly name: string; readonly xmitBase: boolean };
  /** vrrp_mcast_group4/6: where multicast adverts go; absent: 224.0.0.18 or ff02::12. */
  readonly mcastGroup?: string;
  /**
   * Per-peer TTL bounds (keepalived's `min_ttl`/`max_ttl`, given for any
   * peer): every peer with its range, 0..255 where unset, and adverts from
   * other sources dropped. Absent: the TTL must be 255.
   */
  readonly unicastPeerTtl?: readonly (Omit<PeerTtl, 'address'> & { readonly address: Ip })[];
  /** Version 2 only: auth_type PASS with auth_pass. */
  readonly authPass?: string;
  readonly initialState: 'MASTER' | 'BACKUP';
  readonly preempt: boolean;
  readonly preemptDelayMs: number;
  readonly accept: boolean;
  readonly garp: GarpSettings;
  readonly notify: NotifySettings;
  /** Member of a vrrp_sync_group: the group decides when it becomes master. */
  readonly syncGroup?: boolean;
  /** vrrp_skip_check_adv_addr: the current master's adverts are not checked against our VIP list. */
  readonly skipCheckAdvAddr?: boolean;
  /** Gaps between announcement frames on this instance's interface; absent: none. */
  readonly garpPace?: GarpPace;
  /** down_timer_adverts (absent: 3), lower_prio_no_advert (or strict mode), higher_prio_send_advert. */
  readonly downTimerAdverts?: number;
  readonly lowerPrioNoAdvert?: boolean;
  readonly higherPrioSendAdvert?: boolean;
}

/** Settings as a caller writes them: addresses in any spelling. */
export type SettingsInput = Pick<VrrpInstanceSettings, 'name' | 'vrid' | 'priority' | 'interface'> &
  Partial<
    Omit<VrrpInstanceSettings, 'vips' | 'excludedVips' | 'srcIp' | 'unicastPeers' | 'unicastPeerTtl'>
  > & {
    readonly vips: readonly (Omit<Vip, 'address'> & { readonly address: string })[];
    readonly excludedVips?: readonly (Omit<Vip, 'address'> & { readonly address: string })[];
    readonly srcIp?: string;
    readonly unicastPeers?: readonly string[];
    readonly unicastPeerTtl?: readonly (Omit<PeerTtl, 'address'> & { readonly address: string })[];
  };

/**
 * Fills keepalived's defaults around the fields a caller must give, and
 * turns every address into its canonical text (throws on one that is not an
 * address), so the speaker compares what the kernel reports.
 */
export function instanceSettings(input: SettingsInput): VrrpInstanceSettings {
  const { vips: rawVips, excludedVips, srcIp, unicastPeers, unicastPeerTtl, ...s } = input;
  const vip = <T extends { readonly address: string }>(v: T) => ({ ...v, address: canonicalIp(v.address) });
  const vips = rawVips.map(vip);
  const family = s.family ?? (vips[0]?.address.includes(':') ? 6 : 4);
  return {
    version: family === 6 ? 3 : 2,
    advertIntMs: 1000,
    initialState: 'BACKUP',
    preempt: true,
    preemptDelayMs: 0,
    accept: false,
    garp: GARP_DEFAULTS,
    notify: {},
    ...s,
    family,
    vips,
    ...(excludedVips ? { excludedVips: excludedVips.map(vip) } : {}),
    ...(srcIp !== undefined ? { srcIp: canonicalIp(srcIp) } : {}),
    unicastPeers: (unicastPeers ?? []).map((p) => canonicalIp(p)),
    ...(unicastPeerTtl ? { unicastPeerTtl: unicastPeerTtl.map(vip) } : {}),
  };
}

/** A VRRP version 2 interval is whole seconds; version 3 is centiseconds. */
export function advertIntCs(s: Pick<VrrpInstanceSettings, 'version' | 'advertIntMs'>): number {
  const cs = Math.round(s.advertIntMs / 10);
  return s.version === 2 ? Math.max(1, Math.round(cs / 100)) * 100 : Math.min(0xfff, Math.max(1, cs));
}

/** One announcement round: repeat frames for every VIP, this long after the trigger. */
export interface GarpRound {
  readonly atMs: number;
  readonly repeat: number;
}

/** A round at once and, when the delay is set, a second one after it (keepalived's two rounds). */
export function garpRounds(repeat: number, delayMs: number): GarpRound[] {
  if (repeat <= 0) return [];
  return [{ atMs: 0, repeat }, ...(delayMs > 0 ? [{ atMs: delayMs, repeat }] : [])];
}

/** After becoming master: garp_master_repeat now and after garp_master_delay. */
export function garpOnMaster(g: GarpSettings): GarpRound[] {
  return garpRounds(g.masterRepeat, g.masterDelayMs);
}

/** After hearing a lower-priority master: garp_lower_prio_repeat now and after garp_lower_prio_delay. */
export function garpOnLowerPrio(g: GarpSettings): GarpRound[] {
  return garpRounds(g.lowerPrioRepeat, g.lowerPrioDelayMs);
}

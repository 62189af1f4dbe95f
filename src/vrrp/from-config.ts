// Pure: the config's vrrp_instance onto the speaker's settings, with
// global_defs filling what the instance leaves out.
import type { FloatlbConfig, GarpGroup, ScriptRef, VrrpInstance } from '../config/model.js';
import { type GarpPace, instanceSettings, type VrrpInstanceSettings } from './settings.js';

const cmd = (s: ScriptRef | null): string | undefined => s?.command;

/** Every instance of a config, with what the rest of the config says about it. */
export function instancesFromConfig(config: FloatlbConfig): VrrpInstanceSettings[] {
  return config.vrrpInstances.map((inst) =>
    vrrpSettingsFromConfig(inst, {
      syncGroup: config.vrrpSyncGroups.some((g) => g.group.includes(inst.name)),
      skipCheckAdvAddr: config.globalDefs.vrrpSkipCheckAdvAddr,
      mcastGroup4: config.globalDefs.vrrpMcastGroup4,
      mcastGroup6: config.globalDefs.vrrpMcastGroup6,
      checkUnicastSrc: config.globalDefs.adverts.checkUnicastSrc,
      garpPace: garpPace(config, inst.interface),
    }),
  );
}

/**
 * The pacing group of an interface: its garp_group, else the interface alone
 * with the global intervals; none when no gap is set. (A VMAC's frames count
 * on its parent, which is inst.interface.)
 */
export function garpPace(config: FloatlbConfig, ifname: string): GarpPace | undefined {
  const i = config.garpGroups.findIndex((g: GarpGroup) => g.interfaces.includes(ifname));
  const g = config.garpGroups[i];
  if (g)
    return { group: `garp_group ${i + 1}`, garpIntervalMs: g.garpInterval, gnaIntervalMs: g.gnaInterval };
  const { vrrpGarpInterval: garp, vrrpGnaInterval: gna } = config.globalDefs;
  return garp > 0 || gna > 0 ? { group: ifname, garpIntervalMs: garp, gnaIntervalMs: gna } : undefined;
}

export function vrrpSettingsFromConfig(
  inst: VrrpInstance,
  ctx: {
    syncGroup?: boolean;
    skipCheckAdvAddr?: boolean;
    mcastGroup4?: string;
    mcastGroup6?: string;
    /** vrrp_check_unicast_src in global_defs. */
    checkUnicastSrc?: boolean;
    garpPace?: GarpPace | undefined;
  } = {},
): VrrpInstanceSettings {
  const toVip = (v: VrrpInstance['virtualIpaddress'][number]) => ({
    address: v.address,
    prefixLen: v.prefix,
    ...(v.dev && v.dev !== inst.interface
      ? { ifname: v.dev }
      : inst.useVmac && !v.dev
        ? { ifname: inst.useVmac }
        : {}),
    ...(v.label ? { label: v.label } : {}),
  });
  const vips = inst.virtualIpaddress.map(toVip);
  const excluded = inst.virtualIpaddressExcluded.map(toVip);
  const family = vips[0]?.address.includes(':') ? 6 : 4;
  const srcIp = inst.unicastSrcIp ?? inst.mcastSrcIp;
  const group = family === 4 ? ctx.mcastGroup4 : ctx.mcastGroup6;
  const standard = family === 4 ? '224.0.0.18' : 'ff02::12';
  const notify = {
    ...(cmd(inst.notifyMaster) ? { master: cmd(inst.notifyMaster) } : {}),
    ...(cmd(inst.notifyBackup) ? { backup: cmd(inst.notifyBackup) } : {}),
    ...(cmd(inst.notifyFault) ? { fault: cmd(inst.notifyFault) } : {}),
    ...(cmd(inst.notifyStop) ? { stop: cmd(inst.notifyStop) } : {}),
    ...(cmd(inst.notify) ? { generic: cmd(inst.notify) } : {}),
  };
  return instanceSettings({
    name: inst.name,
    vrid: inst.virtualRouterId,
    priority: inst.priority,
    interface: inst.interface,
    vips,
    ...(excluded.length ? { excludedVips: excluded } : {}),
    ...(inst.virtualRoutes.length ? { routes: inst.virtualRoutes } : {}),
    ...(inst.virtualRules.length ? { rules: inst.virtualRules } : {}),
    family,
    // IPv6 VRRP exists only in version 3.
    version: family === 6 ? 3 : inst.version,
    advertIntMs: inst.advertInt,
    ...(srcIp ? { srcIp } : {}),
    unicastPeers: inst.unicastPeer.map((p) => p.address),
    ...(inst.useVmac ? { vmac: { name: inst.useVmac, xmitBase: inst.vmacXmitBase } } : {}),
    ...(inst.unicastTtl !== null && inst.unicastTtl !== 255 ? { unicastTtl: inst.unicastTtl } : {}),
    ...(group && group !== standard ? { mcastGroup: group } : {}),
    // As keepalived: check_unicast_src, or a bound on any peer, turns on the source check;
    // unset bounds are 0 and 255.
    ...(inst.unicastPeer.length &&
    (inst.adverts.checkUnicastSrc ||
      ctx.checkUnicastSrc ||
      inst.unicastPeer.some((p) => p.minTtl !== null || p.maxTtl !== null))
      ? {
          unicastPeerTtl: inst.unicastPeer.map((p) => ({
            address: p.address,
            minTtl: p.minTtl ?? 0,
            maxTtl: p.maxTtl ?? 255,
          })),
        }
      : {}),
    ...(inst.authentication?.type === 'PASS' ? { authPass: inst.authentication.pass } : {}),
    initialState: inst.state,
    // keepalived honours nopreempt only for an instance that starts as BACKUP.
    preempt: !(inst.nopreempt && inst.state === 'BACKUP'),
    preemptDelayMs: inst.preemptDelay,
    accept: inst.accept,
    garp: {
      masterDelayMs: inst.garp.masterDelay,
      masterRepeat: inst.garp.masterRepeat,
      masterRefreshMs: inst.garp.masterRefresh,
      masterRefreshRepeat: inst.garp.masterRefreshRepeat,
      lowerPrioRepeat: inst.garp.lowerPrioRepeat ?? inst.garp.masterRepeat,
      lowerPrioDelayMs: inst.garp.lowerPrioDelay ?? inst.garp.masterDelay,
    },
    ...(ctx.garpPace ? { garpPace: ctx.garpPace } : {}),
    ...(inst.adverts.downTimerAdverts !== 3 ? { downTimerAdverts: inst.adverts.downTimerAdverts } : {}),
    ...(inst.adverts.lowerPrioNoAdvert ? { lowerPrioNoAdvert: true } : {}),
    ...(inst.adverts.higherPrioSendAdvert ? { higherPrioSendAdvert: true } : {}),
    notify,
    ...(ctx.syncGroup ? { syncGroup: true } : {}),
    ...(ctx.skipCheckAdvAddr ? { skipCheckAdvAddr: true } : {}),
  });
}

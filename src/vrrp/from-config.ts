// Pure: the config's vrrp_instance onto the speaker's settings, with
// global_defs filling what the instance leaves out.
import type { FloatlbConfig, ScriptRef, VrrpInstance } from '../config/model.js';
import { instanceSettings, type VrrpInstanceSettings } from './settings.js';

const cmd = (s: ScriptRef | null): string | undefined => s?.command;

/** garp_* defaults from global_defs are already folded into inst.garp by the parser. */
/** Every instance of a config, with what the rest of the config says about it. */
export function instancesFromConfig(config: FloatlbConfig): VrrpInstanceSettings[] {
  return config.vrrpInstances.map((inst) =>
    vrrpSettingsFromConfig(inst, {
      syncGroup: config.vrrpSyncGroups.some((g) => g.group.includes(inst.name)),
      skipCheckAdvAddr: config.globalDefs.vrrpSkipCheckAdvAddr,
      mcastGroup4: config.globalDefs.vrrpMcastGroup4,
      mcastGroup6: config.globalDefs.vrrpMcastGroup6,
    }),
  );
}

export function vrrpSettingsFromConfig(
  inst: VrrpInstance,
  ctx: { syncGroup?: boolean; skipCheckAdvAddr?: boolean; mcastGroup4?: string; mcastGroup6?: string } = {},
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
    // As keepalived: a bound on any peer turns on the source check, unset bounds are 0 and 255.
    ...(inst.unicastPeer.some((p) => p.minTtl !== null || p.maxTtl !== null)
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
      intervalMs: 0,
      lowerPrioRepeat: inst.garp.lowerPrioRepeat,
      lowerPrioDelayMs: inst.garp.lowerPrioDelay,
    },
    notify,
    ...(ctx.syncGroup ? { syncGroup: true } : {}),
    ...(ctx.skipCheckAdvAddr ? { skipCheckAdvAddr: true } : {}),
    ...(inst.strict ? { lowerPrioNoAdvert: true } : {}),
  });
}

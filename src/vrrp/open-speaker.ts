// A speaker on the real kernel: the raw VRRP socket, the frame sender for
// gratuitous ARP and unsolicited NA, and VIPs over rtnetlink. Shared by the
// director and the standalone runner.
import { FrameSender } from '../kernel/garp.js';
import { KernelRouteTable } from '../kernel/routes.js';
import type { Rtnl } from '../kernel/rtnetlink.js';
import { createVmac } from '../kernel/vmac.js';
import { VrrpSocket } from '../kernel/vrrp-socket.js';
import { discoverSrcIp, RtnlVipManager } from './rtnl-vips.js';
import type { VrrpInstanceSettings } from './settings.js';
import { VrrpSpeaker } from './speaker.js';
import type { SpeakerDeps } from './speaker-seams.js';

export async function openKernelSpeaker(
  settings: VrrpInstanceSettings,
  rtnl: Rtnl,
  events: Pick<SpeakerDeps, 'onState' | 'onWantMaster' | 'scripts' | 'drops' | 'pacer'>,
): Promise<{ speaker: VrrpSpeaker; srcIp: string }> {
  const srcIp =
    settings.srcIp ?? (await discoverSrcIp(rtnl, settings.interface, settings.family, settings.vips));
  const vmac = settings.vmac
    ? await createVmac(rtnl, {
        name: settings.vmac.name,
        parent: settings.interface,
        vrid: settings.vrid,
        family: settings.family,
      })
    : null;
  const sendIf = vmac && !settings.vmac?.xmitBase ? vmac.name : settings.interface;
  const transport = VrrpSocket.open({
    family: settings.family,
    ifname: sendIf,
    srcIp,
    unicastPeers: settings.unicastPeers,
    ...(settings.unicastTtl !== undefined ? { unicastTtl: settings.unicastTtl } : {}),
    ...(settings.mcastGroup ? { group: settings.mcastGroup } : {}),
  });
  // Gratuitous ARP/NA from the VMAC, so switches and clients learn the virtual MAC.
  const frames = FrameSender.open({ ifname: vmac?.name ?? settings.interface });
  const speaker = new VrrpSpeaker(settings, {
    transport,
    frames,
    vips: new RtnlVipManager(rtnl, settings.interface),
    routes: new KernelRouteTable(rtnl),
    srcIp,
    ...(vmac ? { afterStop: () => vmac.remove() } : {}),
    ...events,
  });
  return { speaker, srcIp };
}

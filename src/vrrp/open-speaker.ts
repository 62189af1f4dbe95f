// A speaker on the real kernel: the raw VRRP socket, the frame sender for
// gratuitous ARP and unsolicited NA, and VIPs over rtnetlink. Shared by the
// director and the standalone runner.
import { FrameSender } from '../kernel/garp.js';
import { KernelRouteTable } from '../kernel/routes.js';
import type { Rtnl } from '../kernel/rtnetlink.js';
import { VrrpSocket } from '../kernel/vrrp-socket.js';
import { discoverSrcIp, RtnlVipManager } from './rtnl-vips.js';
import type { VrrpInstanceSettings } from './settings.js';
import { type SpeakerDeps, VrrpSpeaker } from './speaker.js';

export async function openKernelSpeaker(
  settings: VrrpInstanceSettings,
  rtnl: Rtnl,
  events: Pick<SpeakerDeps, 'onState' | 'onWantMaster' | 'scripts'>,
): Promise<{ speaker: VrrpSpeaker; srcIp: string }> {
  const srcIp =
    settings.srcIp ?? (await discoverSrcIp(rtnl, settings.interface, settings.family, settings.vips));
  const transport = VrrpSocket.open({
    family: settings.family,
    ifname: settings.interface,
    srcIp,
    unicastPeers: settings.unicastPeers,
    ...(settings.unicastTtl !== undefined ? { unicastTtl: settings.unicastTtl } : {}),
    ...(settings.mcastGroup ? { group: settings.mcastGroup } : {}),
  });
  const frames = FrameSender.open({ ifname: settings.interface });
  const speaker = new VrrpSpeaker(settings, {
    transport,
    frames,
    vips: new RtnlVipManager(rtnl, settings.interface),
    routes: new KernelRouteTable(rtnl),
    srcIp,
    ...events,
  });
  return { speaker, srcIp };
}

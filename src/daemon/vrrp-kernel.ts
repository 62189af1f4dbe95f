// Kernel-backed dependencies of the VRRP manager: raw VRRP sockets, frame
// senders for gratuitous ARP, VIPs over rtnetlink, and track scripts.
import type { FloatlbConfig, VrrpScript } from '../config/model.js';
import { runScript, splitCommand } from '../health/script.js';
import { resolveIdentity } from '../health/users.js';
import type { Rtnl } from '../kernel/rtnetlink.js';
import type { VrrpDeps } from '../vrrp/manager.js';
import { openKernelSpeaker } from '../vrrp/open-speaker.js';

export function kernelVrrpDeps(
  config: FloatlbConfig,
  rtnl: Rtnl,
  onRole: NonNullable<VrrpDeps['onRole']>,
): VrrpDeps {
  const scriptUser = config.globalDefs.scriptUser;
  return {
    async createSpeaker(settings, emit) {
      return (await openKernelSpeaker(settings, rtnl, emit)).speaker;
    },
    async linkUp(ifname) {
      const l = await rtnl.link(ifname);
      return l.up && l.lowerUp;
    },
    async runTrackScript(s: VrrpScript) {
      const user = s.user ?? scriptUser;
      const id = user ? resolveIdentity(user, s.group ?? undefined) : null;
      const r = await runScript(splitCommand(s.script), {
        timeoutMs: s.timeout ?? s.interval,
        ...(id ? { uid: id.uid, gid: id.gid } : {}),
      });
      return r.code === 0 && !r.timedOut;
    },
    onRole,
  };
}

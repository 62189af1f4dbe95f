// Kernel-backed dependencies of the VRRP manager: raw VRRP sockets, frame
// senders for gratuitous ARP, VIPs over rtnetlink, track scripts, and the
// IPVS connection-sync daemon that follows the role.
import type { FloatlbConfig, VrrpScript } from '../config/model.js';
import { runScript, splitCommand } from '../health/script.js';
import { resolveIdentity } from '../health/users.js';
import type { DataPlane } from '../kernel/dataplane.js';
import type { IpvsDataPlane } from '../kernel/ipvs/client.js';
import type { Rtnl } from '../kernel/rtnetlink.js';
import { logger } from '../util/log.js';
import type { NotifyState } from '../vrrp/machine.js';
import { openKernelSpeaker } from '../vrrp/open-speaker.js';
import type { VrrpDeps } from './vrrp-manager.js';

const log = logger('vrrp');

export function kernelVrrpDeps(
  config: FloatlbConfig,
  rtnl: Rtnl,
  plane: DataPlane,
  onState: (instance: string, state: NotifyState) => void,
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
    onRole(instance, state) {
      onState(instance, state);
      void moveSyncDaemon(config, plane, instance, state);
    },
  };
}

/** lvs_sync_daemon: master while its instance is MASTER, backup otherwise. */
async function moveSyncDaemon(config: FloatlbConfig, plane: DataPlane, instance: string, state: NotifyState) {
  const sd = config.globalDefs.lvsSyncDaemon;
  if (!sd || plane.kind !== 'ipvs' || (sd.instance && sd.instance !== instance)) return;
  const client = (plane as IpvsDataPlane).client;
  const want = state === 'MASTER' ? 'master' : state === 'STOP' ? null : 'backup';
  try {
    const running = await client.daemons();
    for (const d of running) if (d.state !== want) await client.stopDaemon(d.state);
    if (want && !running.some((d) => d.state === want)) {
      await client.startDaemon({
        state: want,
        ifname: sd.interface,
        syncId: sd.syncId ?? 0,
        ...(sd.maxlen ? { maxLen: sd.maxlen } : {}),
        ...(sd.group ? { group: sd.group } : {}),
        ...(sd.port ? { port: sd.port } : {}),
        ...(sd.ttl ? { ttl: sd.ttl } : {}),
      });
    }
    log.info({ instance, state, syncDaemon: want ?? 'stopped' }, 'connection sync follows VRRP');
  } catch (e) {
    log.error({ err: (e as Error).message, instance, state }, 'connection sync daemon change failed');
  }
}

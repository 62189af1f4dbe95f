// Kernel-backed dependencies of the VRRP manager: raw VRRP sockets, frame
// senders for gratuitous ARP, VIPs over rtnetlink, and scripts run as their
// configured user (or script_user) under enable_script_security.
import type { FloatlbConfig, VrrpScript } from '../config/model.js';
import { runScript, splitCommand } from '../health/script.js';
import { checkScript } from '../health/script-security.js';
import { resolveIdentity } from '../health/users.js';
import { scanProcesses } from '../kernel/proc-scan.js';
import type { Rtnl } from '../kernel/rtnetlink.js';
import { logger } from '../util/log.js';
import type { VrrpDeps } from '../vrrp/manager.js';
import { openKernelSpeaker } from '../vrrp/open-speaker.js';

const log = logger('vrrp');

/** Notify scripts are not timed out by keepalived; this bound only reaps a hung one. */
const NOTIFY_TIMEOUT_MS = 10 * 60_000;

/** The identity a script runs as: its own user/group, else script_user, else root. */
function identityOf(config: FloatlbConfig, user: string | null, group: string | null) {
  const u = user ?? config.globalDefs.scriptUser;
  const g = user ? group : (group ?? config.globalDefs.scriptGroup);
  return u ? resolveIdentity(u, g ?? undefined) : null;
}

export function kernelVrrpDeps(
  config: () => FloatlbConfig,
  rtnl: Rtnl,
  onRole: NonNullable<VrrpDeps['onRole']>,
): VrrpDeps {
  return {
    async createSpeaker(settings, events) {
      return (
        await openKernelSpeaker(settings, rtnl, {
          onState: (s, p) => events.onState(s, p),
          onWantMaster: () => events.onWantMaster(),
        })
      ).speaker;
    },
    async linkUp(ifname) {
      const l = await rtnl.link(ifname);
      return l.up && l.lowerUp;
    },
    async runTrackScript(s: VrrpScript) {
      const id = identityOf(config(), s.user, s.group);
      const r = await runScript(splitCommand(s.script), {
        timeoutMs: s.timeout ?? s.interval,
        ...(id ? { uid: id.uid, gid: id.gid } : {}),
      });
      return r.code === 0 && !r.timedOut;
    },
    listProcesses: (withCmdline) => scanProcesses(withCmdline),
    runGroupNotify(argv, script) {
      const c = config();
      let id: { uid: number; gid: number } | null;
      try {
        id = identityOf(c, script.user, script.group);
      } catch (e) {
        log.error({ script: script.command, err: (e as Error).message }, 'notify script not run');
        return;
      }
      const refused = checkScript(argv[0] ?? '', id?.uid ?? 0, c.globalDefs.enableScriptSecurity);
      if (refused) {
        log.error({ script: script.command }, refused);
        return;
      }
      void runScript([...argv], {
        timeoutMs: NOTIFY_TIMEOUT_MS,
        ...(id ? { uid: id.uid, gid: id.gid } : {}),
      }).then((r) => {
        if (r.code !== 0)
          log.warn({ script: script.command, code: r.code, error: r.error }, 'notify script failed');
      });
    },
    onRole,
  };
}

// Kernel-backed dependencies of the VRRP manager: raw VRRP sockets, frame
// senders for gratuitous ARP, VIPs over rtnetlink, and scripts run as their
// configured user (or script_user) under enable_script_security.
import type { FloatlbConfig, ScriptRef, VrrpInstance, VrrpScript } from '../config/model.js';
import { runScript, splitCommand } from '../health/script.js';
import { checkScript } from '../health/script-security.js';
import { resolveIdentity } from '../health/users.js';
import { scanProcesses } from '../kernel/proc-scan.js';
import type { Rtnl } from '../kernel/rtnetlink.js';
import { NftVipFirewall } from '../kernel/vip-firewall.js';
import { logger } from '../util/log.js';
import { GarpPacer } from '../vrrp/garp-pacer.js';
import type { VrrpDeps } from '../vrrp/manager.js';
import type { NotifyKind, ScriptRunner } from '../vrrp/notify.js';
import { openKernelSpeaker } from '../vrrp/open-speaker.js';
import { realClock } from '../vrrp/speaker-seams.js';
import { VipDropRules } from '../vrrp/vip-drop.js';

const log = logger('vrrp');

/** Notify scripts are not timed out by keepalived; this bound only reaps a hung one. */
const NOTIFY_TIMEOUT_MS = 10 * 60_000;

/** keepalived's default script user, used when script_user is not set and it exists. */
export const DEFAULT_SCRIPT_USER = 'keepalived_script';

function defaultUserExists(): boolean {
  try {
    resolveIdentity(DEFAULT_SCRIPT_USER);
    return true;
  } catch {
    return false;
  }
}

/** The identity a script runs as: its own user/group, else script_user, else keepalived_script, else root. */
function identityOf(config: FloatlbConfig, user: string | null, group: string | null) {
  const u = user ?? config.globalDefs.scriptUser ?? (defaultUserExists() ? DEFAULT_SCRIPT_USER : null);
  const g = user ? group : (group ?? config.globalDefs.scriptGroup);
  return u ? resolveIdentity(u, g ?? undefined) : null;
}

/** The user and group of every VRRP script, notify and track. */
function scriptOwners(c: FloatlbConfig): Array<{ user: string | null; group: string | null }> {
  const refs = [
    ...c.vrrpInstances.flatMap((i) => [
      i.notifyMaster,
      i.notifyBackup,
      i.notifyFault,
      i.notifyStop,
      i.notify,
    ]),
    ...c.vrrpSyncGroups.flatMap((g) => [
      g.notifyMaster,
      g.notifyBackup,
      g.notifyFault,
      g.notifyStop,
      g.notify,
    ]),
  ];
  return [...refs.filter((r): r is ScriptRef => r !== null), ...c.vrrpScripts];
}

/** keepalived's start-up warnings about who runs the scripts. */
function warnScriptUsers(c: FloatlbConfig): void {
  const owners = scriptOwners(c);
  if (!c.globalDefs.scriptUser && owners.some((o) => !o.user) && !defaultUserExists())
    log.warn(`Script user '${DEFAULT_SCRIPT_USER}' does not exist: scripts without a user run as root`);
  const asRoot = owners.some((o) => {
    try {
      return (identityOf(c, o.user, o.group)?.uid ?? 0) === 0;
    } catch {
      return false;
    }
  });
  if (asRoot && !c.globalDefs.enableScriptSecurity)
    log.warn('SECURITY VIOLATION - scripts are being executed but script_security not enabled');
}

const INSTANCE_REF = {
  master: 'notifyMaster',
  backup: 'notifyBackup',
  fault: 'notifyFault',
  stop: 'notifyStop',
  generic: 'notify',
} as const satisfies Record<NotifyKind, keyof VrrpInstance>;

/**
 * Runs a notify script as keepalived does: as its user (or script_user, or
 * keepalived_script, or root), not at all when the user is unknown or when
 * enable_script_security finds a root script others could change.
 */
function runNotify(c: FloatlbConfig, argv: readonly string[], script: ScriptRef): void {
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
}

/**
 * Why keepalived would disable a vrrp_script: its user or group unknown, its
 * file missing or not executable, or (enable_script_security) a root script
 * that others could change. Null when it may run.
 */
export function trackScriptRefusal(c: FloatlbConfig, s: VrrpScript): string | null {
  let id: { uid: number } | null;
  try {
    id = identityOf(c, s.user, s.group);
  } catch (e) {
    return (e as Error).message;
  }
  return checkScript(splitCommand(s.script)[0] ?? '', id?.uid ?? 0, c.globalDefs.enableScriptSecurity);
}

export function kernelVrrpDeps(
  config: () => FloatlbConfig,
  rtnl: Rtnl,
  onRole: NonNullable<VrrpDeps['onRole']>,
): VrrpDeps {
  warnScriptUsers(config());
  const drops = new VipDropRules(new NftVipFirewall());
  // Rules a previous run left (it stopped without releasing its VIPs) go before any instance starts.
  if (config().vrrpInstances.some((i) => !i.accept && i.priority !== 255)) void drops.set('', []);
  // One pacer for all instances: garp intervals count per interface, not per instance.
  const pacer = new GarpPacer(realClock);
  return {
    async createSpeaker(settings, events) {
      const scripts: ScriptRunner = {
        run(argv, kind) {
          const c = config();
          const inst = c.vrrpInstances.find((i) => i.name === settings.name);
          const ref = kind && inst?.[INSTANCE_REF[kind]];
          if (ref) runNotify(c, argv, ref);
        },
      };
      return (
        await openKernelSpeaker(settings, rtnl, {
          onState: (s, p) => events.onState(s, p),
          onWantMaster: () => events.onWantMaster(),
          scripts,
          drops,
          pacer,
        })
      ).speaker;
    },
    async linkUp(ifname) {
      const l = await rtnl.link(ifname);
      return l.up && l.lowerUp;
    },
    scriptRefused: (s, c) => trackScriptRefusal(c, s),
    async runTrackScript(s: VrrpScript) {
      let id: { uid: number; gid: number } | null;
      try {
        id = identityOf(config(), s.user, s.group);
      } catch (e) {
        log.error({ script: s.name, err: (e as Error).message }, 'track script not run');
        return false;
      }
      const r = await runScript(splitCommand(s.script), {
        timeoutMs: s.timeout ?? s.interval,
        ...(id ? { uid: id.uid, gid: id.gid } : {}),
      });
      return r.code === 0 && !r.timedOut;
    },
    listProcesses: (withCmdline) => scanProcesses(withCmdline),
    runGroupNotify: (argv, script) => runNotify(config(), argv, script),
    onRole,
  };
}

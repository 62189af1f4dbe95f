// What the director runs beside the data plane for a virtual server:
// quorum_up/quorum_down scripts (as their user, under script security), and
// the host's addresses that ha_suspend looks at.
import { networkInterfaces } from 'node:os';
import type { FloatlbConfig } from '../config/index.js';
import type { ScriptRef } from '../config/model.js';
import type { NotifyScript } from '../health/index.js';
import { runNotifyScript } from '../health/notify.js';
import { logger } from '../util/log.js';
import { realServerKey, virtualServerId } from './desired.js';

const log = logger('director');

/** Runs a quorum script; `what` names it and its virtual server for the log. */
export type ScriptRunner = (script: NotifyScript, what: string) => Promise<void>;

export const QUORUM_SCRIPT_TIMEOUT_MS = 10_000;
/** How often ha_suspend looks at this host's addresses. */
export const HA_SUSPEND_POLL_MS = 1000;

/** The script as configured, run as global_defs script_user when it names no user (keepalived's rule). */
export function scriptFor(
  ref: ScriptRef,
  scriptUser: string | null,
  scriptGroup: string | null,
): NotifyScript {
  const user = ref.user ?? scriptUser;
  const group = ref.user ? ref.group : scriptGroup;
  return { command: ref.command, ...(user ? { user } : {}), ...(user && group ? { group } : {}) };
}

export function defaultScriptRunner(enableScriptSecurity: boolean): ScriptRunner {
  return async (s, what) => {
    const r = await runNotifyScript(s, { enableScriptSecurity, timeoutMs: QUORUM_SCRIPT_TIMEOUT_MS });
    if (r.timedOut || r.error || r.code !== 0)
      log.warn({ script: what, ...r }, 'quorum script did not exit 0');
  };
}

/** Every address on this host's interfaces, as Node reports them. */
export function hostAddresses(): ReadonlySet<string> {
  const out = new Set<string>();
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) out.add(a.address);
  return out;
}

/**
 * ha_suspend: a virtual server whose address this host does not hold (the
 * VRRP backup) has its checks paused; they resume when the address comes.
 * `suspended` holds the virtual servers paused now and is updated.
 */
export function applyHaSuspend(
  config: FloatlbConfig,
  suspended: Set<string>,
  set: (target: string, suspend: boolean) => void,
  localAddresses: () => ReadonlySet<string>,
): void {
  const withSuspend = config.virtualServers.filter((v) => v.haSuspend && v.target.kind === 'ip');
  if (!withSuspend.length) return;
  const local = localAddresses();
  for (const vs of withSuspend) {
    const id = virtualServerId(vs);
    const vip = vs.target.kind === 'ip' ? vs.target.address : '';
    const suspend = !local.has(vip);
    if (suspend === suspended.has(id)) continue;
    if (suspend) suspended.add(id);
    else suspended.delete(id);
    log.info(
      { virtualServer: id, vip },
      suspend ? 'ha_suspend: checks paused' : 'ha_suspend: checks resumed',
    );
    for (const rs of vs.realServers) set(realServerKey(vs, rs), suspend);
  }
}

// What the director runs beside the data plane for a virtual server:
// quorum_up/quorum_down scripts (as their user, under script security), and
// the host's addresses that ha_suspend looks at.
import { networkInterfaces } from 'node:os';
import type { ScriptRef } from '../config/model.js';
import type { NotifyScript } from '../health/index.js';
import { runNotifyScript } from '../health/notify.js';
import { logger } from '../util/log.js';

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

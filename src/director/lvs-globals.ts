// keepalived's global LVS settings, applied through the plane's optional
// LvsGlobalControl: lvs_timeouts (IPVS set-timeout) at start and whenever a
// reload changes them, lvs_flush at start only. A plane without the
// capability (nftables) says so in a warning instead of ignoring them.
import type { GlobalDefs } from '../config/model.js';
import type { DataPlane, LvsTimeouts } from '../kernel/dataplane.js';
import { logger } from '../util/log.js';

const log = logger('director');

/** The timeouts to set, in seconds (0: leave as it is), or null when none is configured. */
export function wantedTimeouts(g: GlobalDefs): LvsTimeouts | null {
  const t = g.lvsTimeouts;
  if (t.tcp === null && t.tcpFin === null && t.udp === null) return null;
  const s = (ms: number | null) => (ms === null ? 0 : Math.round(ms / 1000));
  return { tcp: s(t.tcp), tcpFin: s(t.tcpFin), udp: s(t.udp) };
}

export interface GlobalsResult {
  /** What was set last (compare before setting again on reload). */
  readonly timeouts: LvsTimeouts | null;
  readonly warnings: string[];
}

/**
 * Applies lvs_flush (at start only) and lvs_timeouts (when they differ from
 * `last`). Returns what is now set and the warnings it logged.
 */
export async function applyLvsGlobals(
  plane: DataPlane,
  g: GlobalDefs,
  atStart: boolean,
  last: LvsTimeouts | null,
): Promise<GlobalsResult> {
  const warnings: string[] = [];
  const ctl = plane.lvsGlobals;
  const warn = (msg: string) => {
    warnings.push(msg);
    log.warn(msg);
  };
  if (atStart && g.lvsFlush) {
    if (ctl) {
      await ctl.flushAll();
      log.warn('lvs_flush: every IPVS virtual service was removed at start, as configured');
    } else {
      warn(`lvs_flush: the ${plane.kind} plane has no IPVS table to flush; nothing was removed`);
    }
  }
  const want = wantedTimeouts(g);
  if (want === null) return { timeouts: last, warnings };
  if (!ctl) {
    warn(
      `lvs_timeouts: the ${plane.kind} plane has no IPVS connection timeouts; not applied (conntrack's own timeouts hold)`,
    );
    return { timeouts: last, warnings };
  }
  if (last && last.tcp === want.tcp && last.tcpFin === want.tcpFin && last.udp === want.udp) {
    return { timeouts: last, warnings };
  }
  await ctl.setTimeouts(want);
  log.info({ tcp: want.tcp, tcpfin: want.tcpFin, udp: want.udp }, 'lvs_timeouts applied');
  return { timeouts: want, warnings };
}

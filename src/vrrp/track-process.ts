// vrrp_track_process: the number of running processes that match, held
// against [quorum, quorum_max], with fork_delay/terminate_delay before a
// change of result counts. Matching and the delay are pure; the tracker only
// feeds them scans.
import type { VrrpTrackProcess } from '../config/model.js';
import { logger } from '../util/log.js';

const log = logger('vrrp');

/** One running process as a scan sees it. */
export interface ProcInfo {
  readonly comm: string;
  readonly argv: readonly string[];
}

/** keepalived's match: exact, never a pattern ("ssh" does not match sshd). */
export function matchesProcess(def: VrrpTrackProcess, p: ProcInfo): boolean {
  if (!def.fullCommand && !def.matchParams) return p.comm === def.process.slice(0, 15);
  if (p.argv[0] !== def.process) return false;
  if (!def.matchParams) return true;
  const have = p.argv.slice(1);
  const want = def.params;
  if (def.paramMatch === null) return have.length === want.length && want.every((w, i) => have[i] === w);
  if (have.length < want.length) return false;
  const last = want.length - 1;
  return want.every((w, i) =>
    def.paramMatch === 'initial' && i === last ? have[i]!.startsWith(w) : have[i] === w,
  );
}

export function countMatching(def: VrrpTrackProcess, procs: readonly ProcInfo[]): number {
  let n = 0;
  for (const p of procs) if (matchesProcess(def, p)) n++;
  return n;
}

/** Whether a count is within the quorum. */
export function quorumUp(def: VrrpTrackProcess, count: number): boolean {
  return count >= def.quorum && count <= def.quorumMax;
}

/** The tracker's result, and a change that waits for its delay. */
export interface ProcState {
  readonly up: boolean;
  readonly pending: { readonly to: boolean; readonly at: number } | null;
}

/**
 * One observation at time `now` (ms): a change of the quorum result is taken
 * after fork_delay (gained) or terminate_delay (lost); a result that swings
 * back before then cancels it.
 */
export function stepProcess(def: VrrpTrackProcess, s: ProcState, ok: boolean, now: number): ProcState {
  if (ok === s.up) return { up: s.up, pending: null };
  const pending =
    s.pending?.to === ok ? s.pending : { to: ok, at: now + (ok ? def.forkDelay : def.terminateDelay) };
  return now >= pending.at ? { up: ok, pending: null } : { up: s.up, pending };
}

export class ProcessTracker {
  private state: ProcState;
  private timer: NodeJS.Timeout | null = null;
  private count: number | null = null;
  private started: boolean;

  constructor(
    readonly def: VrrpTrackProcess,
    /** Asks for a fresh scan (when a delay runs out). */
    private readonly rescan: () => void,
    private readonly onChange: (up: boolean) => void,
    /** A replaced tracker's result, so a reload changes nothing by itself. */
    initialUp: boolean | null = null,
  ) {
    this.state = { up: initialUp ?? false, pending: null };
    this.started = initialUp !== null;
  }

  /** The quorum result; null before the first scan. */
  get up(): boolean | null {
    return this.started ? this.state.up : null;
  }

  /** A scan's processes. The first scan sets the result at once, as keepalived does at start. */
  observe(procs: readonly ProcInfo[], now: number): void {
    const count = countMatching(this.def, procs);
    if (count !== this.count) log.info({ trackProcess: this.def.name, count }, 'tracked process count');
    this.count = count;
    const ok = quorumUp(this.def, count);
    if (!this.started) {
      this.started = true;
      this.state = { up: ok, pending: null };
      return;
    }
    const next = stepProcess(this.def, this.state, ok, now);
    const changed = next.up !== this.state.up;
    this.state = next;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (next.pending) this.timer = setTimeout(() => this.rescan(), Math.max(0, next.pending.at - now));
    if (changed) {
      log.info({ trackProcess: this.def.name, count, up: next.up }, 'track process changed');
      this.onChange(next.up);
    }
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
  }
}

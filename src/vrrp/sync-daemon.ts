// lvs_sync_daemon follows the VRRP role: the connection-sync daemon is master
// while its instance is MASTER and backup otherwise. Reconciled: each pass
// reads what the kernel runs, applies the difference, and a failed pass is
// retried until it succeeds.
import type { LvsSyncDaemon } from '../config/model.js';
import type { SyncDaemonControl, SyncDaemonSpec } from '../kernel/dataplane.js';
import { logger } from '../util/log.js';
import type { VrrpState } from './machine.js';

const log = logger('vrrp');

/** The daemon wanted for these instance states; null when none should run. */
export function wantedSyncDaemon(
  sd: LvsSyncDaemon | null,
  roles: ReadonlyMap<string, VrrpState>,
): SyncDaemonSpec | null {
  if (!sd) return null;
  // Without an instance name any instance decides, as a MASTER anywhere.
  const states = sd.instance ? [roles.get(sd.instance)] : [...roles.values()];
  const live = states.filter((s): s is VrrpState => s !== undefined && s !== 'STOP');
  if (!live.length) return null;
  return {
    state: live.includes('MASTER') ? 'master' : 'backup',
    ifname: sd.interface,
    syncId: sd.syncId ?? 0,
    ...(sd.maxlen ? { maxLen: sd.maxlen } : {}),
    ...(sd.group ? { group: sd.group } : {}),
    ...(sd.port ? { port: sd.port } : {}),
    ...(sd.ttl ? { ttl: sd.ttl } : {}),
  };
}

/** Fields the config sets must match; the kernel fills in the others. */
function matches(want: SyncDaemonSpec, have: SyncDaemonSpec): boolean {
  return (
    want.state === have.state &&
    want.ifname === have.ifname &&
    want.syncId === have.syncId &&
    (want.maxLen === undefined || want.maxLen === have.maxLen) &&
    (want.group === undefined || want.group === have.group) &&
    (want.port === undefined || want.port === have.port) &&
    (want.ttl === undefined || want.ttl === have.ttl)
  );
}

export interface SyncDaemonPlan {
  readonly stop: ReadonlyArray<SyncDaemonSpec['state']>;
  readonly start: SyncDaemonSpec | null;
}

/** Pure: what to stop and start to get from the running daemons to the wanted one. */
export function planSyncDaemon(
  want: SyncDaemonSpec | null,
  running: readonly SyncDaemonSpec[],
): SyncDaemonPlan {
  const keep = want ? running.find((d) => matches(want, d)) : undefined;
  return {
    stop: running.filter((d) => d !== keep).map((d) => d.state),
    start: want && !keep ? want : null,
  };
}

export interface SyncFollowerOptions {
  /** First retry delay after a failed pass; doubles up to maxRetryMs (default 1 s, 30 s). */
  readonly retryMs?: number;
  readonly maxRetryMs?: number;
}

export class SyncDaemonFollower {
  private running: Promise<void> | null = null;
  private again = false;
  private retry: NodeJS.Timeout | null = null;
  private delay: number;
  private closed = false;
  /** Set once a daemon was wanted: until then the kernel's daemons are not ours to stop. */
  private owned = false;
  failures = 0;

  constructor(
    private readonly control: SyncDaemonControl,
    private readonly want: () => SyncDaemonSpec | null,
    private readonly opts: SyncFollowerOptions = {},
  ) {
    this.delay = opts.retryMs ?? 1000;
  }

  /** Runs a pass now (coalesced with one in flight); resolves when the kernel matches or the pass failed. */
  poke(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        await this.pass();
      } while (this.again && !this.closed);
    })().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** Stops retrying; the kernel's daemons stay as they are. */
  close(): void {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
  }

  private async pass(): Promise<void> {
    const want = this.want();
    if (want) this.owned = true;
    if (!this.owned) return;
    try {
      const plan = planSyncDaemon(want, await this.control.running());
      for (const s of plan.stop) await this.control.stop(s);
      if (plan.start) await this.control.start(plan.start);
      if (plan.stop.length || plan.start) {
        log.info({ syncDaemon: want?.state ?? 'stopped' }, 'connection sync follows VRRP');
      }
      if (this.retry) clearTimeout(this.retry);
      this.retry = null;
      this.delay = this.opts.retryMs ?? 1000;
    } catch (e) {
      this.failures++;
      log.error(
        { err: (e as Error).message, syncDaemon: want?.state ?? 'stopped', retryInMs: this.delay },
        'connection sync daemon change failed',
      );
      this.scheduleRetry();
    }
  }

  private scheduleRetry(): void {
    if (this.closed || this.retry) return;
    const wait = this.delay;
    this.delay = Math.min(this.delay * 2, this.opts.maxRetryMs ?? 30_000);
    this.retry = setTimeout(() => {
      this.retry = null;
      void this.poke();
    }, wait);
  }
}

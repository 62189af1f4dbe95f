import { afterEach, describe, expect, it, vi } from 'vitest';
import type { LvsSyncDaemon } from '../../../src/config/model.js';
import type { SyncDaemonControl, SyncDaemonSpec } from '../../../src/kernel/dataplane.js';
import type { VrrpState } from '../../../src/vrrp/machine.js';
import { planSyncDaemon, SyncDaemonFollower, wantedSyncDaemon } from '../../../src/vrrp/sync-daemon.js';

const SD: LvsSyncDaemon = {
  interface: 'eth1',
  instance: 'VI_INT',
  syncId: 7,
  maxlen: null,
  port: null,
  ttl: null,
  group: null,
};

/** Behaves as the kernel does: one daemon per state, EEXIST on a second start, ESRCH on a stop of none. */
class FakeSyncDaemons implements SyncDaemonControl {
  daemons: SyncDaemonSpec[] = [];
  calls: string[] = [];
  /** The next n starts fail as the kernel does when the interface is missing. */
  failStarts = 0;

  async running(): Promise<SyncDaemonSpec[]> {
    // The kernel reports the fields it filled in itself.
    return this.daemons.map((d) => ({ maxLen: 1472, port: 8848, ttl: 1, ...d }));
  }
  async start(d: SyncDaemonSpec): Promise<void> {
    this.calls.push(`start ${d.state}`);
    if (this.failStarts > 0) {
      this.failStarts--;
      throw new Error('ENODEV: no such device');
    }
    if (this.daemons.some((x) => x.state === d.state)) throw new Error('EEXIST');
    this.daemons.push(d);
  }
  async stop(state: SyncDaemonSpec['state']): Promise<void> {
    this.calls.push(`stop ${state}`);
    if (!this.daemons.some((x) => x.state === state)) throw new Error('ESRCH');
    this.daemons = this.daemons.filter((x) => x.state !== state);
  }
}

afterEach(() => vi.useRealTimers());

describe('wantedSyncDaemon', () => {
  const roles = (s: VrrpState) =>
    new Map<string, VrrpState>([
      ['VI_INT', s],
      ['VI_EXT', 'BACKUP'],
    ]);

  it('follows the named instance: master only while it is MASTER', () => {
    expect(wantedSyncDaemon(SD, roles('MASTER'))).toEqual({ state: 'master', ifname: 'eth1', syncId: 7 });
    for (const s of ['INIT', 'BACKUP', 'FAULT'] as const)
      expect(wantedSyncDaemon(SD, roles(s))?.state).toBe('backup');
    expect(wantedSyncDaemon(SD, roles('STOP'))).toBeNull();
    expect(wantedSyncDaemon(null, roles('MASTER'))).toBeNull();
  });

  it('without an instance name, a MASTER anywhere makes it master', () => {
    const any = { ...SD, instance: null };
    expect(
      wantedSyncDaemon(
        any,
        new Map([
          ['A', 'BACKUP'],
          ['B', 'MASTER'],
        ] as const),
      )?.state,
    ).toBe('master');
    expect(wantedSyncDaemon(any, new Map([['A', 'BACKUP']] as const))?.state).toBe('backup');
    expect(wantedSyncDaemon(any, new Map())).toBeNull();
  });
});

describe('planSyncDaemon', () => {
  const master: SyncDaemonSpec = { state: 'master', ifname: 'eth1', syncId: 7 };
  it('keeps a running daemon that matches, whatever the kernel filled in', () => {
    expect(planSyncDaemon(master, [{ ...master, maxLen: 1472, port: 8848 }])).toEqual({
      stop: [],
      start: null,
    });
  });
  it('stops the other role and starts the wanted one', () => {
    expect(planSyncDaemon(master, [{ ...master, state: 'backup' }])).toEqual({
      stop: ['backup'],
      start: master,
    });
  });
  it('restarts a daemon whose settings changed, and stops all when none is wanted', () => {
    expect(planSyncDaemon(master, [{ ...master, syncId: 3 }])).toEqual({ stop: ['master'], start: master });
    expect(planSyncDaemon(null, [master])).toEqual({ stop: ['master'], start: null });
  });
});

describe('SyncDaemonFollower', () => {
  it('retries a failed start until the kernel runs the wanted daemon', async () => {
    vi.useFakeTimers();
    const k = new FakeSyncDaemons();
    k.failStarts = 2;
    let role: VrrpState = 'BACKUP';
    const f = new SyncDaemonFollower(k, () => wantedSyncDaemon(SD, new Map([['VI_INT', role]])), {
      retryMs: 100,
    });
    await f.poke();
    expect(k.daemons).toEqual([]);
    expect(f.failures).toBe(1);
    await vi.advanceTimersByTimeAsync(100); // second attempt fails too; next in 200 ms
    expect(f.failures).toBe(2);
    expect(k.daemons).toEqual([]);
    await vi.advanceTimersByTimeAsync(200);
    expect(k.daemons.map((d) => d.state)).toEqual(['backup']);
    expect(k.calls).toEqual(['start backup', 'start backup', 'start backup']);
    // The role moves: the next pass swaps the daemon, and nothing more is retried.
    role = 'MASTER';
    await f.poke();
    expect(k.daemons.map((d) => d.state)).toEqual(['master']);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(k.calls).toEqual(['start backup', 'start backup', 'start backup', 'stop backup', 'start master']);
    f.close();
  });

  it('re-applies the role when someone stopped the daemon behind its back', async () => {
    const k = new FakeSyncDaemons();
    const f = new SyncDaemonFollower(k, () => wantedSyncDaemon(SD, new Map([['VI_INT', 'MASTER']])));
    await f.poke();
    k.daemons = [];
    await f.poke();
    expect(k.daemons.map((d) => d.state)).toEqual(['master']);
    f.close();
  });

  it("leaves daemons it never wanted alone (no lvs_sync_daemon: not floatlb's)", async () => {
    const k = new FakeSyncDaemons();
    k.daemons = [{ state: 'master', ifname: 'eth9', syncId: 1 }];
    const f = new SyncDaemonFollower(k, () => null);
    await f.poke();
    expect(k.calls).toEqual([]);
    f.close();
  });

  it('stops its daemon when the config no longer asks for one', async () => {
    const k = new FakeSyncDaemons();
    let sd: LvsSyncDaemon | null = SD;
    const f = new SyncDaemonFollower(k, () => wantedSyncDaemon(sd, new Map([['VI_INT', 'BACKUP']])));
    await f.poke();
    sd = null;
    await f.poke();
    expect(k.daemons).toEqual([]);
    f.close();
  });
});

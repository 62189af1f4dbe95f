import { describe, expect, it } from 'vitest';
import type { ScriptRef, VrrpSyncGroup } from '../../../src/config/model.js';
import type { VrrpState } from '../../../src/vrrp/machine.js';
import {
  type GroupMember,
  groupNotifyCommands,
  groupState,
  SyncGroups,
} from '../../../src/vrrp/sync-groups.js';

const ref = (command: string): ScriptRef => ({ command, user: null, group: null });
const G: VrrpSyncGroup = {
  name: 'G',
  group: ['A', 'B'],
  trackInterface: [],
  trackScript: [],
  trackFile: [],
  trackProcess: [],
  notifyMaster: ref('/gm.sh x y'),
  notifyBackup: null,
  notifyFault: null,
  notifyStop: null,
  notify: ref('/notify.sh'),
  smtpAlert: null,
  globalTracking: false,
};

/** A member that moves as the machine does: weight-0 failures mean FAULT, sync() moves MASTER/BACKUP. */
class Member implements GroupMember {
  private readonly down = new Set<string>();
  readonly machine = {
    state: 'INIT' as VrrpState,
    wantsMaster: false,
    faultedBy: () => [...this.down],
  };
  readonly log: string[] = [];
  onState: (s: VrrpState) => void = () => {};
  track(name: string, up: boolean, weight: number): void {
    this.log.push(`track ${name} ${up} ${weight}`);
    if (weight !== 0) return;
    if (up) this.down.delete(name);
    else this.down.add(name);
    if (this.down.size && this.machine.state !== 'FAULT') this.set('FAULT');
    else if (!this.down.size && this.machine.state === 'FAULT') this.set('BACKUP');
  }
  sync(to: 'MASTER' | 'BACKUP'): void {
    this.log.push(`sync ${to}`);
    const from = this.machine.state;
    if ((to === 'MASTER' && from === 'BACKUP') || (to === 'BACKUP' && from === 'MASTER')) this.set(to);
  }
  set(s: VrrpState): void {
    this.machine.state = s;
    this.machine.wantsMaster = false;
    this.onState(s);
  }
}

function setup() {
  const m = { A: new Member(), B: new Member() };
  const runs: string[][] = [];
  const groups = new SyncGroups([G], {
    speaker: (n) => m[n as 'A' | 'B'],
    runNotify: (argv) => runs.push([...argv]),
  });
  for (const [name, member] of Object.entries(m)) {
    member.onState = (s) => groups.onState(name, s as 'MASTER');
  }
  /** What the manager does for a tracked input: feed it, then let the group look again. */
  const own = (name: 'A' | 'B', up: boolean) => {
    m[name].track('script:chk', up, 0);
    groups.refresh(name);
  };
  return { m, runs, groups, own };
}

describe('groupState', () => {
  it('is FAULT if any member is, the common state when all agree, null while moving', () => {
    expect(groupState(['MASTER', 'FAULT'])).toBe('FAULT');
    expect(groupState(['MASTER', 'MASTER'])).toBe('MASTER');
    expect(groupState(['MASTER', 'BACKUP'])).toBeNull();
    expect(groupState(['INIT', 'INIT'])).toBeNull();
  });
  it("builds keepalived's group notify arguments: GROUP NAME STATE 0", () => {
    expect(groupNotifyCommands(G, 'MASTER').map((c) => c.argv)).toEqual([
      ['/gm.sh', 'x', 'y'],
      ['/notify.sh', 'GROUP', 'G', 'MASTER', '0'],
    ]);
  });
});

describe('SyncGroups', () => {
  it('moves every member to MASTER once all want it, and notifies the group once per transition', () => {
    const { m, runs, groups } = setup();
    m.A.set('BACKUP');
    m.B.set('BACKUP');
    expect(runs).toEqual([['/notify.sh', 'GROUP', 'G', 'BACKUP', '0']]);
    m.A.machine.wantsMaster = true;
    groups.onWantMaster('A');
    expect(m.A.machine.state).toBe('BACKUP'); // B does not want it yet: prefer backup to thrashing
    m.B.machine.wantsMaster = true;
    groups.onWantMaster('B');
    expect([m.A.machine.state, m.B.machine.state]).toEqual(['MASTER', 'MASTER']);
    expect(runs.slice(1)).toEqual([
      ['/gm.sh', 'x', 'y'],
      ['/notify.sh', 'GROUP', 'G', 'MASTER', '0'],
    ]);
  });

  it('takes the others to BACKUP when one member yields, and to FAULT and back when one faults', () => {
    const { m, runs, own } = setup();
    m.A.set('BACKUP');
    m.B.set('BACKUP');
    m.A.set('MASTER'); // a priority-255 owner, or a group sync
    expect(m.B.machine.state).toBe('MASTER');
    m.A.set('BACKUP'); // A heard a higher priority
    expect(m.B.machine.state).toBe('BACKUP');
    expect(m.B.log).toContain('sync BACKUP');
    own('A', false);
    expect([m.A.machine.state, m.B.machine.state]).toEqual(['FAULT', 'FAULT']);
    expect(m.B.log.at(-1)).toBe('track sync:G false 0');
    // B's FAULT is the group's doing: it does not hold A once A recovers.
    own('A', true);
    expect([m.A.machine.state, m.B.machine.state]).toEqual(['BACKUP', 'BACKUP']);
    expect(m.B.log.at(-1)).toBe('track sync:G true 0');
    expect(runs.filter((r) => r[0] === '/notify.sh').map((r) => r.slice(2, 4).join(' '))).toEqual([
      'G BACKUP',
      'G MASTER',
      'G BACKUP',
      'G FAULT',
      'G BACKUP',
    ]);
  });
});

describe('SyncGroups: a fault that begins while the group already holds the member', () => {
  it('keeps the other member in FAULT until both own faults are gone', () => {
    const { m, own } = setup();
    m.A.set('BACKUP');
    m.B.set('BACKUP');
    own('A', false); // B held by the group
    own('B', false); // B now fails on its own too, without a state change
    own('A', true);
    expect([m.A.machine.state, m.B.machine.state]).toEqual(['FAULT', 'FAULT']);
    own('B', true);
    expect([m.A.machine.state, m.B.machine.state]).toEqual(['BACKUP', 'BACKUP']);
  });
});

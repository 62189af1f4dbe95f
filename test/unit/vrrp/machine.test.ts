import { describe, expect, it } from 'vitest';
import {
  compareIp,
  effectivePriority,
  type MachineConfig,
  masterDownMs,
  skewTimeMs,
  VrrpMachine,
} from '../../../src/vrrp/machine.js';
import { base } from './machine-base.js';

const DOWN_100 = 3000 + (156 * 1000) / 256; // 3609.375

function machine(over: Partial<MachineConfig> = {}): VrrpMachine {
  return new VrrpMachine({ ...base, ...over });
}
const advert = (src: string, priority: number, advertIntMs = 1000) =>
  ({ type: 'advert', src, priority, advertIntMs }) as const;
const types = (a: { type: string }[]) => a.map((x) => x.type);
const BECOME_MASTER = ['send-advert', 'add-vips', 'send-garp', 'notify'];

describe('timers (RFC 5798 6.1)', () => {
  it('computes skew and master-down', () => {
    expect(skewTimeMs(100, 1000)).toBe(609.375);
    expect(masterDownMs(100, 1000)).toBe(DOWN_100);
    expect(masterDownMs(254, 100)).toBeCloseTo(300.78125);
  });
  it('breaks ties on the higher primary address', () => {
    expect(compareIp('10.0.0.3', '10.0.0.2')).toBeGreaterThan(0);
    expect(compareIp('10.0.0.10', '10.0.0.9')).toBeGreaterThan(0);
    expect(compareIp('fe80::2', 'fe80::1')).toBeGreaterThan(0);
    expect(compareIp('fe80::1', 'fe80::1')).toBe(0);
  });
});

describe('Initialize', () => {
  it('BACKUP start waits Master_Down_Interval then becomes master', () => {
    const m = machine();
    expect(m.step({ type: 'start' }, 0)).toEqual([{ type: 'notify', state: 'BACKUP', priority: 100 }]);
    expect(m.nextDeadline()).toBe(DOWN_100);
    expect(m.step({ type: 'tick' }, DOWN_100 - 1)).toEqual([]);
    const a = m.step({ type: 'tick' }, DOWN_100);
    expect(a).toEqual([
      { type: 'send-advert', priority: 100 },
      { type: 'add-vips', accept: false },
      { type: 'send-garp', reason: 'became-master' },
      { type: 'notify', state: 'MASTER', priority: 100 },
    ]);
    expect(m.state).toBe('MASTER');
  });
  it('the address owner (255) becomes master at once, with accept', () => {
    const m = machine({ priority: 255 });
    const a = m.step({ type: 'start' }, 0);
    expect(types(a)).toEqual(BECOME_MASTER);
    expect(a[1]).toEqual({ type: 'add-vips', accept: true });
  });
  it('initial MASTER listens one interval plus skew for an existing master', () => {
    const m = machine({ initialState: 'MASTER' });
    m.step({ type: 'start' }, 0);
    expect(m.nextDeadline()).toBe(1000 + 609.375);
    expect(types(m.step({ type: 'tick' }, 1609.375))).toEqual(BECOME_MASTER);
  });
  it('initial MASTER that hears a higher master stays backup', () => {
    const m = machine({ initialState: 'MASTER' });
    m.step({ type: 'start' }, 0);
    m.step(advert('10.0.0.1', 200), 500);
    expect(m.step({ type: 'tick' }, 1609.375)).toEqual([]);
    expect(m.state).toBe('BACKUP');
    expect(m.master).toBe('10.0.0.1');
  });
  it('starts in FAULT when a tracked item is already down', () => {
    const m = machine();
    m.step({ type: 'track', name: 'eth0', up: false, weight: 0 }, 0);
    expect(m.step({ type: 'start' }, 0)).toEqual([{ type: 'notify', state: 'FAULT', priority: 100 }]);
    expect(m.nextDeadline()).toBeNull();
  });
});

describe('Backup', () => {
  it('a higher-priority advert resets Master_Down_Timer', () => {
    const m = machine();
    m.step({ type: 'start' }, 0);
    expect(m.step(advert('10.0.0.1', 200), 3000)).toEqual([]);
    expect(m.nextDeadline()).toBe(3000 + DOWN_100);
    expect(m.step({ type: 'tick' }, DOWN_100)).toEqual([]);
  });
  it('an equal-priority advert is accepted whatever the address', () => {
    const m = machine();
    m.step({ type: 'start' }, 0);
    m.step(advert('10.0.0.1', 100), 3000);
    expect(m.nextDeadline()).toBe(3000 + DOWN_100);
  });
  it('preempt: a lower-priority advert is discarded, so the backup takes over', () => {
    const m = machine({ priority: 150 });
    m.step({ type: 'start' }, 0);
    const down = masterDownMs(150, 1000);
    m.step(advert('10.0.0.1', 100), 1000);
    m.step(advert('10.0.0.1', 100), 2000);
    expect(m.nextDeadline()).toBe(down);
    expect(types(m.step({ type: 'tick' }, down))).toEqual(BECOME_MASTER);
  });
  it('nopreempt: a lower-priority master is kept', () => {
    const m = machine({ priority: 150, preempt: false });
    m.step({ type: 'start' }, 0);
    for (let t = 1000; t <= 20_000; t += 1000) {
      m.step(advert('10.0.0.1', 100), t);
      expect(m.step({ type: 'tick' }, t)).toEqual([]);
    }
    expect(m.state).toBe('BACKUP');
  });
  it('nopreempt with initial state MASTER is cleared, as keepalived does', () => {
    const m = machine({ priority: 150, preempt: false, initialState: 'MASTER' });
    const a = m.step({ type: 'start' }, 0);
    expect(a[0]).toMatchObject({ type: 'log', level: 'warn' });
    expect(m.preempts).toBe(true);
    m.step(advert('10.0.0.1', 100), 500);
    expect(types(m.step({ type: 'tick' }, 1000 + skewTimeMs(150, 1000)))).toEqual(BECOME_MASTER);
  });
  it('preempt_delay: a lower master is accepted until the delay has passed', () => {
    const m = machine({ priority: 150, preemptDelayMs: 10_000 });
    m.step({ type: 'start' }, 0);
    const down = masterDownMs(150, 1000);
    for (let t = 1000; t <= 10_000; t += 1000) {
      m.step(advert('10.0.0.1', 100), t);
      expect(m.step({ type: 'tick' }, t)).toEqual([]);
    }
    // The delay (from the first lower advert at 1000) ends at 11000; later adverts are discarded.
    m.step(advert('10.0.0.1', 100), 11_000);
    m.step(advert('10.0.0.1', 100), 12_000);
    expect(m.nextDeadline()).toBe(10_000 + down);
    expect(types(m.step({ type: 'tick' }, 10_000 + down))).toEqual(BECOME_MASTER);
  });
  it('a priority-0 release hands over after the skew time only', () => {
    const m = machine();
    m.step({ type: 'start' }, 0);
    m.step(advert('10.0.0.1', 200), 1000);
    m.step(advert('10.0.0.1', 0), 1500);
    expect(m.nextDeadline()).toBe(1500 + 609.375);
    expect(m.step({ type: 'tick' }, 2000)).toEqual([]);
    expect(types(m.step({ type: 'tick' }, 2109.375))).toEqual(BECOME_MASTER);
    expect(m.stats.releaseReceived).toBe(1);
  });
  it('v3 learns Master_Adver_Interval from the master', () => {
    const m = machine();
    m.step({ type: 'start' }, 0);
    m.step(advert('10.0.0.1', 200, 100), 1000);
    expect(m.nextDeadline()).toBe(1000 + masterDownMs(100, 100));
  });
  it('v2 keeps its configured interval', () => {
    const m = machine({ version: 2 });
    m.step({ type: 'start' }, 0);
    m.step(advert('10.0.0.1', 200, 100), 1000);
    expect(m.nextDeadline()).toBe(1000 + DOWN_100);
  });
});

describe('a starved event loop does not cause a spurious takeover', () => {
  // The master advertises at 0 and (queued, unread) at 900. The master-down
  // timer, due at 3609, fires late at 5000. The speaker drains the socket
  // before the tick, so the queued advert is seen first.
  it('with the queued advert drained first, the backup stays backup', () => {
    const m = machine();
    m.step({ type: 'start' }, -1000);
    m.step(advert('10.0.0.1', 200), 0);
    m.step(advert('10.0.0.1', 200), 5000); // read at 5000 (arrived at 900)
    expect(m.step({ type: 'tick' }, 5000)).toEqual([]);
    expect(m.state).toBe('BACKUP');
    expect(m.nextDeadline()).toBe(5000 + DOWN_100);
  });
  it('with nothing queued, the same late tick does take over', () => {
    const m = machine();
    m.step({ type: 'start' }, -1000);
    m.step(advert('10.0.0.1', 200), 0);
    expect(types(m.step({ type: 'tick' }, 5000))).toEqual(BECOME_MASTER);
  });
});

function master(over: Partial<MachineConfig> = {}): VrrpMachine {
  const m = machine({ priority: 255, ...over });
  m.step({ type: 'start' }, 0);
  return m;
}

describe('Master', () => {
  it('advertises every advert interval, scheduled from when it sent', () => {
    const m = master();
    expect(m.nextDeadline()).toBe(1000);
    expect(m.step({ type: 'tick' }, 999)).toEqual([]);
    expect(m.step({ type: 'tick' }, 1000)).toEqual([{ type: 'send-advert', priority: 255 }]);
    expect(m.step({ type: 'tick' }, 4500)).toEqual([{ type: 'send-advert', priority: 255 }]);
    expect(m.nextDeadline()).toBe(5500);
  });
  it('answers a priority-0 release with an advert at once', () => {
    const m = master();
    expect(m.step(advert('10.0.0.1', 0), 300)).toEqual([{ type: 'send-advert', priority: 255 }]);
    expect(m.nextDeadline()).toBe(1300);
  });
  it('yields to a higher priority as preemption: VIPs removed, not counted as split brain', () => {
    const m = machine({ priority: 100 });
    m.step({ type: 'start' }, 0);
    m.step({ type: 'tick' }, DOWN_100);
    const a = m.step(advert('10.0.0.1', 200), 5000);
    expect(a).toEqual([
      { type: 'other-master', peer: '10.0.0.1', peerPriority: 200, outcome: 'yield', kind: 'preemption' },
      { type: 'remove-vips' },
      { type: 'notify', state: 'BACKUP', priority: 100 },
    ]);
    expect(m.state).toBe('BACKUP');
    expect(m.stats.splitBrain).toBe(0);
    expect(m.nextDeadline()).toBe(5000 + DOWN_100);
  });
  it('a lower-priority master is preemption just after a takeover, split brain once that has had time', () => {
    const m = master(); // priority 255, master from 0
    const down255 = 3000 + 1000 / 256;
    const early = m.step(advert('10.0.0.1', 100), down255);
    expect(early[0]).toMatchObject({ type: 'other-master', outcome: 'stay-master', kind: 'preemption' });
    expect(m.stats.splitBrain).toBe(0);
    const late = m.step(advert('10.0.0.1', 100), down255 + 1);
    expect(late[0]).toMatchObject({ type: 'other-master', outcome: 'stay-master', kind: 'split-brain' });
    expect(m.stats.splitBrain).toBe(1);
    expect(m.state).toBe('MASTER');
  });
  it('equal priority: the higher address wins', () => {
    const m1 = master({ priority: 100, initialState: 'MASTER' });
    m1.step({ type: 'tick' }, 1609.375);
    expect(m1.state).toBe('MASTER');
    expect(types(m1.step(advert('10.0.0.3', 100), 2000))).toEqual(['other-master', 'remove-vips', 'notify']);
    const m2 = master({ priority: 100, initialState: 'MASTER' });
    m2.step({ type: 'tick' }, 1609.375);
    expect(m2.step(advert('10.0.0.1', 100), 2000)).toEqual([
      {
        type: 'other-master',
        peer: '10.0.0.1',
        peerPriority: 100,
        outcome: 'stay-master',
        kind: 'split-brain',
      },
      { type: 'send-advert', priority: 100 },
      { type: 'send-garp', reason: 'lower-priority-master' },
    ]);
    expect(m2.state).toBe('MASTER');
  });
  it('a lower-priority master gets an advert and a fresh GARP', () => {
    const m = master();
    const a = m.step(advert('10.0.0.9', 50), 500);
    expect(types(a)).toEqual(['other-master', 'send-advert', 'send-garp']);
  });
  it('shutdown sends priority 0, removes the VIPs and notifies STOP', () => {
    const m = master();
    expect(m.step({ type: 'shutdown' }, 500)).toEqual([
      { type: 'send-advert', priority: 0 },
      { type: 'remove-vips' },
      { type: 'notify', state: 'STOP', priority: 255 },
    ]);
    expect(m.state).toBe('STOP');
    expect(m.nextDeadline()).toBeNull();
    expect(m.step(advert('10.0.0.1', 100), 600)).toEqual([]);
  });
  it('shutdown from backup only notifies', () => {
    const m = machine();
    m.step({ type: 'start' }, 0);
    expect(m.step({ type: 'shutdown' }, 1)).toEqual([{ type: 'notify', state: 'STOP', priority: 100 }]);
  });
});

describe('Fault and tracking', () => {
  it('a failed weight-0 track releases mastership and enters FAULT; recovery returns to BACKUP', () => {
    const m = master({ priority: 200, initialState: 'MASTER' });
    m.step({ type: 'tick' }, 1000 + skewTimeMs(200, 1000));
    expect(m.state).toBe('MASTER');
    const a = m.step({ type: 'track', name: 'chk', up: false, weight: 0 }, 2000);
    expect(types(a)).toEqual(['log', 'send-advert', 'remove-vips', 'notify']);
    expect(a[1]).toEqual({ type: 'send-advert', priority: 0 });
    expect(m.state).toBe('FAULT');
    expect(m.step(advert('10.0.0.1', 100), 2200)).toEqual([]);
    expect(m.step({ type: 'tick' }, 2999)).toEqual([]);
    const r = m.step({ type: 'track', name: 'chk', up: true, weight: 0 }, 3000);
    expect(types(r)).toEqual(['log', 'notify']);
    expect(m.state).toBe('BACKUP');
    expect(m.nextDeadline()).toBe(3000 + masterDownMs(200, 1000));
  });
  it('a failed track in BACKUP also means FAULT', () => {
    const m = machine();
    m.step({ type: 'start' }, 0);
    m.step({ type: 'track', name: 'eth0', up: false, weight: 0 }, 1);
    expect(m.state).toBe('FAULT');
    expect(m.stats.becameFault).toBe(1);
  });
  it('weights move the effective priority within 1..254', () => {
    expect(effectivePriority(100, [{ up: true, weight: 20 }])).toBe(120);
    expect(effectivePriority(100, [{ up: false, weight: 20 }])).toBe(100);
    expect(effectivePriority(100, [{ up: false, weight: -30 }])).toBe(70);
    expect(effectivePriority(100, [{ up: true, weight: -30 }])).toBe(100);
    expect(effectivePriority(250, [{ up: true, weight: 20 }])).toBe(254);
    expect(effectivePriority(10, [{ up: false, weight: -50 }])).toBe(1);
    expect(effectivePriority(255, [{ up: false, weight: -50 }])).toBe(255);
  });
  it('a master whose priority drops advertises the new priority at once', () => {
    const m = machine({ priority: 150 });
    m.step({ type: 'start' }, 0);
    m.step({ type: 'tick' }, masterDownMs(150, 1000));
    const a = m.step({ type: 'track', name: 'chk', up: false, weight: -60 }, 4000);
    expect(a).toEqual([
      { type: 'log', level: 'info', msg: 'effective priority 150 -> 90 (chk)' },
      { type: 'send-advert', priority: 90 },
    ]);
    // A backup at 100 now preempts; this master yields to it.
    expect(types(m.step(advert('10.0.0.1', 100), 4100))).toEqual(['other-master', 'remove-vips', 'notify']);
  });
  it('a backup whose priority rises above the master preempts it', () => {
    const m = machine({ priority: 90 });
    m.step({ type: 'start' }, 0);
    m.step(advert('10.0.0.1', 100), 1000);
    m.step({ type: 'track', name: 'chk', up: true, weight: 20 }, 1500);
    expect(m.priority).toBe(110);
    m.step(advert('10.0.0.1', 100), 2000);
    expect(types(m.step({ type: 'tick' }, 1000 + masterDownMs(110, 1000)))).toEqual(BECOME_MASTER);
  });
});

describe('what operators are told', () => {
  it('keeps the peer priority it heard and the reason of each transition', () => {
    const m = machine();
    m.step({ type: 'start' }, 0);
    expect([m.peerPriority, m.reason]).toEqual([null, 'started']);
    m.step(advert('10.0.0.9', 150), 10);
    expect(m.peerPriority).toBe(150);
    // A release (priority 0) is the master leaving, not its priority.
    m.step(advert('10.0.0.9', 0), 20);
    expect([m.peerPriority, m.reason]).toEqual([150, 'started']);
    m.step({ type: 'tick' }, 10_000);
    expect(m.state).toBe('MASTER');
    expect(m.reason).toBe('master 10.0.0.9 released (priority 0)');
    m.step(advert('10.0.0.9', 200), 10_100);
    expect([m.state, m.peerPriority, m.reason]).toEqual(['BACKUP', 200, 'master 10.0.0.9 has priority 200']);
    // A release followed by normal adverts is forgotten: the next takeover is a timeout.
    m.step(advert('10.0.0.9', 0), 10_200);
    m.step(advert('10.0.0.9', 200), 10_300);
    m.step({ type: 'tick' }, 20_000);
    expect([m.state, m.reason]).toEqual(['MASTER', 'no advert from a master within master-down time']);
  });
});

describe('reload in place', () => {
  it('a master keeps its state; the next advert carries the new priority', () => {
    const m = machine({ initialState: 'MASTER', priority: 150 });
    m.step({ type: 'start' }, 0);
    m.step({ type: 'tick' }, 2000);
    expect(m.state).toBe('MASTER');
    const now = m.step({ type: 'reconfigure', changes: { priority: 80 } }, 2100);
    expect(types(now)).toEqual(['log']);
    expect(m.state).toBe('MASTER');
    expect(m.step({ type: 'tick' }, 3000)).toContainEqual({ type: 'send-advert', priority: 80 });
  });

  it('a backup re-bases Master_Down on the new priority', () => {
    const m = machine();
    m.step({ type: 'start' }, 0);
    m.step(advert('10.0.0.9', 200), 0);
    m.step({ type: 'reconfigure', changes: { priority: 254 } }, 10);
    expect(m.nextDeadline()).toBeCloseTo(masterDownMs(254, 1000));
  });

  it('untracking a failed weight-0 item leaves FAULT', () => {
    const m = machine();
    m.step({ type: 'start' }, 0);
    m.step({ type: 'track', name: 'script:x', up: false, weight: 0 }, 10);
    expect(m.state).toBe('FAULT');
    m.step({ type: 'untrack', name: 'script:x' }, 20);
    expect(m.state).toBe('BACKUP');
  });
});

describe('sync group member', () => {
  it('asks instead of taking over when Master_Down expires, and re-arms the timer', () => {
    const m = machine({ syncGroup: true });
    m.step({ type: 'start' }, 0);
    expect(m.step({ type: 'tick' }, DOWN_100)).toEqual([{ type: 'want-master' }]);
    expect(m.state).toBe('BACKUP');
    expect(m.wantsMaster).toBe(true);
    // An advert from a live master withdraws the wish.
    m.step(advert('10.0.0.9', 200), DOWN_100 + 1);
    expect(m.wantsMaster).toBe(false);
    expect(types(m.step({ type: 'sync', to: 'MASTER' }, DOWN_100 + 2))).toEqual(['log', ...BECOME_MASTER]);
  });

  it('leaves MASTER with the group by releasing (priority 0), and ignores syncs that do not apply', () => {
    const m = machine({ initialState: 'MASTER', priority: 255 });
    m.step({ type: 'start' }, 0);
    expect(m.state).toBe('MASTER');
    const out = m.step({ type: 'sync', to: 'BACKUP' }, 10);
    expect(out).toContainEqual({ type: 'send-advert', priority: 0 });
    expect(out).toContainEqual({ type: 'remove-vips' });
    expect(m.state).toBe('BACKUP');
    expect(m.step({ type: 'sync', to: 'BACKUP' }, 20)).toEqual([]);
    const f = machine();
    f.step({ type: 'start' }, 0);
    f.step({ type: 'track', name: 'if:eth0', up: false, weight: 0 }, 1);
    expect(f.step({ type: 'sync', to: 'MASTER' }, 2)).toEqual([]);
    expect(f.state).toBe('FAULT');
  });
});

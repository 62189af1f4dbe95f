import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseConfigText } from '../../../src/config/index.js';
import type { FloatlbConfig, VrrpScript } from '../../../src/config/model.js';
import { vrrpSettingsFromConfig } from '../../../src/vrrp/from-config.js';
import type { NotifyState, VrrpState } from '../../../src/vrrp/machine.js';
import { type SpeakerEvents, type SpeakerHandle, VrrpManager } from '../../../src/vrrp/manager.js';
import type { VrrpInstanceSettings } from '../../../src/vrrp/settings.js';

const CONF = `
vrrp_script chk_haproxy {
  script "/usr/bin/killall -0 haproxy"
  interval 2
  weight -20
  fall 2
  rise 2
}
vrrp_sync_group G1 {
  group {
    VI_1
    VI_2
  }
}
vrrp_instance VI_1 {
  state BACKUP
  nopreempt
  interface eth0
  virtual_router_id 51
  priority 150
  advert_int 1
  authentication {
    auth_type PASS
    auth_pass 1111
  }
  unicast_src_ip 10.0.0.1
  unicast_peer {
    10.0.0.2
  }
  track_interface {
    eth1
  }
  track_script {
    chk_haproxy
  }
  virtual_ipaddress {
    10.0.0.200/24
  }
  notify "/etc/keepalived/notify.sh"
}
vrrp_instance VI_2 {
  state MASTER
  interface eth1
  virtual_router_id 52
  priority 100
  version 3
  advert_int 0.1
  virtual_ipaddress {
    2001:db8::200/64
  }
}
`;

function config(text = CONF): FloatlbConfig {
  const r = parseConfigText(text, { file: 'vrrp.conf' });
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return r.config!;
}

class FakeSpeaker implements SpeakerHandle {
  readonly tracks: Array<[string, boolean, number]> = [];
  state: VrrpState = 'INIT';
  /** Failed weight-0 items of its own, set by the test. */
  ownFault: string[] = [];
  readonly machine = {
    get state() {
      return 'BACKUP' as VrrpState;
    },
    faultedBy: () => this.ownFault,
    priority: 0,
    master: null,
    stats: {
      becameMaster: 0,
      becameBackup: 0,
      becameFault: 0,
      advertsSent: 0,
      advertsReceived: 0,
      releaseReceived: 0,
      releaseSent: 0,
      splitBrain: 0,
    },
  };
  readonly stats = { received: 0, dropped: {}, garpSent: 0, vipErrors: 0, routeErrors: 0 };
  readonly synced: Array<'MASTER' | 'BACKUP'> = [];
  constructor(
    readonly settings: VrrpInstanceSettings,
    readonly events: SpeakerEvents,
  ) {}
  emit(s: NotifyState, p: number): void {
    this.events.onState(s, p);
  }
  start(): void {}
  async stop(): Promise<void> {
    this.stopped = true;
  }
  track(name: string, up: boolean, weight: number): void {
    this.tracks.push([name, up, weight]);
  }
  untrack(name: string): void {
    this.tracks.push([name, true, 0]);
  }
  sync(to: 'MASTER' | 'BACKUP'): void {
    this.synced.push(to);
  }
  readonly reconfigured: string[][] = [];
  stopped = false;
  reconfigure(_next: VrrpInstanceSettings, plan: { changes: readonly string[] }): void {
    this.reconfigured.push([...plan.changes]);
  }
}

afterEach(() => vi.useRealTimers());

describe('vrrpSettingsFromConfig', () => {
  it('carries the instance settings keepalived users write', () => {
    const c = config();
    const s1 = vrrpSettingsFromConfig(c.vrrpInstances[0]!);
    expect(s1).toMatchObject({
      name: 'VI_1',
      vrid: 51,
      priority: 150,
      version: 2,
      advertIntMs: 1000,
      family: 4,
      srcIp: '10.0.0.1',
      unicastPeers: ['10.0.0.2'],
      authPass: '1111',
      initialState: 'BACKUP',
      preempt: false,
      vips: [{ address: '10.0.0.200', prefixLen: 24 }],
      notify: { generic: '/etc/keepalived/notify.sh' },
    });
    const s2 = vrrpSettingsFromConfig(c.vrrpInstances[1]!);
    expect(s2).toMatchObject({
      version: 3,
      family: 6,
      advertIntMs: 100,
      preempt: true,
      initialState: 'MASTER',
    });
  });
});

describe('VrrpManager', () => {
  async function manager(linkUp: (i: string) => boolean, script: (s: VrrpScript) => boolean, text = CONF) {
    const speakers = new Map<string, FakeSpeaker>();
    const roles: Array<[string, NotifyState]> = [];
    const m = new VrrpManager(config(text), {
      createSpeaker: async (s, emit) => {
        const f = new FakeSpeaker(s, emit);
        speakers.set(s.name, f);
        return f;
      },
      linkUp: async (i) => linkUp(i),
      runTrackScript: async (s) => script(s),
      onRole: (i, st) => roles.push([i, st]),
      linkPollMs: 1000,
    });
    await m.start();
    return { m, speakers, roles };
  }

  it('feeds track_interface changes to the instance, weight 0 meaning fault', async () => {
    vi.useFakeTimers();
    let up = true;
    const { m, speakers } = await manager(
      () => up,
      () => true,
    );
    await vi.advanceTimersByTimeAsync(0);
    expect(speakers.get('VI_1')!.tracks).toContainEqual(['if:eth1', true, 0]);
    up = false;
    await vi.advanceTimersByTimeAsync(1000);
    expect(speakers.get('VI_1')!.tracks).toContainEqual(['if:eth1', false, 0]);
    await m.stop();
  });

  it('applies the script weight after `fall` failures and restores after `rise` successes', async () => {
    vi.useFakeTimers();
    let ok = true;
    const weighted = CONF.replace(
      'vrrp_sync_group G1 {',
      'vrrp_sync_group G1 {\n  sync_group_tracking_weight',
    );
    const { m, speakers } = await manager(
      () => true,
      () => ok,
      weighted,
    );
    const tracks = () => speakers.get('VI_1')!.tracks.filter((t) => t[0] === 'script:chk_haproxy');
    // The script starts up: its weight is applied (a negative weight only counts when down).
    expect(tracks()).toEqual([['script:chk_haproxy', true, -20]]);
    ok = false;
    await vi.advanceTimersByTimeAsync(2000); // one failure: not yet
    expect(tracks()).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(2000); // second failure: down
    expect(tracks().at(-1)).toEqual(['script:chk_haproxy', false, -20]);
    ok = true;
    await vi.advanceTimersByTimeAsync(4000);
    expect(tracks().slice(1)).toEqual([
      ['script:chk_haproxy', false, -20],
      ['script:chk_haproxy', true, -20],
    ]);
    await m.stop();
  });

  it('ignores weighted tracking in a sync group without sync_group_tracking_weight, as keepalived does', async () => {
    vi.useFakeTimers();
    const { m, speakers } = await manager(
      () => true,
      () => false,
    );
    await vi.advanceTimersByTimeAsync(10_000);
    expect(speakers.get('VI_1')!.tracks.filter((t) => t[0] === 'script:chk_haproxy')).toEqual([]);
    // track_interface without a weight still puts the member in FAULT.
    expect(speakers.get('VI_1')!.tracks).toContainEqual(['if:eth1', true, 0]);
    await m.stop();
  });

  it('moves a sync group into FAULT together, and reports roles', async () => {
    const { m, speakers, roles } = await manager(
      () => true,
      () => true,
    );
    speakers.get('VI_2')!.ownFault = ['if:eth9'];
    speakers.get('VI_2')!.emit('FAULT', 100);
    expect(speakers.get('VI_1')!.tracks).toContainEqual(['sync:G1', false, 0]);
    // The group does not hold VI_2 by VI_1's induced FAULT.
    expect(speakers.get('VI_2')!.tracks.filter((t) => t[0] === 'sync:G1')).toEqual([]);
    speakers.get('VI_2')!.ownFault = [];
    speakers.get('VI_2')!.emit('BACKUP', 100);
    expect(speakers.get('VI_1')!.tracks).toContainEqual(['sync:G1', true, 0]);
    expect(roles).toEqual([
      ['VI_2', 'FAULT'],
      ['VI_2', 'BACKUP'],
    ]);
    await m.stop();
  });
});

describe('track_file', () => {
  const TRACK_CONF = `
track_file maint {
  file /var/run/floatlb-maint
  weight -10
  init_file 0
}
vrrp_track_file legacy {
  file /var/run/floatlb-legacy
  weight 0
}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  priority 150
  virtual_ipaddress {
    10.0.0.200/24
  }
  track_file {
    maint
    legacy
  }
}
vrrp_instance VI_2 {
  interface eth1
  virtual_router_id 52
  priority 100
  virtual_ipaddress {
    10.0.1.200/24
  }
  track_file {
    maint weight 5 reverse
  }
}
`;

  it('reads the blocks keepalived writes, under either name', () => {
    const r = parseConfigText(TRACK_CONF, { file: 'track.conf' });
    expect(r.diagnostics).toEqual([]);
    expect(r.config!.vrrpTrackFiles).toEqual([
      {
        name: 'maint',
        file: '/var/run/floatlb-maint',
        weight: -10,
        weightReverse: false,
        initFile: { value: 0, overwrite: false },
      },
      { name: 'legacy', file: '/var/run/floatlb-legacy', weight: 0, weightReverse: false, initFile: null },
    ]);
  });

  it('drops a track_file without a file, as keepalived does, and warns of a reference to an unknown one', () => {
    const r = parseConfigText(
      'track_file t {\n  weight 2\n}\nvrrp_instance V {\n  interface eth0\n  virtual_router_id 1\n  priority 100\n  virtual_ipaddress {\n    10.0.0.1\n  }\n  track_file {\n    nope\n  }\n}\n',
      { file: 'bad.conf' },
    );
    expect(r.diagnostics.map((d) => `${d.line}:${d.column} ${d.severity} ${d.message}`)).toEqual([
      '1:1 warning track_file t has no file: dropped, as keepalived does; instances that track it ignore it',
      '4:1 warning vrrp_instance V tracks unknown track_file nope',
    ]);
  });

  it('maps the value times the weight onto priority, FAULT and recovery', async () => {
    vi.useFakeTimers();
    const r = parseConfigText(TRACK_CONF, { file: 'track.conf' });
    const files = new Map<string, string>([['/var/run/floatlb-legacy', '0\n']]);
    const speakers = new Map<string, FakeSpeaker>();
    const m = new VrrpManager(r.config!, {
      createSpeaker: async (s, emit) => {
        const f = new FakeSpeaker(s, emit);
        speakers.set(s.name, f);
        return f;
      },
      linkUp: async () => true,
      runTrackScript: async () => true,
      fileIo: {
        read: async (p) => files.get(p) ?? null,
        write: async (p, t) => void files.set(p, t),
      },
      filePollMs: 1000,
    });
    await m.start();
    const vi1 = () => speakers.get('VI_1')!.tracks;
    const vi2 = () => speakers.get('VI_2')!.tracks;
    // init_file wrote 0 into the missing file; legacy reads 0: both neutral.
    expect(files.get('/var/run/floatlb-maint')).toBe('0\n');
    expect(vi1()).toEqual([
      ['file:maint', true, 0],
      ['file:legacy', true, 0],
    ]);
    expect(vi2()).toEqual([['file:maint', true, 0]]);

    files.set('/var/run/floatlb-maint', '3\n');
    await vi.advanceTimersByTimeAsync(1000);
    // VI_1: 3 × -10 lowers its priority by 30; VI_2: 3 × 5, reversed, by 15.
    expect(vi1().at(-1)).toEqual(['file:maint', false, -30]);
    expect(vi2().at(-1)).toEqual(['file:maint', false, -15]);

    files.set('/var/run/floatlb-maint', '30');
    await vi.advanceTimersByTimeAsync(1000);
    // -300 is below -253: FAULT for VI_1.
    expect(vi1().at(-1)).toEqual(['file:maint', false, 0]);

    files.set('/var/run/floatlb-legacy', '1');
    await vi.advanceTimersByTimeAsync(1000);
    // Weight 0: any non-zero value is a failure.
    expect(vi1().at(-1)).toEqual(['file:legacy', false, 0]);

    files.delete('/var/run/floatlb-legacy');
    await vi.advanceTimersByTimeAsync(1000);
    expect(vi1().at(-1)).toEqual(['file:legacy', true, 0]);
    await m.stop();
  });
});

describe('reload by difference', () => {
  const RELOAD = (
    o: { vips?: string; prio?: number; script?: string; iface?: string; extra?: string } = {},
  ) => `
vrrp_script chk {
  script "${o.script ?? '/bin/true'}"
  interval 1
  weight -60
}
vrrp_instance VI_A {
  interface ${o.iface ?? 'eth0'}
  virtual_router_id 61
  priority 150
  virtual_ipaddress {
    ${o.vips ?? '10.7.0.100/32'}
  }
  track_script {
    chk
  }
}
vrrp_instance VI_B {
  interface eth0
  virtual_router_id 62
  priority ${o.prio ?? 150}
  virtual_ipaddress {
    10.7.0.200/32
  }
}
${o.extra ?? ''}`;

  async function running(text: string) {
    const created: FakeSpeaker[] = [];
    let scriptRuns = 0;
    let ok = true;
    const m = new VrrpManager(config(text), {
      createSpeaker: async (s, ev) => {
        const f = new FakeSpeaker(s, ev);
        created.push(f);
        return f;
      },
      linkUp: async () => true,
      runTrackScript: async () => {
        scriptRuns++;
        return ok;
      },
    });
    await m.start();
    const byName = (n: string) => created.filter((f) => f.settings.name === n && !f.stopped);
    const fail = () => {
      ok = false;
    };
    return { m, created, byName, runs: () => scriptRuns, fail };
  }

  it('an unchanged config touches nothing', async () => {
    vi.useFakeTimers();
    const r = await running(RELOAD());
    const before = r.created.map((f) => f.tracks.length);
    const plans = await r.m.update(config(RELOAD()));
    expect(plans.map((p) => p.action)).toEqual(['keep', 'keep']);
    expect(r.created).toHaveLength(2);
    expect(r.created.map((f) => f.tracks.length)).toEqual(before);
    expect(r.created.every((f) => !f.stopped && f.reconfigured.length === 0)).toBe(true);
    await r.m.stop();
  });

  it('updates VIPs and priority in place, restarts only the instance whose interface changed', async () => {
    vi.useFakeTimers();
    const r = await running(RELOAD());
    await r.m.update(config(RELOAD({ vips: '10.7.0.100/32\n    10.7.0.101/32', prio: 80 })));
    expect(r.byName('VI_A')[0]!.reconfigured).toEqual([['vips']]);
    expect(r.byName('VI_B')[0]!.reconfigured).toEqual([['priority']]);
    expect(r.created).toHaveLength(2);
    await r.m.update(config(RELOAD({ iface: 'eth1', prio: 80, vips: '10.7.0.100/32\n    10.7.0.101/32' })));
    expect(r.created).toHaveLength(3);
    expect(r.created[0]!.stopped).toBe(true);
    expect(r.byName('VI_B')[0]).toBe(r.created[1]);
    expect(r.byName('VI_A')[0]!.tracks).toEqual([['script:chk', true, -60]]);
    await r.m.stop();
  });

  it('starts and stops only added and removed instances', async () => {
    vi.useFakeTimers();
    const extra =
      'vrrp_instance VI_C {\n  interface eth0\n  virtual_router_id 63\n  priority 150\n  virtual_ipaddress {\n    10.7.0.210/32\n  }\n}\n';
    const r = await running(RELOAD());
    await r.m.update(config(RELOAD({ extra })));
    expect(r.created.map((f) => f.settings.name)).toEqual(['VI_A', 'VI_B', 'VI_C']);
    await r.m.update(config(RELOAD()));
    expect(r.created.map((f) => f.stopped)).toEqual([false, false, true]);
    expect(r.m.status().map((s) => s.name)).toEqual(['VI_A', 'VI_B']);
    await r.m.stop();
  });

  it('swaps a changed track script without a state change: the new one starts from the old result', async () => {
    vi.useFakeTimers();
    const r = await running(RELOAD());
    await vi.advanceTimersByTimeAsync(3000);
    const a = r.byName('VI_A')[0]!;
    const calls = a.tracks.length;
    await r.m.update(config(RELOAD({ script: '/bin/sh -c true' })));
    await vi.advanceTimersByTimeAsync(3000);
    // Same result (up): nothing fed to the speaker, although the new script ran.
    expect(a.tracks.length).toBe(calls);
    expect(r.runs()).toBeGreaterThanOrEqual(6);
    // Its result changes: now the speaker hears it.
    r.fail();
    await vi.advanceTimersByTimeAsync(5000);
    expect(a.tracks.at(-1)).toEqual(['script:chk', false, -60]);
    await r.m.stop();
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/config/index.js';
import { planInstance, planInstances } from '../../../src/vrrp/reload-plan.js';
import {
  instanceSettings,
  type SettingsInput,
  type VrrpInstanceSettings,
} from '../../../src/vrrp/settings.js';
import { planTracks, trackSet } from '../../../src/vrrp/track-plan.js';

const base = (over: Partial<SettingsInput> = {}): VrrpInstanceSettings =>
  instanceSettings({
    name: 'VI_A',
    vrid: 61,
    priority: 150,
    interface: 'eth0',
    vips: [
      { address: '10.7.0.100', prefixLen: 32 },
      { address: '10.7.0.101', prefixLen: 32 },
    ],
    ...over,
  });

describe('planInstance', () => {
  it('keeps an instance whose settings did not change', () => {
    expect(planInstance(base(), base())).toEqual({ name: 'VI_A', action: 'keep' });
  });

  it('applies a VIP list in place: what was added and what was removed', () => {
    const next = base({
      vips: [
        { address: '10.7.0.101', prefixLen: 32 },
        { address: '10.7.0.102', prefixLen: 32 },
      ],
    });
    expect(planInstance(base(), next)).toEqual({
      name: 'VI_A',
      action: 'update',
      changes: ['vips'],
      vipsAdded: [{ address: '10.7.0.102', prefixLen: 32 }],
      vipsRemoved: [{ address: '10.7.0.100', prefixLen: 32 }],
    });
  });

  it('takes priority, timers, auth, preemption and scripts in place', () => {
    const p = planInstance(
      base(),
      base({ priority: 80, advertIntMs: 2000, authPass: 'x', preempt: false, notify: { master: '/bin/m' } }),
    );
    expect(p).toMatchObject({ action: 'update', vipsAdded: [], vipsRemoved: [] });
    expect(p.action === 'update' && p.changes).toEqual([
      'priority',
      'advertIntMs',
      'authPass',
      'preempt',
      'notify',
    ]);
  });

  it('restarts only for what a running speaker cannot change, and says why', () => {
    const cases: Array<[Partial<SettingsInput>, string]> = [
      [{ interface: 'eth1' }, 'interface eth0 -> eth1'],
      [{ vrid: 62 }, 'virtual_router_id 61 -> 62'],
      [{ version: 3 }, 'version 2 -> 3'],
      [{ unicastPeers: ['10.7.0.2'] }, 'multicast -> unicast'],
      [{ srcIp: '10.7.0.9' }, 'source address (from the interface) -> 10.7.0.9'],
    ];
    for (const [over, why] of cases) {
      expect(planInstance(base(), base(over))).toEqual({ name: 'VI_A', action: 'restart', reasons: [why] });
    }
    const peers = planInstance(base({ unicastPeers: ['10.7.0.2'] }), base({ unicastPeers: ['10.7.0.3'] }));
    expect(peers).toEqual({ name: 'VI_A', action: 'restart', reasons: ['unicast_peer list changed'] });
  });

  it('property: a plan of identical settings keeps; any change of priority alone is an update', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 254 }), fc.integer({ min: 1, max: 254 }), (a, b) => {
        const p = planInstance(base({ priority: a }), base({ priority: b }));
        expect(p.action).toBe(a === b ? 'keep' : 'update');
      }),
    );
  });
});

describe('planInstances', () => {
  it('starts and stops only added and removed instances, matched by name', () => {
    const b = base({ name: 'VI_B', vrid: 62 });
    const c = base({ name: 'VI_C', vrid: 63 });
    expect(planInstances([base(), b], [base(), c]).map((p) => `${p.name}:${p.action}`)).toEqual([
      'VI_B:remove',
      'VI_A:keep',
      'VI_C:add',
    ]);
  });
});

const CONF = (script: string, weight: string) => `
vrrp_script chk {
  script "${script}"
  interval 1
  ${weight}
}
vrrp_instance VI_A {
  interface eth0
  virtual_router_id 61
  priority 150
  virtual_ipaddress {
    10.7.0.100/32
  }
  track_script {
    chk
  }
}
`;

const tracks = (text: string) => trackSet(parseConfigText(text, { file: 't.conf' }).config!);

describe('planTracks', () => {
  it('changes nothing for the same config', () => {
    const a = tracks(CONF('/bin/true', 'weight -60'));
    expect(planTracks(a, tracks(CONF('/bin/true', 'weight -60')))).toEqual({
      scripts: { start: [], replace: [], stop: [] },
      files: { start: [], replace: [], stop: [] },
      processes: { start: [], replace: [], stop: [] },
      bind: [],
      unbind: [],
    });
  });

  it('replaces a script whose command changed, without rebinding it', () => {
    const p = planTracks(
      tracks(CONF('/bin/true', 'weight -60')),
      tracks(CONF('/bin/sh -c true', 'weight -60')),
    );
    expect(p.scripts.replace.map((s) => s.script)).toEqual(['/bin/sh -c true']);
    expect(p.bind).toEqual([]);
  });

  it('rebinds a new weight, and unbinds and stops what is gone', () => {
    const p = planTracks(tracks(CONF('/bin/true', 'weight -60')), tracks(CONF('/bin/true', 'weight -10')));
    expect(p.bind).toEqual([{ instance: 'VI_A', key: 'script:chk', weight: -10 }]);
    const gone = planTracks(
      tracks(CONF('/bin/true', 'weight -60')),
      tracks(CONF('/bin/true', '').replace(/track_script \{\s*chk\s*\}/, '')),
    );
    expect(gone.unbind).toEqual([{ instance: 'VI_A', key: 'script:chk', weight: -60 }]);
    expect(gone.scripts.stop).toEqual(['chk']);
  });
});

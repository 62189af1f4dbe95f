// GARP/NA pacing (vrrp_garp_interval, vrrp_gna_interval, garp_group,
// vrrp_min_garp) and the advert knobs (lower_prio_no_advert,
// higher_prio_send_advert, down_timer_adverts, check_unicast_src): from the
// config text to the settings, the pacer and the machine.
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/config/index.js';
import type { FloatlbConfig } from '../../../src/config/model.js';
import { instancesFromConfig } from '../../../src/vrrp/from-config.js';
import { GarpPacer } from '../../../src/vrrp/garp-pacer.js';
import { type MachineConfig, masterDownMs, VrrpMachine } from '../../../src/vrrp/machine.js';
import { FakeClock } from './fake-clock.js';
import { base as machineBase } from './machine-base.js';

const inst = (body: string, name = 'VI_1', iface = 'eth0') => `vrrp_instance ${name} {
  interface ${iface}
  virtual_router_id ${50 + Number(name.slice(3))}
  priority 150
  virtual_ipaddress {
    10.7.0.100/32
  }
${body}
}
`;

function parse(text: string) {
  const r = parseConfigText(text, { file: 'f.conf' });
  if (!r.config) throw new Error('no config');
  const warnings = r.diagnostics.map((d) => `${d.line}:${d.column} ${d.message}`);
  return { config: r.config as FloatlbConfig, warnings };
}
const settings = (text: string) => instancesFromConfig(parse(text).config);

describe('GarpPacer', () => {
  function run(pace: { garpIntervalMs: number; gnaIntervalMs: number } | undefined, family: 4 | 6) {
    const clock = new FakeClock();
    const pacer = new GarpPacer(clock);
    const sent: Array<[number, string]> = [];
    const round = (repeat: number, vips: string[]) => {
      for (let j = 0; j < repeat; j++)
        vips.forEach((v, i) => {
          pacer.send(pace && { group: 'eth0', ...pace }, family, `VI\u0000${v}`, i, () => {
            sent.push([clock.t, v]);
            return true;
          });
        });
    };
    return { clock, pacer, sent, round };
  }

  it('without an interval sends every frame of a round at once', () => {
    const w = run(undefined, 4);
    w.round(5, ['A', 'B']);
    expect(w.sent).toHaveLength(10);
    expect(new Set(w.sent.map(([t]) => t))).toEqual(new Set([0]));
  });

  it('spaces frames by the interval and merges repeats of an address still waiting, in VIP order, as keepalived', () => {
    const w = run({ garpIntervalMs: 100, gnaIntervalMs: 0 }, 4);
    w.round(5, ['A', 'B']);
    w.clock.advance(1000);
    expect(w.sent).toEqual([
      [0, 'A'],
      [100, 'A'],
      [200, 'B'],
    ]);
    // A later round starts at once when the gap has passed.
    w.round(1, ['A']);
    expect(w.sent.at(-1)).toEqual([1000, 'A']);
  });

  it('paces IPv6 with gna_interval, apart from ARP', () => {
    const w = run({ garpIntervalMs: 0, gnaIntervalMs: 50 }, 6);
    w.round(2, ['A', 'B']);
    w.clock.advance(1000);
    expect(w.sent.map(([t]) => t)).toEqual([0, 50, 100]);
  });

  it('passes over a waiting frame that no longer applies, and forgets a stopped instance', () => {
    const clock = new FakeClock();
    const pacer = new GarpPacer(clock);
    const sent: string[] = [];
    const pace = { group: 'g', garpIntervalMs: 100, gnaIntervalMs: 0 };
    const send = (v: string, ok: boolean) => () => {
      if (ok) sent.push(v);
      return ok;
    };
    pacer.send(pace, 4, 'X\u0000a', 0, send('a', true));
    pacer.send(pace, 4, 'X\u0000b', 1, send('b', false));
    pacer.send(pace, 4, 'Y\u0000c', 2, send('c', true));
    pacer.send(pace, 4, 'Z\u0000d', 3, send('d', true));
    pacer.forget('Z\u0000');
    clock.advance(1000);
    expect(sent).toEqual(['a', 'c']);
  });
});

describe('GARP settings from the config', () => {
  it('vrrp_garp_interval and vrrp_gna_interval pace each interface alone', () => {
    const s = settings(`global_defs {\n  vrrp_garp_interval 0.1\n  vrrp_gna_interval 0.02\n}\n${inst('')}`);
    expect(s[0]!.garpPace).toEqual({ group: 'eth0', garpIntervalMs: 100, gnaIntervalMs: 20 });
    expect(settings(inst(''))[0]!.garpPace).toBeUndefined();
  });

  it('garp_group shares one pace across its interfaces, over the global one', () => {
    const { config, warnings } = parse(`global_defs {\n  vrrp_garp_interval 0.5\n}
garp_group {\n  garp_interval 0.2\n  interfaces {\n    eth0\n    eth1\n  }\n}
garp_group {\n  gna_interval 0.3\n  interface eth1\n}
garp_group {\n  interface eth2\n}
${inst('')}${inst('', 'VI_2', 'eth1')}${inst('', 'VI_3', 'eth2')}`);
    const s = instancesFromConfig(config);
    expect(s.map((x) => x.garpPace)).toEqual([
      { group: 'garp_group 1', garpIntervalMs: 200, gnaIntervalMs: 0 },
      { group: 'garp_group 1', garpIntervalMs: 200, gnaIntervalMs: 0 },
      { group: 'eth2', garpIntervalMs: 500, gnaIntervalMs: 0 },
    ]);
    expect(warnings).toEqual([
      '13:13 garp_group already given for eth1: ignored, as keepalived does',
      '15:1 garp_group has no garp_interval or gna_interval: dropped, as keepalived does',
    ]);
  });

  it('vrrp_min_garp sends one frame and no second round, leaving what was set before it', () => {
    expect(settings(`global_defs {\n  vrrp_min_garp\n}\n${inst('')}`)[0]!.garp).toMatchObject({
      masterRepeat: 1,
      masterDelayMs: 0,
      lowerPrioRepeat: 1,
      lowerPrioDelayMs: 0,
    });
    const kept = settings(
      `global_defs {\n  vrrp_garp_master_repeat 3\n  vrrp_min_garp true\n}\n${inst('')}`,
    )[0]!;
    expect(kept.garp).toMatchObject({ masterRepeat: 3, masterDelayMs: 0 });
    expect(settings(`global_defs {\n  vrrp_min_garp false\n}\n${inst('')}`)[0]!.garp.masterRepeat).toBe(5);
  });
});

describe('advert knobs from the config', () => {
  it('global vrrp_* settings are the defaults an instance may override', () => {
    const s = settings(`global_defs {
  vrrp_lower_prio_no_advert
  vrrp_higher_prio_send_advert true
  vrrp_down_timer_adverts 5
}
${inst('')}${inst('  lower_prio_no_advert false\n  down_timer_adverts 2', 'VI_2')}`);
    expect(s[0]).toMatchObject({ lowerPrioNoAdvert: true, higherPrioSendAdvert: true, downTimerAdverts: 5 });
    expect(s[1]!.lowerPrioNoAdvert).toBeUndefined();
    expect(s[1]!.downTimerAdverts).toBe(2);
    expect(settings(inst(''))[0]).not.toHaveProperty('downTimerAdverts');
  });

  it('down_timer_adverts outside 1..100 is warned and left at 3', () => {
    const { config, warnings } = parse(inst('  down_timer_adverts 101'));
    expect(instancesFromConfig(config)[0]!.downTimerAdverts).toBeUndefined();
    expect(warnings.join('\n')).toMatch(/8:22 invalid down_timer_adverts '101'/);
  });

  it('check_unicast_src (or the global vrrp_check_unicast_src) accepts adverts from the peers only', () => {
    const peers = '  unicast_peer {\n    10.7.0.2\n    10.7.0.3\n  }\n';
    const expected = [
      { address: '10.7.0.2', minTtl: 0, maxTtl: 255 },
      { address: '10.7.0.3', minTtl: 0, maxTtl: 255 },
    ];
    expect(settings(inst(`${peers}  check_unicast_src`))[0]!.unicastPeerTtl).toEqual(expected);
    expect(settings(`global_defs {\n  vrrp_check_unicast_src\n}\n${inst(peers)}`)[0]!.unicastPeerTtl).toEqual(
      expected,
    );
    expect(settings(inst(peers))[0]!.unicastPeerTtl).toBeUndefined();
    // Multicast: nothing to check against, as keepalived.
    expect(settings(inst('  check_unicast_src'))[0]!.unicastPeerTtl).toBeUndefined();
  });
});

describe('advert knobs in the machine', () => {
  const base = { ...machineBase, priority: 150 };
  const master = (over: Partial<MachineConfig>) => {
    const m = new VrrpMachine({ ...base, ...over, priority: 255 });
    m.step({ type: 'start' }, 0);
    expect(m.state).toBe('MASTER');
    return m;
  };
  const advert = (priority: number) =>
    ({ type: 'advert', src: '10.0.0.9', priority, advertIntMs: 1000 }) as const;
  const types = (a: { type: string }[]) => a.map((x) => x.type).filter((t) => t !== 'other-master');

  it('lower_prio_no_advert: a lower-priority master gets the GARPs but no advert', () => {
    expect(types(master({}).step(advert(50), 10_000))).toEqual(['send-advert', 'send-garp']);
    expect(types(master({ lowerPrioNoAdvert: true }).step(advert(50), 10_000))).toEqual(['send-garp']);
  });

  it('higher_prio_send_advert: one advert at our priority before yielding', () => {
    const plain = new VrrpMachine({ ...base, initialState: 'MASTER' });
    const knob = new VrrpMachine({ ...base, initialState: 'MASTER', higherPrioSendAdvert: true });
    for (const m of [plain, knob]) {
      m.step({ type: 'start' }, 0);
      m.step({ type: 'tick' }, 5000);
      expect(m.state).toBe('MASTER');
    }
    expect(types(plain.step(advert(200), 10_000))).toEqual(['remove-vips', 'notify']);
    const out = knob.step(advert(200), 10_000);
    expect(types(out)).toEqual(['send-advert', 'remove-vips', 'notify']);
    expect(out[1]).toEqual({ type: 'send-advert', priority: 150 });
  });

  it('down_timer_adverts: Master_Down_Interval counts that many adverts plus the skew', () => {
    expect(masterDownMs(150, 1000, 5)).toBe(5000 + (106 * 1000) / 256);
    for (const n of [1, 3, 7]) {
      const m = new VrrpMachine({ ...base, downTimerAdverts: n });
      m.step({ type: 'start' }, 0);
      m.step(advert(200), 100);
      expect(m.nextDeadline()).toBe(100 + masterDownMs(150, 1000, n));
    }
  });
});

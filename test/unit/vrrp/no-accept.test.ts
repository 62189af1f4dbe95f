// no_accept on the speaker's seams: the drop rules go in before a master's
// VIPs and come out after them, follow a reload by difference, and are never
// set for accept mode or the address owner. The firewall is the in-memory
// fake beside the nftables one.
import { describe, expect, it } from 'vitest';
import { FakeVipFirewall } from '../../../src/kernel/vip-firewall.js';
import { canonicalIp } from '../../../src/kernel/vocabulary.js';
import { VrrpMachine } from '../../../src/vrrp/machine.js';
import { planInstance } from '../../../src/vrrp/reload-plan.js';
import { instanceSettings, type SettingsInput, type Vip } from '../../../src/vrrp/settings.js';
import { VrrpSpeaker } from '../../../src/vrrp/speaker.js';
import { VipDropRules } from '../../../src/vrrp/vip-drop.js';
import { FakeClock } from './fake-clock.js';

const settle = async () => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
};

function world(over: Partial<SettingsInput> = {}, fw = new FakeVipFirewall()) {
  const clock = new FakeClock();
  const events: string[] = [];
  const firewall: FakeVipFirewall = fw;
  const logged = {
    list: () => firewall.list(),
    change: async (add: readonly string[], remove: readonly string[]) => {
      for (const a of remove) events.push(`undrop ${a}`);
      for (const a of add) events.push(`drop ${a}`);
      await firewall.change(add.map(canonicalIp), remove.map(canonicalIp));
    },
  };
  const drops = new VipDropRules(logged);
  const held = new Set<string>();
  const settings = instanceSettings({
    name: 'VI_1',
    vrid: 51,
    priority: 100,
    interface: 'eth0',
    vips: [
      { address: '10.0.0.100', prefixLen: 32 },
      { address: '10.0.0.101', prefixLen: 32 },
    ],
    version: 3,
    accept: false,
    ...over,
  });
  const speaker = new VrrpSpeaker(settings, {
    srcIp: '10.0.0.2',
    clock,
    transport: {
      destinations: () => ['224.0.0.18'],
      sendTo: () => {},
      drain: () => [],
      onReceive: () => {},
      close: () => {},
    },
    frames: { mac: Buffer.from([2, 0, 0, 0, 0, 2]), send: () => {}, close: () => {} },
    vips: {
      add: async (v: Vip) => {
        events.push(`add ${v.address}`);
        held.add(v.address);
      },
      remove: async (v: Vip) => {
        events.push(`remove ${v.address}`);
        held.delete(v.address);
      },
      list: async () => [],
    },
    scripts: { run: () => {} },
    drops,
  });
  return { clock, events, firewall, speaker, held, drops };
}

describe('no_accept drop rules on the speaker', () => {
  it('a master drops traffic to its VIPs from before they are added until after they are removed', async () => {
    const w = world();
    w.speaker.start();
    w.clock.advance(4000);
    expect(w.speaker.machine.state).toBe('MASTER');
    await settle();
    expect([...w.firewall.dropped].sort()).toEqual(['10.0.0.100', '10.0.0.101']);
    expect(w.events.slice(0, 4)).toEqual([
      'drop 10.0.0.100',
      'drop 10.0.0.101',
      'add 10.0.0.100',
      'add 10.0.0.101',
    ]);
    w.events.length = 0;
    await w.speaker.stop();
    await settle();
    expect(w.firewall.dropped.size).toBe(0);
    expect(w.events).toEqual([
      'remove 10.0.0.100',
      'remove 10.0.0.101',
      'undrop 10.0.0.100',
      'undrop 10.0.0.101',
    ]);
  });

  it('a reload that changes the VIP list changes only those rules, in step with the VIPs', async () => {
    const w = world();
    w.speaker.start();
    w.clock.advance(4000);
    await settle();
    w.events.length = 0;
    const next = instanceSettings({
      ...w.speaker.settings,
      vips: [
        { address: '10.0.0.100', prefixLen: 32 },
        { address: '10.0.0.102', prefixLen: 32 },
      ],
    });
    const plan = planInstance(w.speaker.settings, next);
    if (plan.action !== 'update') throw new Error(`expected an update, got ${plan.action}`);
    w.speaker.reconfigure(next, plan);
    await settle();
    expect(w.events).toEqual(['remove 10.0.0.101', 'undrop 10.0.0.101', 'drop 10.0.0.102', 'add 10.0.0.102']);
    expect([...w.firewall.dropped].sort()).toEqual(['10.0.0.100', '10.0.0.102']);
  });

  it('a reload to accept takes the rules out, and back to no_accept puts them in, without touching the VIPs', async () => {
    const w = world();
    w.speaker.start();
    w.clock.advance(4000);
    await settle();
    w.events.length = 0;
    const accepting = instanceSettings({ ...w.speaker.settings, accept: true });
    const plan = planInstance(w.speaker.settings, accepting);
    if (plan.action !== 'update') throw new Error(`expected an update, got ${plan.action}`);
    w.speaker.reconfigure(accepting, plan);
    await settle();
    expect(w.firewall.dropped.size).toBe(0);
    expect(w.events.every((e) => e.startsWith('undrop'))).toBe(true);
    expect(w.held.size).toBe(2);
  });

  it('no rules with accept, nor for the address owner, nor while BACKUP', async () => {
    for (const over of [{ accept: true }, { priority: 255 }]) {
      const w = world(over);
      w.speaker.start();
      w.clock.advance(4000);
      await settle();
      expect(w.speaker.machine.state).toBe('MASTER');
      expect(w.held.size).toBe(2);
      expect(w.firewall.dropped.size).toBe(0);
    }
    const backup = world();
    backup.speaker.start();
    backup.clock.advance(1000);
    await settle();
    expect(backup.speaker.machine.state).toBe('BACKUP');
    expect(backup.firewall.dropped.size).toBe(0);
  });

  it('two instances share the firewall: one leaving takes out only its own addresses', async () => {
    const fw = new FakeVipFirewall();
    const drops = new VipDropRules(fw);
    await drops.set('A', [canonicalIp('10.0.0.1'), canonicalIp('10.0.0.2')]);
    await drops.set('B', [canonicalIp('10.0.0.2'), canonicalIp('10.0.0.3')]);
    await drops.set('A', []);
    expect([...fw.dropped].sort()).toEqual(['10.0.0.2', '10.0.0.3']);
    // A leftover from a previous run, not wanted by anyone, goes at the next pass.
    fw.dropped.add(canonicalIp('10.9.9.9'));
    await drops.set('B', [canonicalIp('10.0.0.3')]);
    expect([...fw.dropped]).toEqual(['10.0.0.3']);
  });
});

describe('strict mode on the machine', () => {
  const machine = (lowerPrioNoAdvert: boolean) =>
    new VrrpMachine({
      name: 'VI',
      version: 3,
      vrid: 1,
      priority: 150,
      advertIntMs: 1000,
      initialState: 'BACKUP',
      preempt: true,
      preemptDelayMs: 0,
      primaryIp: '10.0.0.2',
      accept: false,
      lowerPrioNoAdvert,
    });

  it('a strict master does not answer a lower-priority advert; otherwise it does, as keepalived', () => {
    for (const strict of [false, true]) {
      const m = machine(strict);
      m.step({ type: 'start' }, 0);
      m.step({ type: 'tick' }, 4000);
      expect(m.state).toBe('MASTER');
      const out = m.step({ type: 'advert', src: '10.0.0.9', priority: 100, advertIntMs: 1000 }, 10_000);
      expect(out.some((a) => a.type === 'send-advert')).toBe(!strict);
    }
  });
});

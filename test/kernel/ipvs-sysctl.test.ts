// sysctl helpers write the namespace they are given, and only that one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Netns } from '../../lab/netns.js';
import {
  getArp,
  getIpForward,
  getRpFilter,
  getVsKnob,
  readSysctl,
  setArp,
  setIpForward,
  setRpFilter,
  setVsKnob,
} from '../../src/kernel/sysctl.js';
import { testNetns } from '../support/netns.js';
import { requireIpvs } from '../support/require.js';

let a: Netns;
let b: Netns;

beforeAll(() => {
  requireIpvs();
  a = testNetns('sysa');
  b = testNetns('sysb');
});

afterAll(() => {
  a?.delete();
  b?.delete();
});

describe('namespace-aware sysctl', () => {
  it('arp_ignore/arp_announce, ip_forward and rp_filter land in the named namespace', () => {
    const hostForward = readSysctl('net.ipv4.ip_forward');
    const bArp = getArp('lo', { netns: b.name });
    const bForward = getIpForward({ netns: b.name });
    setArp('lo', { ignore: 0, announce: 0 }, { netns: a.name });
    setIpForward(false, { netns: a.name });
    setArp('lo', { ignore: 1, announce: 2 }, { netns: a.name });
    setIpForward(true, { netns: a.name });
    setRpFilter('all', 2, { netns: a.name });
    expect(getArp('lo', { netns: a.name })).toEqual({ ignore: 1, announce: 2 });
    expect(getIpForward({ netns: a.name })).toBe(true);
    expect(getRpFilter('all', { netns: a.name })).toBe(2);
    // The sibling namespace and this one are untouched.
    expect(getArp('lo', { netns: b.name })).toEqual(bArp);
    expect(getIpForward({ netns: b.name })).toBe(bForward);
    expect(a.exec('sysctl', '-n', 'net.ipv4.conf.lo.arp_ignore').trim()).toBe('1');
    expect(readSysctl('net.ipv4.ip_forward')).toBe(hostForward);
  });

  it('the net.ipv4.vs knobs are per namespace', () => {
    const bConntrack = getVsKnob('conntrack', { netns: b.name });
    setVsKnob('conntrack', 0, { netns: a.name });
    expect(getVsKnob('conntrack', { netns: a.name })).toBe(0);
    setVsKnob('conntrack', 1, { netns: a.name });
    setVsKnob('expire_nodest_conn', 1, { netns: a.name });
    setVsKnob('expire_quiescent_template', 1, { netns: a.name });
    expect(getVsKnob('conntrack', { netns: a.name })).toBe(1);
    expect(getVsKnob('expire_nodest_conn', { netns: a.name })).toBe(1);
    expect(getVsKnob('expire_quiescent_template', { netns: a.name })).toBe(1);
    expect(getVsKnob('conntrack', { netns: b.name })).toBe(bConntrack);
    expect(b.exec('sysctl', '-n', 'net.ipv4.vs.conntrack').trim()).toBe(String(bConntrack));
  });

  it('refuses a key that would leave /proc/sys', () => {
    expect(() => readSysctl('net/../../etc/passwd')).toThrow(/bad sysctl key/);
  });
});

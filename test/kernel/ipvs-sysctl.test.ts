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
    setArp('lo', { ignore: 1, announce: 2 }, { netns: a.name });
    setIpForward(true, { netns: a.name });
    setRpFilter('all', 2, { netns: a.name });
    expect(getArp('lo', { netns: a.name })).toEqual({ ignore: 1, announce: 2 });
    expect(getIpForward({ netns: a.name })).toBe(true);
    expect(getRpFilter('all', { netns: a.name })).toBe(2);
    // The sibling namespace and this one are untouched.
    expect(getArp('lo', { netns: b.name })).toEqual({ ignore: 0, announce: 0 });
    expect(getIpForward({ netns: b.name })).toBe(false);
    expect(a.exec('sysctl', '-n', 'net.ipv4.conf.lo.arp_ignore').trim()).toBe('1');
    expect(readSysctl('net.ipv4.ip_forward')).toBe(hostForward);
  });

  it('the net.ipv4.vs knobs are per namespace', () => {
    setVsKnob('conntrack', 1, { netns: a.name });
    setVsKnob('expire_nodest_conn', 1, { netns: a.name });
    setVsKnob('expire_quiescent_template', 1, { netns: a.name });
    expect(getVsKnob('conntrack', { netns: a.name })).toBe(1);
    expect(getVsKnob('expire_nodest_conn', { netns: a.name })).toBe(1);
    expect(getVsKnob('expire_quiescent_template', { netns: a.name })).toBe(1);
    expect(getVsKnob('conntrack', { netns: b.name })).toBe(0);
    expect(b.exec('sysctl', '-n', 'net.ipv4.vs.expire_nodest_conn').trim()).toBe('0');
  });

  it('refuses a key that would leave /proc/sys', () => {
    expect(() => readSysctl('net/../../etc/passwd')).toThrow(/bad sysctl key/);
  });
});

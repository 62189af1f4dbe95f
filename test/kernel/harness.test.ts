// Runs inside the lab VM: proves the harness gives tests a kernel with IPVS,
// every scheduler, working namespaces and a guest-private /run.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { GUEST_NET, IPVS_SCHEDULERS } from '../../lab/vm/config.js';
import { testNetns } from '../support/netns.js';
import { requireIpvs, requireRoot, requireTool } from '../support/require.js';

function ipvsadm(...args: string[]): string {
  return execFileSync('ipvsadm', args, { encoding: 'utf8' });
}

function clear(): void {
  if (existsSync('/proc/net/ip_vs')) ipvsadm('-C');
}

describe('lab VM harness', () => {
  afterEach(clear);
  afterAll(clear);

  it('runs on a kernel with IPVS', () => {
    requireIpvs();
    expect(readFileSync('/proc/net/ip_vs', 'utf8')).toMatch(/^IP Virtual Server version \d+\.\d+\.\d+/);
  });

  it('programs a virtual service with ipvsadm and reads it back', () => {
    requireIpvs();
    requireTool('ipvsadm');
    ipvsadm('-A', '-t', '10.0.0.1:80', '-s', 'wrr');
    ipvsadm('-a', '-t', '10.0.0.1:80', '-r', '10.255.255.2:80', '-m', '-w', '3');
    const lines = ipvsadm('-Ln').split('\n');
    expect(lines.slice(1, 5)).toEqual([
      'Prot LocalAddress:Port Scheduler Flags',
      '  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn',
      'TCP  10.0.0.1:80 wrr',
      '  -> 10.255.255.2:80              Masq    3      0          0         ',
    ]);
  });

  it.each(IPVS_SCHEDULERS)('accepts scheduler %s', (sched) => {
    requireIpvs();
    ipvsadm('-A', '-t', '10.0.0.2:8080', '-s', sched);
    expect(ipvsadm('-Ln', '-t', '10.0.0.2:8080')).toContain(`TCP  10.0.0.2:8080 ${sched}`);
  });

  it('has the lab network ipvsadm needs for IPv4 real servers', () => {
    const addrs = execFileSync('ip', ['-br', 'addr', 'show', 'dev', GUEST_NET.ifname], { encoding: 'utf8' });
    expect(addrs).toContain(GUEST_NET.v4);
    expect(addrs).toContain(GUEST_NET.v6);
    expect(execFileSync('ip', ['route', 'show', 'default'], { encoding: 'utf8' })).toContain(
      `default via ${GUEST_NET.v4Gateway} dev ${GUEST_NET.ifname}`,
    );
  });

  it('creates namespaces under a /run that is the guest’s own tmpfs', () => {
    requireRoot();
    const mounts = readFileSync('/proc/mounts', 'utf8').split('\n');
    expect(mounts).toContainEqual(expect.stringMatching(/^tmpfs \/run tmpfs /));
    expect(mounts).toContainEqual(expect.stringMatching(/^tmpfs \/tmp tmpfs /));
    const ns = testNetns('harness');
    try {
      expect(existsSync(`/run/netns/${ns.name}`)).toBe(true);
      expect(ns.ip('-br', 'link', 'show', 'lo')).toMatch(/^lo\s+UNKNOWN/);
    } finally {
      ns.delete();
    }
    expect(existsSync(`/run/netns/${ns.name}`)).toBe(false);
  });
});

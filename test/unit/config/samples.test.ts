// Every keepalived sample and seed config loads, and its model carries the
// values written in the file (or keepalived's defaults).
import { readdirSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import {
  type Checker,
  type FloatlbConfig,
  type HttpChecker,
  loadConfigSync,
  type VirtualServer,
} from '../../../src/config/index.js';

const SAMPLES = '/work/shared/keepalived-samples';
const FIXTURES = new URL('../../fixtures/config/', import.meta.url).pathname;

function load(path: string): FloatlbConfig {
  const r = loadConfigSync(path, { configId: 'unit' });
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  expect(r.ok).toBe(true);
  return r.config!;
}
const sample = (name: string) => load(`${SAMPLES}/keepalived.conf.${name}`);
const only = (c: FloatlbConfig): VirtualServer => {
  expect(c.virtualServers).toHaveLength(1);
  return c.virtualServers[0]!;
};
const http = (c: Checker): HttpChecker => {
  if (c.type !== 'HTTP_GET' && c.type !== 'SSL_GET')
    throw new Error(`expected an HTTP checker, got ${c.type}`);
  return c;
};

describe('every sample file', () => {
  const files = readdirSync(SAMPLES).filter((f) => f.startsWith('keepalived.conf'));
  test('there are 18 samples', () => expect(files).toHaveLength(18));
  test.each(files)('%s loads without errors', (f) => {
    load(`${SAMPLES}/${f}`);
  });
});

describe('LVS samples', () => {
  test('HTTP_GET.port: SSL_GET with digest and connect_port', () => {
    const c = sample('HTTP_GET.port');
    expect(c.globalDefs.routerId).toBe('LVS_DEVEL');
    expect(c.globalDefs.notificationEmail).toEqual(['acassen']);
    expect(c.globalDefs.smtpServer).toEqual({ address: '192.168.200.1', port: 25 });
    expect(c.globalDefs.smtpConnectTimeout).toBe(30_000);
    const vs = only(c);
    expect(vs.target).toEqual({ kind: 'ip', address: '192.168.200.100', port: 443, protocol: 'tcp' });
    expect(vs.scheduler).toBe('rr');
    expect(vs.forwarding.method).toBe('NAT');
    expect(vs.persistenceTimeout).toBe(50_000);
    expect(vs.delayLoop).toBe(6000);
    const rs = vs.realServers[0]!;
    expect([rs.address, rs.port, rs.weight]).toEqual(['192.168.201.100', 443, 1]);
    const ck = http(rs.checkers[0]!);
    expect(ck.type).toBe('SSL_GET');
    expect(ck.urls).toEqual([
      {
        path: '/',
        digest: 'ff20ad2481f97b1754ef3e12ecd3a9cc',
        statusCodes: [[200, 299]],
        virtualhost: null,
        regex: null,
        regexNoMatch: false,
        regexOptions: [],
      },
    ]);
    expect([ck.connectIp, ck.connectPort, ck.connectTimeout, ck.retry, ck.delayBeforeRetry]).toEqual([
      '192.168.201.100',
      444,
      3000,
      3,
      3000,
    ]);
    expect(ck.delayLoop).toBe(6000);
  });

  test('IPv6: group of an address range and an IPv6 service with SMTP_CHECK', () => {
    const c = sample('IPv6');
    expect(c.virtualServerGroups).toEqual([
      {
        name: 'IPv6_group',
        entries: [
          { kind: 'range', first: 'ae00::2', last: 'ae00::9', port: 80 },
          { kind: 'range', first: 'ae00::1', last: 'ae00::1', port: 80 },
        ],
      },
    ]);
    const vs = only(c);
    expect(vs.target).toEqual({ kind: 'ip', address: 'ae00::1', port: 80, protocol: 'tcp' });
    const rs = vs.realServers[0]!;
    expect([rs.address, rs.port]).toEqual(['ae00::10', 25]);
    const ck = rs.checkers[0]!;
    expect(ck.type).toBe('SMTP_CHECK');
    if (ck.type !== 'SMTP_CHECK') return;
    expect([ck.heloName, ck.connectTimeout, ck.retry, ck.hosts]).toEqual(['foo.bar.com', 3000, 3, []]);
    expect(ck.delayBeforeRetry).toBe(1000);
  });

  test('PING_CHECK over UDP', () => {
    const vs = only(sample('PING_CHECK'));
    expect(vs.protocol).toBe('udp');
    expect(vs.target).toMatchObject({ address: '10.10.10.2', port: 1358, protocol: 'udp' });
    const ck = vs.realServers[0].checkers[0]!;
    expect(ck).toMatchObject({
      type: 'PING_CHECK',
      retry: 4,
      connectTimeout: 5000,
      connectIp: '192.168.200.6',
    });
  });

  test('SMTP_CHECK hosts', () => {
    const vs = only(sample('SMTP_CHECK'));
    expect(vs.delayLoop).toBe(60_000);
    expect(vs.persistenceTimeout).toBeNull();
    expect(vs.realServers.map((r) => r.address)).toEqual(['172.16.1.10', '172.16.1.11', '172.16.1.12']);
    const third = vs.realServers[2].checkers[0]!;
    if (third.type !== 'SMTP_CHECK') throw new Error(third.type);
    expect(third.hosts).toEqual([
      { connectIp: '172.16.1.12', connectPort: 25, bindTo: '172.16.1.2' },
      { connectIp: '192.168.155.11', connectPort: 25, bindTo: '192.168.155.2' },
      { connectIp: '64.233.167.100', connectPort: 587, bindTo: null },
    ]);
    expect([third.connectTimeout, third.retry, third.delayBeforeRetry, third.heloName]).toEqual([
      10_000,
      2,
      5000,
      'foo.bar.com',
    ]);
  });

  test('fwmark service; real servers without a port', () => {
    const vs = only(sample('fwmark'));
    expect(vs.target).toEqual({ kind: 'fwmark', fwmark: 1, family: 'inet' });
    expect(vs.persistenceTimeout).toBe(900_000);
    expect(vs.realServers.map((r) => [r.address, r.port])).toEqual([
      ['192.168.201.100', 0],
      ['192.168.201.101', 0],
    ]);
    expect(vs.realServers[1]!.checkers[0]).toMatchObject({
      type: 'TCP_CHECK',
      connectPort: 80,
      connectTimeout: 3000,
    });
  });

  test('inhibit_on_failure and HTTP_GET', () => {
    const rs = only(sample('inhibit')).realServers[0]!;
    expect(rs.inhibitOnFailure).toBe(true);
    const ck = http(rs.checkers[0]!);
    expect(ck.type).toBe('HTTP_GET');
    expect(ck.urls[0]).toMatchObject({
      path: '/testurl3/test.jsp',
      digest: '640205b7b0fc66c1ea91c463fac6334d',
    });
  });

  test('MISC_CHECK: retry 0 and timeout = delay_loop by default', () => {
    const ck = only(sample('misc_check')).realServers[0].checkers[0]!;
    expect(ck).toEqual({
      type: 'MISC_CHECK',
      path: '/usr/local/bin/script.sh',
      timeout: 6000,
      dynamic: false,
      user: null,
      group: null,
      retry: 0,
      delayBeforeRetry: 1000,
      warmup: 6000,
      delayLoop: 6000,
      alpha: false,
      logAllFailures: false,
    });
  });

  test('quorum, hysteresis, alpha, omega and ten real servers', () => {
    const vs = only(sample('quorum'));
    expect([vs.scheduler, vs.quorum, vs.hysteresis, vs.alpha, vs.omega]).toEqual(['wrr', 7, 2, true, true]);
    expect(vs.quorumUp).toEqual({ command: '/usr/local/sbin/quorum-up.sh', user: null, group: null });
    expect(vs.quorumDown?.command).toBe('/usr/local/sbin/quorum-down.sh');
    expect(vs.realServers).toHaveLength(10);
    expect(vs.realServers[9]).toMatchObject({ address: '10.0.0.10', port: 8080, weight: 1 });
    expect(vs.realServers[9]!.checkers[0]).toMatchObject({
      connectIp: '10.0.0.10',
      connectPort: 80,
      alpha: true,
    });
  });

  test('sample: sorry_server next to an instance', () => {
    const c = sample('sample');
    expect(only(c).sorryServer).toEqual({ address: '192.168.200.200', port: 1358 });
    const vi = c.vrrpInstances[0]!;
    expect([
      vi.name,
      vi.state,
      vi.interface,
      vi.virtualRouterId,
      vi.nopreempt,
      vi.priority,
      vi.advertInt,
    ]).toEqual(['VI_1', 'BACKUP', 'eth0', 50, true, 100, 1000]);
    expect(vi.virtualIpaddress.map((v) => `${v.address}/${v.prefix}`)).toEqual([
      '192.168.200.11/32',
      '192.168.200.12/32',
      '192.168.200.13/32',
    ]);
  });

  test('status_code ranges and a second url', () => {
    const ck = http(only(sample('status_code')).realServers[0].checkers[0]!);
    expect(ck.urls.map((u) => u.statusCodes)).toEqual([
      [
        [200, 299],
        [400, 499],
        [503, 503],
        [505, 505],
      ],
      [[200, 200]],
    ]);
    expect(ck.urls[1]!.digest).toBe('9b3a0c85a887a256d6939da88aabd8cd');
  });

  test('virtualhost passes from the virtual server to the checker', () => {
    const vs = only(sample('virtualhost'));
    expect(vs.virtualhost).toBe('www.firewall.loc');
    expect(http(vs.realServers[0].checkers[0]!).virtualhost).toBe('www.firewall.loc');
  });
});

describe('VRRP samples', () => {
  test('vrrp: four instances, garp_master_delay, PASS auth, label', () => {
    const c = sample('vrrp');
    expect(c.vrrpInstances.map((v) => [v.name, v.state, v.interface, v.virtualRouterId, v.priority])).toEqual(
      [
        ['VI_1', 'MASTER', 'eth0', 51, 100],
        ['VI_2', 'BACKUP', 'eth0', 50, 50],
        ['VI_3', 'MASTER', 'eth1', 52, 100],
        ['VI_4', 'BACKUP', 'eth1', 53, 50],
      ],
    );
    const v1 = c.vrrpInstances[0]!;
    expect(v1.garp.masterDelay).toBe(10_000);
    expect(c.vrrpInstances[1]!.garp.masterDelay).toBe(5000);
    expect(v1.authentication).toEqual({ type: 'PASS', pass: '1111' });
    expect(v1.smtpAlert).toBe(true);
    expect(v1.virtualIpaddress[3]).toMatchObject({ address: '192.168.200.18', label: 'eth0:1' });
    expect(v1.version).toBe(2);
  });

  test('localcheck: vrrp_script defaults and track weights', () => {
    const c = sample('vrrp.localcheck');
    expect(c.vrrpScripts[0]).toEqual({
      name: 'chk_sshd',
      script: 'killall -0 sshd',
      interval: 2000,
      timeout: null,
      weight: -4,
      weightReverse: false,
      rise: 2,
      fall: 2,
      user: null,
      group: null,
      initFail: false,
    });
    expect(c.vrrpScripts[2]!.script).toBe('</dev/tcp/127.0.0.1/80');
    const v1 = c.vrrpInstances[0]!;
    expect(v1.virtualIpaddress[0]).toMatchObject({ address: '192.168.200.18', prefix: 25 });
    expect(v1.trackInterface).toEqual([
      { name: 'eth1', weight: 2, reverse: false },
      { name: 'eth2', weight: -2, reverse: false },
      { name: 'eth3', weight: null, reverse: false },
    ]);
    expect(v1.trackScript[1]).toEqual({ name: 'chk_haproxy', weight: 2, reverse: false });
    expect(c.vrrpInstances).toHaveLength(9);
  });

  test('sync groups with notify scripts', () => {
    const c = sample('vrrp.sync');
    expect(c.vrrpSyncGroups.map((g) => [g.name, g.group])).toEqual([
      ['G1', ['VI_1', 'VI_2', 'VI_5', 'VI_6', 'VI_7', 'VI_8', 'VI_9']],
      ['G2', ['VI_3', 'VI_4']],
    ]);
    expect(c.vrrpSyncGroups[0]!.notifyBackup).toEqual({
      command: '/usr/local/bin/vrrp.back arg1 arg2',
      user: null,
      group: null,
    });
    const s = sample('vrrp.scripts');
    expect(s.vrrpInstances[0]!.notifyMaster?.command).toBe('/usr/local/bin/vrrp.sh  MASTER  VI_1');
  });

  test('routes and static addresses are kept as written', () => {
    const c = sample('vrrp.routes');
    expect(c.vrrpInstances[0]!.virtualRoutes[5]).toEqual({
      family: 4,
      type: 'blackhole',
      dst: { address: '192.168.113.1', prefix: 32 },
    });
    expect(c.vrrpInstances[0]!.virtualIpaddress[1]).toMatchObject({ address: '192.168.200.17', dev: 'eth1' });
    const t = sample('track_interface');
    expect(t.vrrpInstances[0]!.interface).toBe('eth0.1');
    expect(t.vrrpInstances[0]!.trackInterface.map((x) => x.name)).toEqual(['eth0', 'eth1']);
  });
});

describe('configs from the seeds', () => {
  test('001: LVS DR with weights 3 and the deprecated nb_get_retry', () => {
    const r = loadConfigSync(`${FIXTURES}seed-001-lvs-dr.conf`, { configId: 'unit' });
    expect(r.ok).toBe(true);
    expect(r.diagnostics.filter((d) => !d.unsupported).map((d) => [d.line, d.message])).toEqual([
      [29, 'nb_get_retry is deprecated: use retry'],
      [39, 'nb_get_retry is deprecated: use retry'],
    ]);
    const c = r.config!;
    const vi = c.vrrpInstances[0]!;
    expect([vi.state, vi.interface, vi.priority, vi.authentication?.pass]).toEqual([
      'MASTER',
      'eth0',
      150,
      '1111',
    ]);
    expect(vi.virtualIpaddress[0]!.address).toBe('10.0.0.200');
    const vs = only(c);
    expect(vs.target).toEqual({ kind: 'ip', address: '10.0.0.200', port: 8090, protocol: 'tcp' });
    expect([vs.scheduler, vs.forwarding.method, vs.delayLoop]).toEqual(['wrr', 'DR', 1000]);
    expect(vs.realServers.map((r) => [r.address, r.port, r.weight, r.forwarding.method])).toEqual([
      ['10.0.0.11', 8090, 3, 'DR'],
      ['10.0.0.12', 8090, 3, 'DR'],
    ]);
    expect(vs.realServers[0]!.checkers[0]).toMatchObject({
      type: 'TCP_CHECK',
      retry: 3,
      connectTimeout: 10_000,
    });
  });

  test('003: haproxy pair, nopreempt on the master only', () => {
    const m = load(`${FIXTURES}seed-003-haproxy-master.conf`);
    const b = load(`${FIXTURES}seed-003-haproxy-backup.conf`);
    expect([m.globalDefs.routerId, b.globalDefs.routerId]).toEqual(['edu-haproxy-01', 'edu-haproxy-02']);
    const [mi, bi] = [m.vrrpInstances[0]!, b.vrrpInstances[0]!];
    expect([mi.priority, mi.nopreempt, bi.priority, bi.nopreempt]).toEqual([120, true, 110, false]);
    expect([mi.virtualRouterId, mi.interface]).toEqual([91, 'eth1']);
    expect(m.vrrpScripts[0]).toMatchObject({
      script: '/etc/keepalived/haproxy_check.sh',
      interval: 2000,
      weight: 2,
    });
    expect(mi.trackScript).toEqual([{ name: 'chk_haproxy', weight: null, reverse: false }]);
  });

  test('004: mcast_src_ip and advert_int 2', () => {
    const c = load(`${FIXTURES}seed-004-nginx-master.conf`);
    const vi = c.vrrpInstances[0]!;
    expect([vi.mcastSrcIp, vi.advertInt, vi.priority, vi.virtualRouterId]).toEqual([
      '172.20.46.78',
      2000,
      101,
      99,
    ]);
    expect(c.vrrpScripts[0]).toMatchObject({ weight: -5, fall: 3, rise: 2 });
  });
});

// Real servers IPVS would refuse with EINVAL are refused when the config is
// read, with file:line:column, as keepalived 2.2.7 does for a family mismatch
// ("Address family of virtual server and real server ... don't match -
// skipping real server"); keepalived takes an IPv4-mapped IPv6 real server
// and the kernel then refuses it, which floatlb says at once instead.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/config/index.js';
import { EMPTY_ADMIN_STATE } from '../../../src/director/admin-state.js';
import { computeDesired } from '../../../src/director/desired.js';
import { Director } from '../../../src/director/director.js';
import type { DestSpec, ServiceKey } from '../../../src/kernel/dataplane.js';
import { canonicalIp } from '../../../src/kernel/vocabulary.js';
import { FakeDataPlane } from '../../support/fake-dataplane.js';
import { FakeHealth } from '../../support/fake-health.js';

const vs = (target: string, body: string) =>
  `virtual_server ${target} {\n  lb_algo rr\n  protocol TCP\n${body}}\n`;

function parse(text: string) {
  const r = parseConfigText(text, { file: 'f.conf' });
  expect(r.ok).toBe(true);
  const warnings = r.diagnostics.map((d) => `${d.file}:${d.line}:${d.column}: ${d.message}`);
  return { config: r.config!, warnings };
}

describe('address families of virtual and real servers', () => {
  it('skips an IPv4 real server of an IPv6 NAT service, naming where it is written', () => {
    const { config, warnings } = parse(
      vs(
        '2001:db8::50 80',
        '  lb_kind NAT\n  real_server 10.0.0.2 80 {\n  }\n  real_server 2001:db8::11 80 {\n  }\n',
      ),
    );
    expect(warnings).toEqual([
      "f.conf:5:15: address family of virtual server (IPv6) and real_server 10.0.0.2 (IPv4) don't match: IPVS forwards across families only with lvs_method TUN; real_server skipped, as keepalived does",
    ]);
    expect(config.virtualServers[0]!.realServers.map((r) => r.address)).toEqual(['2001:db8::11']);
  });

  it('skips an IPv6 real server of an IPv4 DR service, and a mismatched sorry server', () => {
    const { config, warnings } = parse(
      vs(
        '10.0.0.50 80',
        '  lb_kind DR\n  sorry_server 2001:db8::9 80\n  real_server 2001:db8::11 80 {\n  }\n  real_server 10.0.0.3 80 {\n  }\n',
      ),
    );
    expect(warnings.map((w) => w.split(': ')[0])).toEqual(['f.conf:5:16', 'f.conf:6:15']);
    expect(warnings[0]).toMatch(/sorry_server 2001:db8::9 \(IPv6\) don't match.*sorry_server skipped/);
    expect(config.virtualServers[0]!.realServers.map((r) => r.address)).toEqual(['10.0.0.3']);
    expect(config.virtualServers[0]!.sorryServer).toBeNull();
  });

  it('keeps a real server of the other family when it is tunnelled, as the kernel allows', () => {
    const { config, warnings } = parse(
      vs('2001:db8::50 80', '  lb_kind TUN\n  real_server 10.0.0.2 80 {\n  }\n'),
    );
    expect(warnings).toEqual([]);
    expect(config.virtualServers[0]!.realServers.map((r) => r.address)).toEqual(['10.0.0.2']);
  });

  it('refuses an IPv4-mapped IPv6 real server, tunnelled or not, with its IPv4 spelling in the message', () => {
    for (const kind of ['NAT', 'TUN']) {
      const { config, warnings } = parse(
        vs('2001:db8::50 80', `  lb_kind ${kind}\n  real_server ::FFFF:10.0.0.1 80 {\n  }\n`),
      );
      expect(warnings).toEqual([
        'f.conf:1:1: virtual_server has no real servers: keepalived ignores it',
        'f.conf:5:15: real_server ::ffff:a00:1 is an IPv4-mapped IPv6 address (IPv4 10.0.0.1), which IPVS refuses as a real server (EINVAL): real_server skipped',
      ]);
      expect(config.virtualServers[0]!.realServers).toEqual([]);
    }
  });

  it('gives a fwmark service without ip_family the family of its first untunnelled real server', () => {
    const { config, warnings } = parse(
      vs(
        'fwmark 7',
        '  lb_kind NAT\n  real_server 2001:db8::11 80 {\n  }\n  real_server 10.0.0.3 80 {\n  }\n',
      ),
    );
    const t = config.virtualServers[0]!.target;
    expect(t.kind === 'fwmark' && t.family).toBe('inet6');
    const family = warnings.filter((w) => w.includes('address family'));
    expect(family).toHaveLength(1);
    expect(family[0]).toMatch(
      /^f\.conf:7:15: address family of virtual server \(IPv6\) and real_server 10\.0\.0\.3/,
    );
  });
});

const MIXED_GROUP = `virtual_server_group G {
  10.0.0.60 80
  2001:db8::60 80
}
virtual_server group G {
  lb_algo rr
  lb_kind NAT
  protocol TCP
  persistence_timeout 60
  persistence_granularity 64
  real_server 2001:db8::11 80 {
  }
}
`;

describe('a group of both families', () => {
  it('warns that an untunnelled real server serves one family, and that /64 is /32 for IPv4', () => {
    const { config, warnings } = parse(MIXED_GROUP);
    expect(warnings).toEqual([
      'f.conf:5:1: virtual_server group G has IPv4 and IPv6 addresses: real_server 2001:db8::11 (IPv6, not lvs_method TUN) is left out of its IPv4 services',
      'f.conf:10:27: persistence_granularity 64 is longer than an IPv4 address: the IPv4 services of group G use 32',
    ]);
    const d = computeDesired({
      config,
      health: new Map(),
      roles: new Map(),
      admin: EMPTY_ADMIN_STATE,
      quorum: new Map(),
    });
    expect(
      d.services.map((s) => [
        s.spec.key.kind === 'ip' && s.spec.key.address,
        s.spec.persistence?.prefix,
        s.dests.map((x) => x.address),
      ]),
    ).toEqual([
      ['10.0.0.60', 32, []],
      ['2001:db8::60', 64, ['2001:db8::11']],
    ]);
  });

  it('reaches the kernel without an EINVAL', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'floatlb-fam-'));
    try {
      const plane = new FakeDataPlane();
      const d = new Director({
        plane,
        health: new FakeHealth(),
        adminStatePath: join(dir, 'admin.json'),
        loadConfig: async () =>
          parseConfigText(
            `${MIXED_GROUP}${vs('2001:db8::50 80', '  lb_kind NAT\n  real_server 10.0.0.2 80 {\n  }\n  real_server ::ffff:10.0.0.1 80 {\n  }\n')}`,
            { file: 'f.conf' },
          ),
      });
      const r = await d.start();
      expect(r.errors).toEqual([]);
      expect(plane.log.filter((o) => o.op === 'add-dest')).toHaveLength(1);
      await d.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the fake plane refuses what the kernel refuses', () => {
  const key: ServiceKey = {
    kind: 'ip',
    family: 'inet6',
    protocol: 'tcp',
    address: canonicalIp('2001:db8::50'),
    port: 80,
  };
  const dest = (address: string, forwarding: DestSpec['forwarding']): DestSpec => ({
    address: canonicalIp(address),
    port: 80,
    family: address.includes(':') ? 'inet6' : 'inet',
    forwarding,
    weight: 1,
    upperThreshold: 0,
    lowerThreshold: 0,
  });

  it('EINVAL for a mapped, multicast or unspecified address, and for another family without a tunnel', async () => {
    const plane = new FakeDataPlane();
    await plane.apply([
      { op: 'add-service', service: { key, scheduler: 'rr', flags: 0, persistence: null } },
    ]);
    const tried = [
      dest('::ffff:10.0.0.1', 'nat'),
      dest('::ffff:10.0.0.1', 'tun'),
      dest('ff02::1', 'dr'),
      dest('::', 'nat'),
      dest('10.0.0.2', 'nat'),
      dest('10.0.0.2', 'dr'),
      dest('10.0.0.2', 'tun'),
      dest('2001:db8::11', 'nat'),
    ];
    const r = await plane.apply(tried.map((d) => ({ op: 'add-dest' as const, key, dest: d })));
    expect(
      r.errors.map((e) => [
        `${e.op.op === 'add-dest' && e.op.dest.address}`,
        (e.error as NodeJS.ErrnoException).code,
      ]),
    ).toEqual([
      ['::ffff:a00:1', 'EINVAL'],
      ['::ffff:a00:1', 'EINVAL'],
      ['ff02::1', 'EINVAL'],
      ['::', 'EINVAL'],
      ['10.0.0.2', 'EINVAL'],
      ['10.0.0.2', 'EINVAL'],
    ]);
    expect((await plane.list())[0]!.dests.map((d) => d.address)).toEqual(['10.0.0.2', '2001:db8::11']);
  });
});

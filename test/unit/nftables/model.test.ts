import { describe, expect, it } from 'vitest';
import type { DataPlaneOp, DestSpec, Scheduler, ServiceSpec } from '../../../src/kernel/dataplane.js';
import { foldOp, NFT_SCHEDULERS, type SvcModel, serviceRefusal } from '../../../src/kernel/nftables/model.js';
import { decodeService, encodeService } from '../../../src/kernel/nftables/names.js';
import { canonicalIp as asIp, SCHED_FLAG_BIT } from '../../../src/kernel/vocabulary.js';

const key = { kind: 'ip', family: 'inet', protocol: 'tcp', address: asIp('10.0.0.1'), port: 80 } as const;
const svc = (over: Partial<ServiceSpec> = {}): ServiceSpec => ({
  key,
  scheduler: 'rr',
  flags: 0,
  persistence: null,
  ...over,
});
const dest = (over: Partial<DestSpec> = {}): DestSpec => ({
  address: asIp('10.1.0.1'),
  port: 8080,
  family: 'inet',
  forwarding: 'nat',
  weight: 1,
  upperThreshold: 0,
  lowerThreshold: 0,
  ...over,
});

function fold(ops: DataPlaneOp[]): Map<string, SvcModel> {
  const m = new Map<string, SvcModel>();
  for (const op of ops) foldOp(m, op);
  return m;
}

describe('operation validation', () => {
  it.each([
    'lc',
    'wlc',
    'sed',
    'nq',
    'lblc',
    'lblcr',
    'ovf',
    'twos',
  ] as const)('refuses the stateful scheduler %s and says why', (s) => {
    expect(() => fold([{ op: 'add-service', service: svc({ scheduler: s }) }])).toThrow(
      new RegExp(`scheduler ${s} is not supported by the nftables plane \\(.*connection counts`),
    );
  });

  it('refuses a destination of the other address family', () => {
    expect(() =>
      fold([
        { op: 'add-service', service: svc() },
        { op: 'add-dest', key, dest: dest({ address: asIp('2001:db8::1'), family: 'inet6' }) },
      ]),
    ).toThrow(/is inet6 but service tcp\/10.0.0.1:80 is inet: address family mix-up/);
    expect(() =>
      fold([
        { op: 'add-service', service: svc() },
        { op: 'add-dest', key, dest: dest({ address: asIp('2001:db8::1') }) },
      ]),
    ).toThrow(/address family mix-up/);
  });

  it('refuses fwmark services, DR/TUN forwarding and one-packet scheduling', () => {
    expect(() =>
      fold([{ op: 'add-service', service: svc({ key: { kind: 'fwmark', family: 'inet', fwmark: 1 } }) }]),
    ).toThrow(/fwmark/);
    expect(() =>
      fold([
        { op: 'add-service', service: svc() },
        { op: 'add-dest', key, dest: dest({ forwarding: 'dr' }) },
      ]),
    ).toThrow(/forwarding dr/);
    expect(() => fold([{ op: 'add-service', service: svc({ flags: SCHED_FLAG_BIT.ops }) }])).toThrow(/ops/);
  });

  it('refuses persistence on IPv6 services with the reason', () => {
    const k6 = { kind: 'ip', family: 'inet6', protocol: 'tcp', address: asIp('fd00::1'), port: 80 } as const;
    expect(() =>
      fold([{ op: 'add-service', service: svc({ key: k6, persistence: { timeoutSec: 60, prefix: 128 } }) }]),
    ).toThrow(/persistence on IPv6 services is not available in the nftables plane/);
  });

  it('refuses duplicates and missing objects', () => {
    expect(() =>
      fold([
        { op: 'add-service', service: svc() },
        { op: 'add-service', service: svc() },
      ]),
    ).toThrow(/already exists/);
    expect(() => fold([{ op: 'update-dest', key, dest: dest() }])).toThrow(/does not exist/);
  });

  it('round-trips the service comment', () => {
    const s = svc({
      key: {
        kind: 'ip',
        family: 'inet6',
        protocol: 'sctp',
        address: asIp('2001:db8:ffff:ffff:ffff:ffff:ffff:1'),
        port: 65535,
      },
      scheduler: 'mh',
      flags: SCHED_FLAG_BIT['mh-port'] | SCHED_FLAG_BIT['mh-fallback'],
      persistence: { timeoutSec: 86400, prefix: 128 },
    });
    // encoding is independent of what the plane accepts
    const c = encodeService(s as Parameters<typeof encodeService>[0]);
    expect(c.length).toBeLessThan(128);
    expect(decodeService(c)).toEqual(s);
  });
});

describe('serviceRefusal: one service at a time, with the nearest supported setting', () => {
  const dest = (forwarding: 'nat' | 'dr' | 'tun'): DestSpec => ({
    address: asIp('10.0.1.1'),
    port: 80,
    family: 'inet' as const,
    forwarding,
    weight: 1,
    upperThreshold: 0,
    lowerThreshold: 0,
  });
  const spec = (scheduler: Scheduler, extra: Partial<ServiceSpec> = {}): ServiceSpec => ({
    key,
    scheduler,
    flags: 0,
    persistence: null,
    ...extra,
  });

  it('accepts what the plane can do', () => {
    for (const s of NFT_SCHEDULERS) expect(serviceRefusal(spec(s), [dest('nat')])).toBeNull();
  });

  it('names the service, the reason and the nearest scheduler for each stateful one', () => {
    const near: Record<string, string> = {
      lc: 'rr',
      wlc: 'wrr',
      sed: 'wrr',
      nq: 'wrr',
      twos: 'wrr',
      lblc: 'dh',
      lblcr: 'dh',
      ovf: 'fo',
    };
    for (const [s, n] of Object.entries(near)) {
      expect(serviceRefusal(spec(s as Scheduler), [])).toMatch(
        new RegExp(
          `^service tcp/10\\.0\\.0\\.1:80: scheduler ${s} .*; nearest supported: lb_algo ${n}, or the IPVS plane$`,
        ),
      );
    }
  });

  it('refuses DR, TUN, fwmark and ops with what would work', () => {
    expect(serviceRefusal(spec('rr'), [dest('nat'), dest('dr')])).toMatch(
      /lb_kind DR.*nearest supported: lb_kind NAT/,
    );
    expect(serviceRefusal(spec('rr'), [dest('tun')])).toMatch(/lb_kind TUN.*nearest supported: lb_kind NAT/);
    expect(serviceRefusal(spec('rr', { key: { kind: 'fwmark', family: 'inet', fwmark: 3 } }), [])).toMatch(
      /^service fwmark\/inet\/3: .*address:port services only; nearest supported: a virtual_server per address and port/,
    );
    expect(serviceRefusal(spec('rr', { flags: SCHED_FLAG_BIT.ops }), [])).toMatch(
      /ops.*nearest supported: the same service without ops/,
    );
  });
});

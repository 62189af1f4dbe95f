import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DesiredService } from '../../../src/director/desired.js';
import { diffServices } from '../../../src/director/diff.js';
import type { DestSpec, ServiceSpec, ServiceState } from '../../../src/kernel/dataplane.js';
import { serviceId } from '../../../src/kernel/dataplane.js';
import { canonicalIp as asIp, SCHED_FLAG_BIT } from '../../../src/kernel/vocabulary.js';
import { FakeDataPlane } from '../../support/fake-dataplane.js';

const svc = (port: number, scheduler: ServiceSpec['scheduler'] = 'wrr'): ServiceSpec => ({
  key: { kind: 'ip', family: 'inet', protocol: 'tcp', address: asIp('10.0.0.1'), port },
  scheduler,
  flags: 0,
  persistence: null,
});
const dest = (last: number, weight: number): DestSpec => ({
  address: asIp(`10.0.1.${last}`),
  port: 80,
  family: 'inet',
  forwarding: 'nat',
  weight,
  upperThreshold: 0,
  lowerThreshold: 0,
});
const state = (s: ServiceSpec, dests: DestSpec[]): ServiceState => ({
  ...s,
  stats: null,
  dests: dests.map((d) => ({ ...d, activeConns: 0, inactiveConns: 0, persistentConns: 0, stats: null })),
});

describe('diffServices', () => {
  it('adds what is missing', () => {
    const r = diffServices([{ spec: svc(80), dests: [dest(1, 1)] }], [], new Set());
    expect(r.ops.map((o) => o.op)).toEqual(['add-service', 'add-dest']);
  });

  it('changes only the weight that changed', () => {
    const actual = [state(svc(80), [dest(1, 1), dest(2, 1)])];
    const r = diffServices([{ spec: svc(80), dests: [dest(1, 1), dest(2, 0)] }], actual, new Set());
    expect(r.ops).toEqual([{ op: 'update-dest', key: svc(80).key, dest: dest(2, 0) }]);
  });

  it('adopts identical kernel state with no operation at all', () => {
    const actual = [state(svc(80), [dest(1, 1)])];
    expect(diffServices([{ spec: svc(80), dests: [dest(1, 1)] }], actual, new Set()).ops).toEqual([]);
  });

  it('treats sh-fallback and mh-fallback as the same flag bit', () => {
    const want: ServiceSpec = { ...svc(80, 'mh'), flags: SCHED_FLAG_BIT['mh-fallback'] };
    const actual = [state({ ...want, flags: SCHED_FLAG_BIT['sh-fallback'] }, [])];
    expect(diffServices([{ spec: want, dests: [] }], actual, new Set()).ops).toEqual([]);
  });

  it('deletes a service only when floatlb owned it', () => {
    const actual = [state(svc(80), []), state(svc(81), [])];
    const r = diffServices([], actual, new Set([serviceId(svc(80).key)]));
    expect(r.ops).toEqual([{ op: 'delete-service', key: svc(80).key }]);
  });

  it('converges: applying the diff to a fake plane leaves nothing to do', async () => {
    const arbDesired = fc.uniqueArray(
      fc.record({
        port: fc.integer({ min: 1, max: 40 }),
        sched: fc.constantFrom('rr', 'wrr', 'lc', 'sh' as const),
        dests: fc.uniqueArray(
          fc.record({ last: fc.integer({ min: 1, max: 9 }), w: fc.integer({ min: 0, max: 5 }) }),
          {
            selector: (d) => d.last,
            maxLength: 5,
          },
        ),
      }),
      { selector: (s) => s.port, maxLength: 8 },
    );
    await fc.assert(
      fc.asyncProperty(arbDesired, arbDesired, async (before, after) => {
        const toDesired = (xs: typeof before): DesiredService[] =>
          xs.map((x) => ({ spec: svc(x.port, x.sched), dests: x.dests.map((d) => dest(d.last, d.w)) }));
        const plane = new FakeDataPlane();
        const r1 = diffServices(toDesired(before), await plane.list(), new Set());
        await plane.apply(r1.ops);
        const r2 = diffServices(toDesired(after), await plane.list(), r1.owned);
        const res = await plane.apply(r2.ops);
        expect(res.errors).toEqual([]);
        const r3 = diffServices(toDesired(after), await plane.list(), r2.owned);
        expect(r3.ops).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });
});

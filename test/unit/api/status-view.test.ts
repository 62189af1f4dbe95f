// The status page's pure parts: the event ring, probe ledger, rates from the
// data plane's counters, the CSV export and `floatlb status`'s text.
import { describe, expect, it } from 'vitest';
import { EVENT_LIMIT, EventLog, ProbeLedger, RateHistory } from '../../../src/api/events.js';
import { type StatusView, statusCsv } from '../../../src/api/status-view.js';
import { formatStatus } from '../../../src/cli/status-format.js';
import type { ServiceState, Stats } from '../../../src/kernel/dataplane.js';

const stats = (conns: number, bytes: number): Stats => ({
  conns: BigInt(conns),
  inPackets: 0n,
  outPackets: 0n,
  inBytes: BigInt(bytes),
  outBytes: 0n,
  cps: 0n,
  inPps: 0n,
  outPps: 0n,
  inBps: 0n,
  outBps: 0n,
});

function service(conns: number, bytes: number): ServiceState {
  return {
    key: { kind: 'ip', family: 'inet', protocol: 'tcp', address: '10.0.0.1', port: 80 },
    scheduler: 'wrr',
    flags: 0,
    persistence: null,
    stats: stats(conns, bytes),
    dests: [
      {
        address: '10.0.1.1',
        port: 80,
        family: 'inet',
        forwarding: 'masq',
        weight: 1,
        activeConns: 3,
        inactiveConns: 1,
        persistentConns: 0,
        stats: stats(conns, bytes),
      },
    ],
  } as unknown as ServiceState;
}

const VIEW: StatusView = {
  generatedAt: '2026-12-03T10:00:10.000Z',
  plane: 'nftables',
  planeReason: 'the kernel has no IPVS',
  lastReconcileErrors: [],
  refused: [],
  vrrp: [
    {
      name: 'VI_1',
      vrid: 51,
      interface: 'eth0',
      state: 'BACKUP',
      priority: 100,
      peerPriority: 150,
      master: '10.0.0.2',
      vips: ['10.0.0.1/24'],
      reason: 'started',
      since: '2026-12-03T10:00:00.000Z',
    },
  ],
  services: [
    {
      id: 'tcp/10.0.0.1:80',
      vip: '10.0.0.1',
      scheduler: 'wrr',
      flags: [],
      forwarding: 'NAT',
      persistence: null,
      plane: 'nftables',
      quorumUp: true,
      sorryServer: null,
      sorryServerInUse: false,
      activeStandby: false,
      disagreement: null,
      inKernel: true,
      rates: [],
      servers: [
        {
          address: '10.0.1.1',
          port: 80,
          id: '10.0.1.1:80',
          state: 'DOWN',
          healthy: false,
          check: {
            ok: false,
            latencyMs: 1000,
            reason: 'timeout, "after" 1000 ms',
            at: '2026-12-03T10:00:09.000Z',
            lastFailure: { reason: 'timeout, "after" 1000 ms', at: '2026-12-03T10:00:09.000Z' },
          },
          configuredWeight: 2,
          kernelWeight: null,
          link: 'linked',
          drained: false,
          weightOverride: null,
          activeConns: null,
          inactiveConns: null,
          persistentConns: null,
          rates: [],
        },
        {
          address: '10.0.1.2',
          port: 80,
          id: '10.0.1.2:80',
          state: 'DRAIN',
          healthy: true,
          check: null,
          configuredWeight: 1,
          kernelWeight: 0,
          link: 'linked',
          drained: true,
          weightOverride: null,
          activeConns: 4,
          inactiveConns: 2,
          persistentConns: 0,
          rates: [[1000, 2.5, 300]],
        },
      ],
    },
  ],
  events: [],
};

describe('status page model', () => {
  it('keeps the last 200 events, newest last, and tells subscribers', () => {
    const log = new EventLog(() => new Date('2026-12-03T10:00:00Z'));
    const heard: number[] = [];
    log.subscribe((e) => heard.push(e.seq));
    for (let i = 0; i < EVENT_LIMIT + 5; i++) log.add('health', `e${i}`);
    expect(log.list()).toHaveLength(EVENT_LIMIT);
    expect(log.list()[0]!.text).toBe('e5');
    expect(log.list().at(-1)).toMatchObject({ seq: EVENT_LIMIT + 5, text: `e${EVENT_LIMIT + 4}` });
    expect(heard).toHaveLength(EVENT_LIMIT + 5);
  });

  it('remembers the last failed check after the target recovers', () => {
    const p = new ProbeLedger();
    p.record('t', false, 1000.04, 'refused', new Date('2026-12-03T10:00:00Z'));
    p.record('t', true, 0.5, undefined, new Date('2026-12-03T10:00:01Z'));
    expect(p.get('t')).toMatchObject({
      ok: true,
      latencyMs: 0.5,
      reason: null,
      lastFailure: { reason: 'refused', at: '2026-12-03T10:00:00.000Z' },
    });
    expect(p.get('other')).toBeNull();
  });

  it('turns cumulative counters into rates, and a counter reset into zero, not a negative rate', () => {
    const r = new RateHistory(10);
    r.sample([service(100, 1000)], 0);
    r.sample([service(110, 3000)], 2000);
    r.sample([service(5, 10)], 3000);
    expect(r.get('tcp/10.0.0.1:80')).toEqual([
      [2, 5, 1000],
      [3, 0, 0],
    ]);
    expect(r.get('tcp/10.0.0.1:80|10.0.1.1:80')).toHaveLength(2);
    r.sample([service(6, 10)], 20_000);
    expect(r.get('tcp/10.0.0.1:80')).toEqual([[20, 1 / 17, 0]]);
    r.sample([], 21_000);
    expect(r.get('tcp/10.0.0.1:80')).toEqual([]);
  });

  it('exports one CSV row per real server, quoting what needs it', () => {
    const lines = statusCsv(VIEW).trimEnd().split('\n');
    expect(lines).toEqual([
      'service,scheduler,forwarding,server,state,last_check,latency_ms,reason,weight,kernel_weight,active,inactive,persistent,cps,bps',
      'tcp/10.0.0.1:80,wrr,NAT,10.0.1.1:80,DOWN,failed,1000,"timeout, ""after"" 1000 ms",2,,,,,,',
      'tcp/10.0.0.1:80,wrr,NAT,10.0.1.2:80,DRAIN,,,,1,0,4,2,0,2.5,300',
    ]);
  });

  it('floatlb status prints roles, priorities, scheduler, forwarding, connections and the failed check reason', () => {
    expect(formatStatus(VIEW, new Date('2026-12-03T10:00:10Z'))).toBe(
      `data plane: nftables (the kernel has no IPVS)
VRRP VI_1: BACKUP priority 100, peer priority 150, since 10 s ago (started)
tcp/10.0.0.1:80  scheduler wrr, forwarding NAT
  10.0.1.1:80            DOWN    w=2        kernel w=-  not in the data plane  failed: timeout, "after" 1000 ms
  10.0.1.2:80            DRAIN   w=1        kernel w=0  active 4 inactive 2 persistent 0
`,
    );
  });
});

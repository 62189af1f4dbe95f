// Prometheus metrics. Data-plane statistics are read from the kernel at
// scrape time, so they are never stale.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ProbeEvent } from '../health/types.js';
import { type DataPlane, destId, type ServiceState, type Stats, serviceId } from '../kernel/dataplane.js';

export interface VrrpView {
  readonly name: string;
  readonly state: string;
  readonly splitBrain: number;
  readonly dropped: Readonly<Record<string, number>>;
}

export interface Metrics {
  readonly registry: Registry;
  readonly reconcileOps: Counter<'op'>;
  readonly reconcileErrors: Counter;
  readonly checkResults: Counter<'target' | 'result'>;
  readonly checkLatency: Histogram<'type'>;
  readonly realServerUp: Gauge<'target'>;
  readonly vrrpState: Gauge<'instance' | 'state'>;
  readonly vrrpSplitBrain: Gauge<'instance'>;
  readonly vrrpDropped: Gauge<'instance' | 'reason'>;
  /** Where the VRRP gauges read their values at scrape time. */
  setVrrpSource(fn: () => readonly VrrpView[]): void;
  /** Where the refused-services gauge reads at scrape time. */
  setRefusedSource(fn: () => ReadonlyArray<{ service: string; reason: string }>): void;
  observeProbe(ev: ProbeEvent): void;
}

export function createMetrics(plane: () => DataPlane | null): Metrics {
  const registry = new Registry();
  const reconcileOps = new Counter({
    name: 'floatlb_reconcile_operations_total',
    help: 'Data-plane operations applied by the reconciler.',
    labelNames: ['op'] as const,
    registers: [registry],
  });
  const reconcileErrors = new Counter({
    name: 'floatlb_reconcile_errors_total',
    help: 'Data-plane operations the kernel refused.',
    registers: [registry],
  });
  const checkResults = new Counter({
    name: 'floatlb_check_results_total',
    help: 'Health-check probe results.',
    labelNames: ['target', 'result'] as const,
    registers: [registry],
  });
  const checkLatency = new Histogram({
    name: 'floatlb_check_latency_seconds',
    help: 'Health-check probe latency.',
    labelNames: ['type'] as const,
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers: [registry],
  });
  const realServerUp = new Gauge({
    name: 'floatlb_real_server_up',
    help: '1 when the real server passes its checks.',
    labelNames: ['target'] as const,
    registers: [registry],
  });
  let vrrpSource: () => readonly VrrpView[] = () => [];
  const vrrpState = new Gauge({
    name: 'floatlb_vrrp_state',
    help: '1 for the VRRP state each instance is in.',
    labelNames: ['instance', 'state'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const v of vrrpSource()) this.set({ instance: v.name, state: v.state }, 1);
    },
  });
  const vrrpSplitBrain = new Gauge({
    name: 'floatlb_vrrp_other_master_seen_total',
    help: 'Adverts from another master on the same VRID while master (split brain).',
    labelNames: ['instance'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const v of vrrpSource()) this.set({ instance: v.name }, v.splitBrain);
    },
  });
  const vrrpDropped = new Gauge({
    name: 'floatlb_vrrp_dropped_packets_total',
    help: 'VRRP packets dropped by reason (bad checksum, TTL, auth, VRID...).',
    labelNames: ['instance', 'reason'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const v of vrrpSource())
        for (const [reason, n] of Object.entries(v.dropped)) this.set({ instance: v.name, reason }, n);
    },
  });
  // The registry collects every metric concurrently: one kernel read serves
  // all data-plane gauges of a scrape.
  let pending: Promise<ServiceState[] | null> | null = null;
  const snapshot = () => {
    pending ??= Promise.resolve(plane()?.list() ?? null).finally(() =>
      setImmediate(() => {
        pending = null;
      }),
    );
    return pending;
  };
  type Fill = (g: Gauge<'service' | 'server'>, s: ServiceState) => void;
  const perServer = (name: string, help: string, fill: Fill) =>
    new Gauge({
      name,
      help,
      labelNames: ['service', 'server'] as const,
      registers: [registry],
      async collect() {
        const list = await snapshot();
        this.reset();
        for (const s of list ?? []) fill(this, s);
      },
    });
  const counter =
    (pick: (st: Stats) => bigint): Fill =>
    (g, s) => {
      const service = serviceId(s.key);
      if (s.stats) g.set({ service, server: '' }, Number(pick(s.stats)));
      for (const d of s.dests) if (d.stats) g.set({ service, server: destId(d) }, Number(pick(d.stats)));
    };
  perServer(
    'floatlb_dataplane_connections_total',
    'Connections scheduled (kernel counter).',
    counter((x) => x.conns),
  );
  perServer(
    'floatlb_dataplane_in_bytes_total',
    'Bytes in (kernel counter).',
    counter((x) => x.inBytes),
  );
  perServer(
    'floatlb_dataplane_out_bytes_total',
    'Bytes out (kernel counter).',
    counter((x) => x.outBytes),
  );
  perServer('floatlb_dataplane_active_connections', 'Active connections per real server.', (g, s) => {
    for (const d of s.dests) g.set({ service: serviceId(s.key), server: destId(d) }, d.activeConns);
  });
  perServer('floatlb_dataplane_weight', 'Weight programmed per real server.', (g, s) => {
    for (const d of s.dests) g.set({ service: serviceId(s.key), server: destId(d) }, d.weight);
  });
  const info = new Gauge({
    name: 'floatlb_dataplane_info',
    help: 'The data plane in use.',
    labelNames: ['plane'] as const,
    registers: [registry],
    collect() {
      this.reset();
      const p = plane();
      if (p) this.set({ plane: p.kind }, 1);
    },
  });
  void info;
  let refusedSource: () => ReadonlyArray<{ service: string; reason: string }> = () => [];
  const refused = new Gauge({
    name: 'floatlb_service_refused',
    help: 'Virtual services the data plane cannot program (1 each), with the reason.',
    labelNames: ['service', 'reason'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const r of refusedSource()) this.set({ service: r.service, reason: r.reason }, 1);
    },
  });
  void refused;
  return {
    registry,
    reconcileOps,
    reconcileErrors,
    checkResults,
    checkLatency,
    realServerUp,
    vrrpState,
    vrrpSplitBrain,
    vrrpDropped,
    setVrrpSource(fn) {
      vrrpSource = fn;
    },
    setRefusedSource(fn) {
      refusedSource = fn;
    },
    observeProbe(ev) {
      if (ev.skipped) return;
      checkResults.inc({ target: ev.target, result: ev.ok ? 'ok' : 'fail' });
      checkLatency.observe({ type: ev.type }, ev.latencyMs / 1000);
    },
  };
}

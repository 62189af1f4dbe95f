// What the status page shows besides the config and the kernel: the last 200
// events, the last probe of each health target, and the data plane's rates
// over the last minutes. Fed by the daemon; read by the status view.
import type { ServiceState, Stats } from '../kernel/dataplane.js';
import { destId, serviceId } from '../kernel/dataplane.js';

export type EventKind = 'health' | 'vrrp' | 'link' | 'admin' | 'reload' | 'refused';

export interface StatusEvent {
  readonly seq: number;
  readonly at: string;
  readonly kind: EventKind;
  readonly text: string;
  /** Who asked, for operations a caller made. */
  readonly who?: string;
}

export const EVENT_LIMIT = 200;

export class EventLog {
  private readonly ring: StatusEvent[] = [];
  private seq = 0;
  private readonly listeners = new Set<(e: StatusEvent) => void>();

  constructor(private readonly now: () => Date = () => new Date()) {}

  add(kind: EventKind, text: string, who?: string): StatusEvent {
    const e: StatusEvent = {
      seq: ++this.seq,
      at: this.now().toISOString(),
      kind,
      text,
      ...(who ? { who } : {}),
    };
    this.ring.push(e);
    if (this.ring.length > EVENT_LIMIT) this.ring.shift();
    for (const l of this.listeners) l(e);
    return e;
  }

  /** Newest last. */
  list(): readonly StatusEvent[] {
    return this.ring;
  }

  subscribe(fn: (e: StatusEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
}

export interface ProbeRecord {
  readonly ok: boolean;
  readonly latencyMs: number;
  readonly reason: string | null;
  readonly at: string;
  /** The reason of the last failed probe, kept after the target recovers. */
  readonly lastFailure: { readonly reason: string; readonly at: string } | null;
}

/** The last probe result of each health target (keyed like the director's real server keys). */
export class ProbeLedger {
  private readonly last = new Map<string, ProbeRecord>();

  record(target: string, ok: boolean, latencyMs: number, reason: string | undefined, at = new Date()): void {
    const prev = this.last.get(target);
    const when = at.toISOString();
    this.last.set(target, {
      ok,
      latencyMs: Math.round(latencyMs * 10) / 10,
      reason: reason ?? null,
      at: when,
      lastFailure: ok ? (prev?.lastFailure ?? null) : { reason: reason ?? 'failed', at: when },
    });
  }

  get(target: string): ProbeRecord | null {
    return this.last.get(target) ?? null;
  }
}

/** One point of a rate series: seconds since the epoch, connections/s, bytes/s. */
export type RatePoint = readonly [t: number, cps: number, bps: number];

const bytes = (s: Stats) => Number(s.inBytes + s.outBytes);

/**
 * Rates from successive samples of the data plane's cumulative counters, per
 * service and per real server ("service|server"), over the last `keepSec`.
 */
export class RateHistory {
  private readonly prev = new Map<string, { t: number; conns: number; bytes: number }>();
  private readonly series = new Map<string, RatePoint[]>();

  constructor(private readonly keepSec = 300) {}

  sample(services: readonly ServiceState[], nowMs = Date.now()): void {
    const t = nowMs / 1000;
    const seen = new Set<string>();
    const put = (key: string, s: Stats | null) => {
      if (!s) return;
      seen.add(key);
      const cur = { t, conns: Number(s.conns), bytes: bytes(s) };
      const p = this.prev.get(key);
      this.prev.set(key, cur);
      if (!p || t <= p.t) return;
      // Counters restart when an entry is re-created: a drop is not a negative rate.
      const dt = t - p.t;
      const point: RatePoint = [
        Math.round(t),
        Math.max(0, (cur.conns - p.conns) / dt),
        Math.max(0, (cur.bytes - p.bytes) / dt),
      ];
      const arr = this.series.get(key) ?? [];
      arr.push(point);
      while (arr.length && arr[0]![0] < t - this.keepSec) arr.shift();
      this.series.set(key, arr);
    };
    for (const svc of services) {
      const sid = serviceId(svc.key);
      put(sid, svc.stats);
      for (const d of svc.dests) put(`${sid}|${destId(d)}`, d.stats);
    }
    for (const k of [...this.prev.keys()]) {
      if (!seen.has(k)) {
        this.prev.delete(k);
        this.series.delete(k);
      }
    }
  }

  get(key: string): readonly RatePoint[] {
    return this.series.get(key) ?? [];
  }
}

// Reduces raw samples to per-candidate figures: medians of the rounds with
// min and max, and ratios taken inside each round (candidate / direct,
// candidate / HAProxy) before the median, so a slow round moves both sides.
import type { BulkSample, Mode, PhaseResult, Sample } from '../dataplane/phase.js';
import { type Spread, spread } from './stats.js';

export interface Row {
  readonly id: string;
  readonly label: string;
  readonly kind: string;
  readonly rps: Spread | null;
  readonly p50: Spread | null;
  readonly p99: Spread | null;
  /** LB CPU seconds per 10,000 requests. */
  readonly cpu10k: Spread | null;
  readonly vsDirect: Spread | null;
  readonly vsHaproxy: Spread | null;
  /** LB CPU per request relative to HAProxy's (1 RS), per round. */
  readonly cpuVsHaproxy: Spread | null;
  readonly errors: number;
  readonly load: Spread | null;
}

const cpu10k = (s: Sample) => (s.requests > 0 ? (s.lbCpuSec / s.requests) * 10_000 : Number.NaN);

function byRound(samples: readonly Sample[], id: string, mode: Mode): Map<number, Sample> {
  return new Map(samples.filter((s) => s.candidate === id && s.mode === mode).map((s) => [s.round, s]));
}

export function summarize(p: PhaseResult, mode: Mode, haproxyId = 'haproxy-1'): Row[] {
  const dir = byRound(p.samples, 'direct', mode);
  const hap = byRound(p.samples, haproxyId, mode);
  return p.candidates.map((c) => {
    const mine = [...byRound(p.samples, c.id, mode).values()];
    const ratio = (other: Map<number, Sample>, f: (a: Sample, b: Sample) => number) =>
      spread(mine.flatMap((s) => (other.has(s.round) ? [f(s, other.get(s.round)!)] : [])));
    return {
      id: c.id,
      label: c.label,
      kind: c.kind,
      rps: spread(mine.map((s) => s.rps)),
      p50: spread(mine.map((s) => s.p50ms)),
      p99: spread(mine.map((s) => s.p99ms)),
      cpu10k: spread(mine.map(cpu10k)),
      vsDirect: ratio(dir, (a, b) => a.rps / b.rps),
      vsHaproxy: ratio(hap, (a, b) => a.rps / b.rps),
      cpuVsHaproxy: ratio(hap, (a, b) => cpu10k(a) / cpu10k(b)),
      errors: mine.reduce((a, s) => a + s.errors, 0),
      load: spread(mine.map((s) => s.load1)),
    };
  });
}

export interface BulkRow {
  readonly id: string;
  readonly label: string;
  readonly gbps: Spread | null;
  readonly vsDirect: Spread | null;
}

export function summarizeBulk(p: PhaseResult): BulkRow[] {
  const get = (id: string) => new Map(p.bulk.filter((b) => b.candidate === id).map((b) => [b.round, b]));
  const dir = get('direct');
  return p.candidates
    .filter((c) => p.bulk.some((b) => b.candidate === c.id))
    .map((c) => {
      const mine: BulkSample[] = [...get(c.id).values()];
      return {
        id: c.id,
        label: c.label,
        gbps: spread(mine.map((b) => b.gbps)),
        vsDirect: spread(mine.flatMap((b) => (dir.has(b.round) ? [b.gbps / dir.get(b.round)!.gbps] : []))),
      };
    });
}

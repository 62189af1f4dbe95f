// "Repeatability and noise": which req/s figures were noisy, what the
// machine did during their samples, and how two runs compare. The cause is
// measured per sample (bench/dataplane/context.ts): the bench saturates both
// CPUs, so req/s follows the CPU it gets, and the hypervisor (steal) and
// processes outside the bench (foreign CPU) take some of it.
import type { PhaseResult, Sample } from '../dataplane/phase.js';
import { fmt, fmtSpread, relSpread, spread } from './stats.js';
import { type Row, summarize } from './summary.js';

/** The part of a run this section reads (a data-plane-only run has no more). */
export interface NoiseInput {
  readonly startedAt?: string;
  readonly machine?: { readonly cpu: string; readonly kernel: string };
  readonly load: { readonly start: readonly number[] };
  readonly dataplane: PhaseResult;
}

/**
 * How the previous run's machine differs from this one's, or null. The VM
 * lands on hosts with other CPUs (Xeon, EPYC) whose req/s differ by 2-3x, so
 * a run on another CPU or kernel is not a repetition of this one.
 */
export function otherMachine(cur: NoiseInput, prev: NoiseInput): string | null {
  if (!cur.machine || !prev.machine) return null;
  const diff: string[] = [];
  if (cur.machine.cpu !== prev.machine.cpu) diff.push(`${prev.machine.cpu}, this run ${cur.machine.cpu}`);
  if (cur.machine.kernel !== prev.machine.kernel)
    diff.push(`kernel ${prev.machine.kernel}, this run ${cur.machine.kernel}`);
  return diff.length ? diff.join('; ') : null;
}

export function withinTen(
  cur: NoiseInput,
  prev: NoiseInput,
): { within: number; total: number; outside: string[] } {
  let within = 0;
  let total = 0;
  const outside: string[] = [];
  const width = (x: { median: number; min: number; max: number }) =>
    Math.round(((x.max - x.min) / x.median) * 100);
  for (const mode of ['close', 'keepalive'] as const) {
    const prows = summarize(prev.dataplane, mode);
    for (const x of summarize(cur.dataplane, mode)) {
      const y = prows.find((z) => z.id === x.id);
      if (!x.rps || !y?.rps) continue;
      total++;
      const d = x.rps.median / y.rps.median - 1;
      if (Math.abs(d) <= 0.1) within++;
      else
        outside.push(
          `${x.label} ${mode} ${d >= 0 ? '+' : ''}${Math.round(d * 100)}% (its rounds spread ` +
            `${width(x.rps)}% of the median in this run, ${width(y.rps)}% in the one before)`,
        );
    }
  }
  return { within, total, outside };
}

/** Spearman's rank correlation (no tie correction; the values are continuous). */
export function rankCorrelation(xs: readonly number[], ys: readonly number[]): number {
  const rank = (v: readonly number[]) => {
    const idx = v.map((x, i) => [x, i] as const).sort((a, b) => a[0] - b[0]);
    const r = new Array<number>(v.length);
    idx.forEach(([, i], k) => {
      r[i] = k;
    });
    return r;
  };
  const n = xs.length;
  if (n < 3) return Number.NaN;
  const rx = rank(xs);
  const ry = rank(ys);
  const d2 = rx.reduce((a, r, i) => a + (r - ry[i]!) ** 2, 0);
  return 1 - (6 * d2) / (n * (n * n - 1));
}

const measuredShare = (s: Sample) => typeof s.steal === 'number' && typeof s.foreignSec === 'number';
/** CPUs taken from the bench during a sample: foreign processes plus the hypervisor's steal on 2 CPUs. */
const taken = (s: Sample) => s.foreignSec / Math.max(0.1, s.seconds) + 2 * s.steal;
const pct = (v: number) => `${Math.round(v * 100)}%`;
/** CPU taken from the bench (foreign + steal) below which a sample counts as quiet. */
const QUIET = 0.05;

/** Each value divided by the median of its figure's (candidate and mode) values; null stays null. */
function relativeToFigure(ss: readonly Sample[], vals: readonly (number | null)[]): (number | null)[] {
  const key = (s: Sample) => `${s.candidate}/${s.mode}`;
  const byFigure = new Map<string, number[]>();
  ss.forEach((s, i) => {
    const v = vals[i];
    if (v != null) byFigure.set(key(s), [...(byFigure.get(key(s)) ?? []), v]);
  });
  const median = new Map([...byFigure].map(([k, v]) => [k, spread(v)!.median]));
  return vals.map((v, i) => (v == null ? null : v / median.get(key(ss[i]))!));
}

/** The measured cause, from this run's own samples. */
function cause(p: PhaseResult): string[] {
  const ss = p.samples.filter(measuredShare);
  if (ss.length < 3)
    return ['This run predates the per-sample steal and foreign-CPU record: no cause measured.', ''];
  const rel = relativeToFigure(
    ss,
    ss.map((s) => s.rps),
  ) as number[];
  const rho = rankCorrelation(rel, ss.map(taken));
  const idle = spread(ss.map((s) => s.idle))!;
  const steal = spread(ss.map((s) => s.steal))!;
  const foreign = spread(ss.map((s) => s.foreignSec / Math.max(0.1, s.seconds)))!;
  return [
    `**Measured cause.** The less idle CPU was idle ${pct(idle.median)} of a sample (median; max ${pct(idle.max)}): ` +
      'wrk, the real servers and the load balancer saturate the 2 vCPUs, so req/s is the CPU the bench gets divided by ' +
      'its cost per request. Two takers are visible from inside the VM and are recorded with each sample: processes ' +
      `outside the bench’s namespaces took ${fmt(foreign.median)} CPUs (median; max ${fmt(foreign.max)}), and the ` +
      `hypervisor stole ${pct(steal.median)} of a CPU (median; max ${pct(steal.max)}). The rank correlation between a ` +
      `sample’s req/s (relative to its figure’s median) and the CPU taken from it is ρ = ${fmt(rho)} over ${ss.length} samples. ` +
      'What is left is the host: with no steal and no foreign process, repeated samples of one path still differed by ' +
      'up to 25%, and a fixed loop’s CPU time varied ±20% (bench/README.md, Noise). TIME_WAIT, conntrack, listen ' +
      'queues and SYN retransmits were ruled out by the same experiments.',
    '',
    ...wakeupLine(ss, rel),
  ];
}

/** NET_RX wake-ups of the client's CPU per request, when the samples recorded them. */
function wakeupLine(ss: readonly Sample[], rel: readonly number[]): string[] {
  const per = ss.map((s) =>
    s.netRxClientCpu != null && s.requests > 0 ? s.netRxClientCpu / s.requests : null,
  );
  // relative to the figure's median, as req/s is: candidates differ in their level
  const relPer = relativeToFigure(ss, per);
  // each sample: [req/s, wake-ups per request, both relative; CPU taken from the bench]
  const pairs = relPer.flatMap((w, i) => (w == null ? [] : [[rel[i]!, w, taken(ss[i]!)] as const]));
  if (pairs.length < 3) return [];
  const rho = (ps: typeof pairs) =>
    ps.length < 3
      ? null
      : rankCorrelation(
          ps.map((p) => p[0]),
          ps.map((p) => p[1]),
        );
  // a CPU taken by the hypervisor or other processes moves both: it slows the CPU, and a slower CPU
  // hands over larger batches; the samples where little was taken show the wake-ups' own effect
  const quiet = pairs.filter((p) => p[2] < QUIET);
  const busy = pairs.filter((p) => p[2] >= QUIET);
  const rq = rho(quiet);
  const rb = rho(busy);
  const of = (id: string) =>
    spread(
      ss.flatMap((s, i) => (s.candidate === id && s.mode === 'close' && per[i] != null ? [per[i]!] : [])),
    );
  const d = of('direct');
  const n = of('nft-rr-1');
  return [
    '**Wake-ups.** Every packet that crosses between the two CPUs is handed over by an inter-processor interrupt ' +
      '(RPS), and in a VM each one is an exit to the hypervisor, whose cost depends on the host. The client’s CPU, ' +
      'the busier one, ran a NET_RX softirq ' +
      (d && n
        ? `${fmt(d.median)} times per request on the direct path (median, new connection per request; ` +
          `${fmt(d.min)}–${fmt(d.max)}) and ${fmt(n.median)} times through the nftables plane (rr, 1 RS; ` +
          `${fmt(n.min)}–${fmt(n.max)}). `
        : 'per request as recorded in results.json (`netRxClientCpu`). ') +
      'The rank correlation between a sample’s req/s and its wake-ups per request (each relative to its figure’s ' +
      `median) is ρ = ${rq == null ? '–' : fmt(rq)} over the ${quiet.length} samples from which less than ` +
      `${pct(QUIET)} of a CPU was taken, and ρ = ${rb == null ? '–' : fmt(rb)} over the ${busy.length} others, where ` +
      'the CPU taken slows both. bench/README.md (Noise) has the experiment that isolates the wake-ups.',
    '',
  ];
}

function noisyLine(r: NoiseInput, close: Row[], keep: Row[]): string {
  const noisy = [
    ...close.map((x) => [x, 'close'] as const),
    ...keep.map((x) => [x, 'keepalive'] as const),
  ].filter(([x]) => relSpread(x.rps) > 0.2);
  if (!noisy.length) return 'No req/s figure spread more than 20% of its median across rounds.';
  const why = (id: string, mode: string) => {
    const ss = r.dataplane.samples.filter((s) => s.candidate === id && s.mode === mode && measuredShare(s));
    if (!ss.length) return '';
    const t = spread(ss.map(taken))!;
    return `, CPU taken ${fmt(t.min)}–${fmt(t.max)}`;
  };
  return (
    `Figures whose rounds spread more than 20% of their median (req/s): ${noisy
      .map(([x, m]) => `${x.label} ${m} (${Math.round(relSpread(x.rps) * 100)}%${why(x.id, m)})`)
      .join('; ')}. ` +
    `The load average over the samples was ${fmtSpread(spread(r.dataplane.samples.map((s) => s.load1)))}. ` +
    'Ratios within a round move less than absolute req/s, because both sides of a ratio share the round’s machine.'
  );
}

export function repeatability(r: NoiseInput, prev: NoiseInput | null): string[] {
  const close = summarize(r.dataplane, 'close');
  const keep = summarize(r.dataplane, 'keepalive');
  const out = ['## Repeatability and noise', '', ...cause(r.dataplane), noisyLine(r, close, keep), ''];
  if (!prev) {
    out.push('No previous run to compare with (results-previous.json).', '');
    return out;
  }
  const other = otherMachine(r, prev);
  if (other) {
    out.push(
      `The previous run (${prev.startedAt?.slice(0, 16).replace('T', ' ') ?? '?'} UTC) was on another machine ` +
        `(${other}), so its req/s are not compared with these.`,
      '',
    );
    return out;
  }
  out.push(
    `Against the previous run (${prev.startedAt?.slice(0, 16).replace('T', ' ') ?? '?'} UTC, load ${prev.load.start.map((x) => x.toFixed(1)).join(', ')}):`,
    '',
    '| candidate | mode | req/s now | req/s before | Δ | × direct now | × direct before | Δ |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  );
  let ratioWithin = 0;
  let ratios = 0;
  for (const [rows, m] of [
    [close, 'close'],
    [keep, 'keepalive'],
  ] as const) {
    const prows = summarize(prev.dataplane, m);
    for (const x of rows) {
      const y = prows.find((z) => z.id === x.id);
      if (!x.rps || !y?.rps) continue;
      const d = x.rps.median / y.rps.median - 1;
      const dr = x.vsDirect && y.vsDirect ? x.vsDirect.median / y.vsDirect.median - 1 : Number.NaN;
      if (Number.isFinite(dr) && x.id !== 'direct') {
        ratios++;
        if (Math.abs(dr) <= 0.1) ratioWithin++;
      }
      const sgn = (v: number) => (Number.isFinite(v) ? `${v >= 0 ? '+' : ''}${Math.round(v * 100)}%` : '–');
      out.push(
        `| ${x.label} | ${m} | ${fmt(x.rps.median)} | ${fmt(y.rps.median)} | ${sgn(d)} | ${fmt(x.vsDirect?.median)} | ${fmt(y.vsDirect?.median)} | ${sgn(dr)} |`,
      );
    }
  }
  const { within, total } = withinTen(r, prev);
  out.push(
    '',
    `${within} of ${total} req/s medians are within 10% of the previous run; ${ratioWithin} of ${ratios} ` +
      '× direct ratios (taken within each round) are. The load average at the start of the two runs was ' +
      `${r.load.start[0]!.toFixed(1)} and ${prev.load.start[0]!.toFixed(1)} on 2 cores.`,
    '',
  );
  return out;
}

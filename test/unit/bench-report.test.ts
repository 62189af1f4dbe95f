// The benchmark report's pure parts: wrk's output parsed, medians and
// spreads, ratios taken inside each round, the chart's SVG.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { DirectorBench } from '../../bench/control/director.js';
import { parseWrk } from '../../bench/dataplane/load.js';
import type { PhaseResult, Sample } from '../../bench/dataplane/phase.js';
import { warmupNote, weightRuns } from '../../bench/report/goals.js';
import { keptRuns, otherMachinesSection } from '../../bench/report/machines.js';
import { readmeSummary } from '../../bench/report/markdown.js';
import { otherMachine, rankCorrelation, repeatability, withinTen } from '../../bench/report/noise.js';
import { percentile, spread } from '../../bench/report/stats.js';
import { summarize } from '../../bench/report/summary.js';
import { barChart } from '../../bench/report/svg.js';
import type { Results } from '../../bench/run.js';

const WRK = `Running 3s test @ http://10.92.0.100:80/
  1 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     2.10ms    1.02ms  31.20ms   90.00%
    Req/Sec    14.90k   600.00    15.50k    70.00%
  Latency Distribution
     50%    1.95ms
     75%    2.40ms
     90%    3.00ms
     99%  850.00us
  44700 requests in 3.00s, 6.00MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:  14899.50
Transfer/sec:      2.00MB
`;

/** One data-plane sample; what a test does not name is a quiet machine's. */
function sample(o: Pick<Sample, 'round' | 'rps'> & Partial<Sample>): Sample {
  return {
    candidate: 'direct',
    mode: 'close',
    requests: o.rps * 2,
    seconds: 2,
    p50ms: 1,
    p99ms: 2,
    errors: 0,
    lbCpuSec: 0,
    lbProcSec: 0,
    lbCpuBusySec: 1,
    background: 0,
    load1: 1,
    steal: 0,
    foreignSec: 0,
    idle: 0.01,
    ...o,
  };
}

describe('bench report', () => {
  it('parses wrk --latency output, units and errors included', () => {
    expect(parseWrk(WRK)).toEqual({
      requests: 44700,
      seconds: 3,
      rps: 14899.5,
      p50ms: 1.95,
      p99ms: 0.85,
      errors: 7,
    });
    expect(() => parseWrk('unable to connect')).toThrow(/unexpected output/);
  });

  it('takes medians with min and max, and nearest-rank percentiles', () => {
    expect(spread([5, 1, 3, 2, 4])).toEqual({ median: 3, min: 1, max: 5, n: 5 });
    expect(spread([4, 1, 3, 2])).toEqual({ median: 2.5, min: 1, max: 4, n: 4 });
    expect(spread([])).toBeNull();
    expect(percentile([1, 2, 3, 4, 100], 99)).toBe(100);
    expect(percentile([1, 2, 3, 4, 100], 50)).toBe(3);
  });

  it('divides by the direct path of the same round before taking the median', () => {
    const s = (round: number, candidate: string, rps: number, lbCpuSec: number): Sample => ({
      round,
      candidate,
      mode: 'close',
      rps,
      requests: rps,
      seconds: 1,
      p50ms: 1,
      p99ms: 2,
      errors: 0,
      lbCpuSec,
      lbProcSec: 0,
      lbCpuBusySec: 0,
      background: 0,
      load1: 1,
      steal: 0,
      foreignSec: 0,
      idle: 0,
    });
    const p: PhaseResult = {
      candidates: [
        { id: 'direct', label: 'd', kind: 'direct', servers: 1 },
        { id: 'nft-rr-1', label: 'n', kind: 'kernel', servers: 1 },
        { id: 'haproxy-1', label: 'h', kind: 'proxy', servers: 1 },
      ],
      // round 2 is slow for everyone: the ratios do not move
      samples: [
        s(1, 'direct', 1000, 0.1),
        s(1, 'nft-rr-1', 900, 0.1),
        s(1, 'haproxy-1', 500, 0.5),
        s(2, 'direct', 100, 0.01),
        s(2, 'nft-rr-1', 90, 0.01),
        s(2, 'haproxy-1', 50, 0.05),
      ],
      bulk: [],
      failures: [],
    };
    const nft = summarize(p, 'close').find((r) => r.id === 'nft-rr-1')!;
    expect(nft.vsDirect).toEqual({ median: 0.9, min: 0.9, max: 0.9, n: 2 });
    expect(nft.vsHaproxy!.median).toBeCloseTo(1.8);
    expect(nft.cpuVsHaproxy!.median).toBeCloseTo(0.1 / 900 / (0.5 / 500));
    expect(nft.rps).toEqual({ median: 495, min: 90, max: 900, n: 2 });
  });

  it('draws one bar and one whisker per row, escaped labels', () => {
    const svg = barChart({
      title: 'a <b>',
      unit: 'req/s',
      bars: [
        { label: 'x & y', median: 10, min: 8, max: 12, ours: true },
        { label: 'z', median: 5, min: 5, max: 5 },
      ],
      reference: { value: 7, label: 'goal' },
    });
    expect(svg.startsWith('<svg ')).toBe(true);
    expect(svg).toContain('a &lt;b&gt;');
    expect(svg).toContain('x &amp; y');
    expect(svg.match(/<rect /g)!.length).toBe(3); // background + 2 bars
    expect(svg).toContain('goal');
  });

  it('ranks correlation and states the cause from the samples: req/s against the CPU taken from the bench', () => {
    expect(rankCorrelation([1, 2, 3, 4], [10, 20, 30, 40])).toBe(1);
    expect(rankCorrelation([1, 2, 3, 4], [4, 3, 2, 1])).toBe(-1);
    const s = (round: number, rps: number, foreignSec: number, steal: number) =>
      sample({ round, rps, foreignSec, steal });
    const dataplane: PhaseResult = {
      candidates: [{ id: 'direct', label: 'direct', kind: 'direct', servers: 1 }],
      // the more other processes and the hypervisor took, the fewer requests
      samples: [s(1, 10_000, 0, 0), s(2, 8000, 0.6, 0), s(3, 6000, 1, 0.1), s(4, 9000, 0.2, 0)],
      bulk: [],
      failures: [],
    };
    const cur = { load: { start: [1] }, dataplane };
    const text = repeatability(cur, null).join('\n');
    expect(text).toContain('ρ = -1');
    expect(text).toMatch(/Figures whose rounds spread more than 20%.*direct close \(47%, CPU taken 0–0\.7\)/);
    const prev = {
      load: { start: [2] },
      dataplane: { ...dataplane, samples: dataplane.samples.map((x) => ({ ...x, rps: x.rps * 1.2 })) },
    };
    expect(withinTen(cur, prev)).toMatchObject({ within: 0, total: 1 });
    expect(withinTen(cur, prev).outside).toHaveLength(1);
    expect(repeatability(cur, prev).join('\n')).toContain('0 of 1 req/s medians are within 10%');
  });

  it('relates req/s to the client CPU’s NET_RX wake-ups per request, when the samples recorded them', () => {
    // the more wake-ups a request costs, the fewer requests
    const s = (round: number, candidate: string, rps: number, perRequest: number) =>
      sample({ round, candidate, rps, netRxClientCpu: perRequest * rps * 2 });
    const dataplane: PhaseResult = {
      candidates: [
        { id: 'direct', label: 'direct', kind: 'direct', servers: 1 },
        { id: 'nft-rr-1', label: 'nft', kind: 'kernel', servers: 1 },
      ],
      samples: [
        s(1, 'direct', 10_000, 4),
        s(2, 'direct', 9000, 4.5),
        s(3, 'direct', 8000, 5),
        s(1, 'nft-rr-1', 15_000, 2),
        s(2, 'nft-rr-1', 14_000, 2.5),
        s(3, 'nft-rr-1', 12_000, 3),
      ],
      bulk: [],
      failures: [],
    };
    const text = repeatability({ load: { start: [1] }, dataplane }, null).join('\n');
    expect(text).toMatch(
      /NET_RX softirq 4.5 times per request on the direct path \(median.*; 4–5\) and 2.5 times/,
    );
    expect(text).toMatch(
      /wake-ups per request \(each relative to its figure’s median\) is ρ = -0\.[89]\d* over the 6 samples from which less than 5% of a CPU was taken, and ρ = – over the 0 others/,
    );
    // samples from before the record: no such line
    const old = { ...dataplane, samples: dataplane.samples.map(({ netRxClientCpu: _, ...x }) => x) };
    expect(repeatability({ load: { start: [1] }, dataplane: old }, null).join('\n')).not.toContain(
      'Wake-ups',
    );
  });

  it('does not count a run on another CPU or kernel as a repetition', () => {
    const s = (round: number, rps: number) => sample({ round, rps });
    const dataplane: PhaseResult = {
      candidates: [{ id: 'direct', label: 'direct', kind: 'direct', servers: 1 }],
      samples: [s(1, 7000), s(2, 7100)],
      bulk: [],
      failures: [],
    };
    const xeon = { cpu: '2 × Intel(R) Xeon(R) Processor', kernel: '6.18.44' };
    const epyc = { cpu: '2 × AMD EPYC', kernel: '6.18.44' };
    const here = { startedAt: '2026-12-04T16:40:00Z', machine: epyc, load: { start: [1] }, dataplane };
    const before = {
      startedAt: '2026-12-03T23:15:00Z',
      machine: xeon,
      load: { start: [1] },
      dataplane: { ...dataplane, samples: dataplane.samples.map((x) => ({ ...x, rps: x.rps * 3 })) },
    };
    expect(otherMachine(here, before)).toBe('2 × Intel(R) Xeon(R) Processor, this run 2 × AMD EPYC');
    const text = repeatability(here, before).join('\n');
    expect(text).toContain('was on another machine');
    expect(text).not.toContain('req/s medians are within 10%');
    // the same machine is compared as before; so is a run that did not record its machine
    expect(otherMachine(here, { ...before, machine: epyc })).toBeNull();
    expect(repeatability(here, { ...before, machine: epyc }).join('\n')).toContain('0 of 1 req/s medians');
    expect(otherMachine(here, { ...before, machine: undefined })).toBeNull();
  });
});

describe('runs kept from other machines', () => {
  // direct, the nftables plane and HAProxy, three rounds; `k` scales the kernel plane's req/s
  const phase = (base: number, k: number, hapCpu: number): PhaseResult => ({
    candidates: [
      { id: 'direct', label: 'direct', kind: 'direct', servers: 1 },
      { id: 'nft-rr-1', label: 'nft rr 1', kind: 'kernel', servers: 1 },
      { id: 'haproxy-1', label: 'haproxy', kind: 'proxy', servers: 1 },
    ],
    samples: [1, 2, 3].flatMap((round) => [
      sample({ round, rps: base, lbCpuSec: 1 }),
      sample({ round, rps: base * k, candidate: 'nft-rr-1', lbCpuSec: k }),
      sample({ round, rps: base * 0.7, candidate: 'haproxy-1', lbCpuSec: hapCpu }),
    ]),
    bulk: [],
    failures: [],
  });
  const epyc = { cpu: '2 × AMD EPYC', kernel: '6.18.44' };
  const xeon = { cpu: '2 × Intel(R) Xeon(R) Processor', kernel: '6.18.44' };
  const run = (startedAt: string, machine: typeof epyc, dataplane: PhaseResult) => ({
    startedAt,
    machine,
    load: { start: [1] },
    dataplane,
  });

  it('shows their goal ratios, which goals they missed, and how a pair on one machine agreed', () => {
    const kept = [
      run('2026-12-04T16:40:00Z', epyc, phase(7000, 1.0, 2)),
      run('2026-12-04T16:55:00Z', epyc, phase(6000, 1.0, 2)),
      run('2026-12-03T23:00:00Z', xeon, phase(20_000, 1.2, 20)),
    ].sort((a, b) => a.startedAt.localeCompare(b.startedAt));
    const text = otherMachinesSection(kept, run('2026-12-03T23:15:00Z', xeon, phase(20_000, 1.2, 20))).join(
      '\n',
    );
    // the run on this run's own machine is not "other"
    expect(text).not.toContain('Xeon');
    // 1 / 0.7 = 1.43× HAProxy; CPU per request (1 s / 2 rps) against (2 s / 1.4 rps) = 0.35
    expect(text).toMatch(
      /\| 2 × AMD EPYC \| 2026-12-04 16:40 UTC \| 1.0 \| 7,000 \(7,000–7,000\) \| 1 \(1–1\) \| 1.43 .*\| 0.35 .*\| × HAProxy, CPU × HAProxy \|/,
    );
    expect(text).toContain(
      '16:40 UTC and 2026-12-04 16:55 UTC: 0 of 3 req/s medians within 10% of each other',
    );
    expect(otherMachinesSection(kept.slice(1, 2), run('x', xeon, phase(1, 1, 1)))).not.toEqual([]);
    expect(otherMachinesSection([], run('x', xeon, phase(1, 1, 1)))).toEqual([]);
  });
});

describe('the weight-change samples', () => {
  const run = (o: Partial<DirectorBench>): DirectorBench => ({
    services: 10_000,
    startSec: 10,
    plane: 'nftables',
    weightMs: [2, 3, 4],
    weightPlaneMs: [1, 1, 1],
    resyncSec: null,
    reloadMs: [],
    reloadOps: [],
    ...o,
  });
  it('say how many changes were left out before them, and what those took', () => {
    const text = warmupNote(run({ warmup: 4, warmupMs: { weight: [9, 2, 3, 4], pair: [] } }));
    expect(text).toContain('3 samples, after 4 changes left out');
    expect(text).toContain('p50 3 ms, max 9 ms');
  });
  it('say so when a run predates the warm-up', () => {
    expect(warmupNote(run({}))).toContain('Only the first change after the cold load was left out');
  });
});

describe('the committed figures', () => {
  it("README's summary is the one the committed results give (no figure edited by hand or left stale)", () => {
    const root = new URL('../../', import.meta.url);
    const results = JSON.parse(readFileSync(new URL('docs/bench/results.json', root), 'utf8')) as Results;
    const weight = weightRuns(fileURLToPath(new URL('docs/bench/', root))).find(
      (w) => w.transport === 'netlink',
    );
    const readme = readFileSync(new URL('README.md', root), 'utf8');
    const kept = keptRuns(fileURLToPath(new URL('docs/bench/other-machines/', root)));
    expect(readme).toContain(readmeSummary(results, weight, kept));
  });

  it('RESULTS.md lists every run kept from another machine', () => {
    const root = new URL('../../', import.meta.url);
    const results = JSON.parse(readFileSync(new URL('docs/bench/results.json', root), 'utf8')) as Results;
    const kept = keptRuns(fileURLToPath(new URL('docs/bench/other-machines/', root)));
    expect(kept.length).toBeGreaterThan(0);
    const text = readFileSync(new URL('docs/bench/RESULTS.md', root), 'utf8');
    for (const r of kept) {
      expect(r.dataplane.samples.some((x) => x.candidate === 'nft-rr-1' && x.mode === 'close')).toBe(true);
      if (otherMachine(results, r))
        expect(text).toContain(`| ${r.startedAt.slice(0, 16).replace('T', ' ')} UTC |`);
    }
  });
});

// The benchmark report's pure parts: wrk's output parsed, medians and
// spreads, ratios taken inside each round, the chart's SVG.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { DirectorBench } from '../../bench/control/director.js';
import { parseWrk } from '../../bench/dataplane/load.js';
import type { PhaseResult, Sample } from '../../bench/dataplane/phase.js';
import { warmupNote, weightRuns } from '../../bench/report/goals.js';
import { readmeSummary } from '../../bench/report/markdown.js';
import { rankCorrelation, repeatability, withinTen } from '../../bench/report/noise.js';
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
    const s = (round: number, rps: number, foreignSec: number, steal: number): Sample => ({
      round,
      candidate: 'direct',
      mode: 'close',
      rps,
      requests: rps * 2,
      seconds: 2,
      p50ms: 1,
      p99ms: 2,
      errors: 0,
      lbCpuSec: 0,
      lbProcSec: 0,
      lbCpuBusySec: 1,
      background: 0,
      load1: 1,
      steal,
      foreignSec,
      idle: 0.01,
    });
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
    expect(readme).toContain(readmeSummary(results, weight));
  });
});

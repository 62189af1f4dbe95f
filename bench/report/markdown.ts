// results.json -> RESULTS.md and the SVG charts beside it.
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DirectorBench } from '../control/director.js';
import type { PhaseResult } from '../dataplane/phase.js';
import type { Results } from '../run.js';
import { goals, type Verdict, type WeightRun, weightRunRows, weightRuns } from './goals.js';
import { type KeptRun, keptRuns, otherMachinesLine, otherMachinesSection } from './machines.js';
import { otherMachine, repeatability, withinTen } from './noise.js';

import { fmt, fmtSpread, percentile, spread } from './stats.js';
import { type Row, summarize, summarizeBulk } from './summary.js';
import { barChart, type ChartSpec } from './svg.js';

const ours = (id: string) => id.startsWith('nft') || id.startsWith('ipvs');

function table(rows: readonly Row[]): string[] {
  const out = [
    '| candidate | req/s | × direct | × HAProxy | p50 ms | p99 ms | LB CPU s / 10k req | CPU × HAProxy | errors |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of rows) {
    out.push(
      `| ${r.label} | ${fmtSpread(r.rps)} | ${fmtSpread(r.vsDirect)} | ${fmtSpread(r.vsHaproxy)} | ` +
        `${fmtSpread(r.p50)} | ${fmtSpread(r.p99)} | ${fmtSpread(r.cpu10k)} | ${fmtSpread(r.cpuVsHaproxy)} | ${r.errors} |`,
    );
  }
  return out;
}

function chart(out: string, file: string, spec: ChartSpec): string {
  writeFileSync(join(out, file), barChart(spec));
  return `![${spec.title}](${file})`;
}

function bars(rows: readonly Row[], pick: (r: Row) => ReturnType<typeof spread>) {
  return rows.flatMap((r) => {
    const s = pick(r);
    return s ? [{ label: r.label, median: s.median, min: s.min, max: s.max, ours: ours(r.id) }] : [];
  });
}

function controlRows(cs: readonly DirectorBench[], where: string): string[] {
  const out = [
    '| plane | services (× 8 RS) | start from cold, s | weight change API→kernel p50 ms | p99 ms | of which the kernel transaction, p50 / p99 ms | samples | active/standby pair flip API→kernel p50 / p99 ms (kernel p50) | resync (whole table read back), s | reload, one line changed, ms (median, min–max) | reload operations |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  const pq = (xs: readonly number[]) => `${fmt(percentile(xs, 50))} / ${fmt(percentile(xs, 99))}`;
  for (const c of cs) {
    const k = c.weightPlaneMs ?? [];
    const pair = c.pairMs?.length ? `${pq(c.pairMs)} (${fmt(percentile(c.pairPlaneMs ?? [], 50))})` : '–';
    out.push(
      `| ${c.plane ?? 'nftables'} (${where}) | ${c.services.toLocaleString('en-US')} | ${fmt(c.startSec)} | ${fmt(percentile(c.weightMs, 50))} | ` +
        `${fmt(percentile(c.weightMs, 99))} | ${k.length ? pq(k) : '–'} | ` +
        `${c.weightMs.length} | ${pair} | ${c.resyncSec == null ? '–' : fmt(c.resyncSec)} | ${fmtSpread(spread(c.reloadMs))} | ${[...new Set(c.reloadOps)].join(', ')} |`,
    );
  }
  return out;
}

/** The IPVS control-plane run in the lab VM (npm run bench:vm-control), when present. */
export function vmControl(out: string): { finishedAt: string; control: DirectorBench[] } | null {
  const file = join(out, 'vm-control.json');
  if (!existsSync(file)) return null;
  return JSON.parse(readFileSync(file, 'utf8')) as { finishedAt: string; control: DirectorBench[] };
}

const MARK = ['<!-- bench:summary (written by npm run bench) -->', '<!-- /bench:summary -->'] as const;

/** The README's summary table, from the same figures as RESULTS.md. */
export function readmeSummary(r: Results, weight?: WeightRun, kept: readonly KeptRun[] = []): string {
  const close = summarize(r.dataplane, 'close');
  const keep = summarize(r.dataplane, 'keepalive');
  const sClose = summarize(r.scale, 'close');
  const row = (rows: Row[], id: string) => rows.find((x) => x.id === id);
  const L = [
    MARK[0],
    `From [docs/bench/RESULTS.md](docs/bench/RESULTS.md) (\`npm run bench\`, ${r.startedAt.slice(0, 10)}, ` +
      `load average ${r.load.start[0]!.toFixed(1)} at the start, ${r.load.end[0]!.toFixed(1)} at the end, on 2 shared cores, ${r.machine.cpu.replace(/^\d+ × /, '')}): medians of ` +
      `${r.settings.rounds} rounds, ratios taken within each round. Host kernel, namespaces, one CPU for the load balancer.`,
    '',
    '| candidate | req/s, new conn. | × direct | × HAProxy | LB CPU s / 10k req | req/s, keep-alive | × direct |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const id of ['direct', 'nft-rr-1', 'nft-mh-8', 'haproxy-1', 'nginx-1']) {
    const c = row(close, id);
    const k = row(keep, id);
    if (!c) continue;
    L.push(
      `| ${c.label} | ${fmt(c.rps?.median)} | ${fmt(c.vsDirect?.median)} | ${fmt(c.vsHaproxy?.median)} | ` +
        `${fmt(c.cpu10k?.median)} | ${fmt(k?.rps?.median)} | ${fmt(k?.vsDirect?.median)} |`,
    );
  }
  const s = row(sClose, 'nft-rr-1-10k');
  const big = weight?.runs.find((c) => c.services >= 10_000) ?? r.control.at(-1);
  const p99 = big ? percentile(big.weightMs, 99) : Number.NaN;
  const verdict = (v: number) => (Number.isFinite(v) ? (v <= 5 ? 'met' : 'not met') : 'not measured');
  const pair = big?.pairMs?.length
    ? ` On an active/standby pair beside them (rr, 2 servers, flipped as the MRS adapters do): p50 ` +
      `${fmt(percentile(big.pairMs, 50))} ms, p99 ${fmt(percentile(big.pairMs, 99))} ms (goal ${verdict(percentile(big.pairMs, 99))}).`
    : '';
  L.push(
    '',
    `With ${r.settings.scaleServices.toLocaleString('en-US')} other services loaded, the nftables plane gave ` +
      `${fmt(s?.vsDirect?.median)}× direct (new connection per request). One weight change of an 8-server wrr service ` +
      `through the API took p50 ${fmt(big ? percentile(big.weightMs, 50) : null)} ms, p99 ${fmt(p99)} ms at ` +
      `${big?.services.toLocaleString('en-US')} services on nftables (goal p99 ≤ 5 ms, ${verdict(p99)}; the kernel transaction alone p50 ` +
      `${fmt(big ? percentile(big.weightPlaneMs ?? [], 50) : null)} ms${weight ? `, load ${weight.loadStart[0]!.toFixed(1)}` : ''}).` +
      `${pair}${otherMachinesLine(kept, r)} See RESULTS.md.`,
    MARK[1],
  );
  return L.join('\n');
}

/** Replaces the summary between the markers in README.md (appends the markers when absent). */
export function updateReadme(
  file: string,
  r: Results,
  weight?: WeightRun,
  kept: readonly KeptRun[] = [],
): void {
  const text = readFileSync(file, 'utf8');
  const a = text.indexOf(MARK[0]);
  const b = text.indexOf(MARK[1]);
  if (a < 0 || b < 0) throw new Error(`${file}: no ${MARK[0]} ... ${MARK[1]} block`);
  writeFileSync(file, text.slice(0, a) + readmeSummary(r, weight, kept) + text.slice(b + MARK[1].length));
}

export function writeReport(out: string, r: Results, prev: Results | null): void {
  const close = summarize(r.dataplane, 'close');
  const keep = summarize(r.dataplane, 'keepalive');
  const bulk = summarizeBulk(r.dataplane);
  const sClose = summarize(r.scale, 'close');
  const sKeep = summarize(r.scale, 'keepalive');
  const L: string[] = [];
  const p = (...x: string[]) => L.push(...x);
  p(
    '# Benchmark results',
    '',
    `Generated by \`npm run bench\` (bench/run.ts) on ${r.startedAt.slice(0, 16).replace('T', ' ')} UTC, ` +
      `${Math.round(r.wallSec)} s wall${r.smoke ? ', SMOKE RUN: figures mean nothing' : ''}. ` +
      'Method and fairness: [bench/README.md](../../bench/README.md). Raw samples: [results.json](results.json).' +
      (r.wallSec > 1200 && !r.smoke
        ? ` **Over the 20-minute budget** (${Math.round(r.wallSec / 60)} min).`
        : ''),
    '',
    `Every figure is the median of ${r.settings.rounds} rounds with (min–max). Ratios (× direct, × HAProxy) are ` +
      'taken inside each round, then their median is shown. wrk: 1 thread, ' +
      `${r.settings.connections} connections, ${r.settings.seconds} s per run.`,
    '',
    '## Machine',
    '',
    '| | |',
    '| --- | --- |',
    ...Object.entries(r.machine).map(([k, v]) => `| ${k} | ${v.replace(/\|/g, '/')} |`),
    `| load average at start | ${r.load.start.map((x) => x.toFixed(2)).join(', ')} |`,
    `| load average at end | ${r.load.end.map((x) => x.toFixed(2)).join(', ')} |`,
    '',
    'The machine is shared: other people’s builds and tests ran during the run. The 1-minute load average ' +
      'at each sample is in results.json (`load1`); its range over the data-plane samples was ' +
      `${fmtSpread(spread(r.dataplane.samples.map((s) => s.load1)))}.`,
    '',
  );
  const vm = vmControl(out);
  const wr = weightRuns(out);
  const verdicts = goals(
    r,
    close,
    sClose,
    vm?.control ?? [],
    wr.find((w) => w.transport === 'netlink'),
  );
  p('## Goals', '', '| goal | measured (median, min–max) | met | why, notes |', '| --- | --- | --- | --- |');
  const label = (v: Verdict) =>
    v.met === null
      ? 'not measured'
      : !v.met
        ? '**NOT met**'
        : v.why.includes('within the noise')
          ? 'met by the median; inconclusive'
          : 'met';
  for (const v of verdicts) p(`| ${v.goal} | ${v.figure} | ${label(v)} | ${v.why} |`);
  const other = prev && !prev.smoke ? otherMachine(r, prev) : null;
  const rep = prev && !prev.smoke && !other ? withinTen(r, prev) : null;
  p(
    `| two runs: req/s medians within 10% of each other | ${rep ? `${rep.within} of ${rep.total}` : other ? 'previous run on another machine' : 'no previous run'} | ` +
      `${rep ? (rep.within === rep.total ? 'met' : '**NOT met**') : 'not measured'} | ` +
      (rep?.outside.length ? `outside: ${rep.outside.join('; ')}. ` : '') +
      'Why: req/s follows the CPU the bench gets from the VM and the host’s speed, measured per sample (Repeatability and noise); ' +
      'the × direct ratios, taken within each round, move less |',
    '',
  );
  p(
    '## Data plane, host kernel (namespaces and veth)',
    '',
    'client → director → real servers (nginx `return 200`). Direct is the same path with the director only routing. ' +
      `IPVS: ${r.machine.ipvs === 'yes' ? 'included' : 'this kernel has none; see "Not run here"'}.`,
    '',
    'Reading these figures: direct has one real server, so it is the ceiling for the 1-RS candidates only. ' +
      'With 8 RS there are eight nginx processes on CPU 0; on a CPU that other people’s processes also want, the ' +
      'scheduler gives eight processes more of it than one, so 8-RS candidates can beat direct. Compare 8-RS rows ' +
      'with each other.',
    '',
    '### New connection per request (`Connection: close`)',
    '',
    ...table(close),
    '',
    chart(out, 'rps-close.svg', {
      title: 'req/s, new connection per request (median, min–max)',
      unit: 'requests per second',
      bars: bars(close, (x) => x.rps),
    }),
    '',
    chart(out, 'cpu-close.svg', {
      title: 'load balancer CPU seconds per 10,000 requests, new connection per request',
      unit: 'CPU seconds / 10k requests',
      bars: bars(close, (x) => x.cpu10k),
    }),
    '',
    '### Keep-alive',
    '',
    ...table(keep),
    '',
    chart(out, 'rps-keepalive.svg', {
      title: 'req/s, keep-alive (median, min–max)',
      unit: 'requests per second',
      bars: bars(keep, (x) => x.rps),
    }),
    '',
    '### Bulk throughput (iperf3, one TCP stream, 1 real server)',
    '',
    '| candidate | Gbit/s | × direct |',
    '| --- | --- | --- |',
    ...bulk.map((b) => `| ${b.label} | ${fmtSpread(b.gbps)} | ${fmtSpread(b.vsDirect)} |`),
    '',
    chart(out, 'bulk.svg', {
      title: 'bulk throughput, iperf3 (median, min–max)',
      unit: 'Gbit/s',
      bars: bulk.flatMap((b) =>
        b.gbps
          ? [{ label: b.label, median: b.gbps.median, min: b.gbps.min, max: b.gbps.max, ours: ours(b.id) }]
          : [],
      ),
    }),
    '',
  );
  p(
    `## At scale: the same run with ${r.settings.scaleServices.toLocaleString('en-US')} other services loaded (nftables)`,
    '',
    `The other services (× 8 real servers each, wrr) took ${fmt(r.scale.loadSec)} s to load in one transaction. ` +
      'Direct runs through the same director namespace, whose NAT hooks and conntrack then see every packet.',
    '',
    '| candidate | mode | req/s | × direct | p50 ms | p99 ms | LB CPU s / 10k req |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...[...sClose.map((x) => [x, 'close'] as const), ...sKeep.map((x) => [x, 'keep-alive'] as const)].map(
      ([x, m]) =>
        `| ${x.label} | ${m} | ${fmtSpread(x.rps)} | ${fmtSpread(x.vsDirect)} | ${fmtSpread(x.p50)} | ${fmtSpread(x.p99)} | ${fmtSpread(x.cpu10k)} |`,
    ),
    '',
    `One weight change on that loaded table, \`plane.apply\` to commit (no director, no API): p50 ` +
      `${fmt(percentile(r.scale.planeWeightMs, 50))} ms, p99 ${fmt(percentile(r.scale.planeWeightMs, 99))} ms ` +
      `(${r.scale.planeWeightMs.length} samples).`,
    '',
  );
  p(
    '## Control plane (director, HTTP API on a unix socket, nftables plane)',
    '',
    'Config: N virtual servers × 8 real servers (bench/config-scale.ts), health checks stubbed as up. ' +
      'The weight change is `POST /v1/realservers/weight`; the director answers after the kernel transaction. ' +
      'The reload rewrites one `weight` line of the file, then `POST /v1/reload`.',
    '',
    ...controlRows(r.control, 'host'),
    ...(vm
      ? [
          '',
          `IPVS, the same bench inside the lab VM (\`npm run bench:vm-control\`, ${vm.finishedAt.slice(0, 16).replace('T', ' ')} UTC; ` +
            'TCG-emulated CPUs, so its milliseconds are several times a real machine’s):',
          '',
          ...controlRows(vm.control, 'lab VM'),
        ]
      : []),
    '',
    chart(out, 'weight-change.svg', {
      title: 'one weight change, API call to kernel commit (median, min–max)',
      unit: 'milliseconds',
      bars: r.control.map((c) => {
        const s = spread(c.weightMs)!;
        return { label: `${c.services.toLocaleString('en-US')} services`, ...s, ours: true };
      }),
      reference: { value: 5, label: 'goal 5 ms' },
    }),
    '',
    ...(wr.length
      ? [
          '### One weight change, phase by phase (bench/weight-change.ts)',
          '',
          `The same measurement in a run of its own (${wr[0]!.finishedAt.slice(0, 16).replace('T', ' ')} UTC, ` +
            '`npm run bench:weight`), split into where the time goes: p50 / p99 in ms per phase. `netlink`: ' +
            'floatlb’s own nf_tables batch; `libnftables`: the same change as an nft script through libnftables in ' +
            'process (the path before). The admin state is written beside the kernel change (docs/director.md), so ' +
            'it is not on the path. Samples go over one kept-alive API connection, as a long-lived caller holds it; ' +
            'the CLI opens one per call, which adds about 1 ms (FLOATLB_BENCH_FRESH=1 measures that).',
          '',
          ...weightRunRows(wr),
          '',
        ]
      : []),
  );
  const cfg = r.extra.config as Record<string, unknown> | undefined;
  const ad = r.extra.adapters as
    | { scripts?: Record<string, { p50: number; p99: number; calls: number }> }
    | undefined;
  p('## Other control-plane figures (existing bench/ programs, same run)', '');
  if (cfg)
    p('Config parsing (bench/config-scale.ts):', '', '```json', JSON.stringify(cfg, null, 1), '```', '');
  if (ad?.scripts) {
    p(
      'Adapter scripts (bench/adapter-latency.ts), wall time spawn → exit:',
      '',
      '| script | calls | p50 ms | p99 ms |',
      '| --- | --- | --- | --- |',
    );
    for (const [k, d] of Object.entries(ad.scripts)) p(`| ${k} | ${d.calls} | ${d.p50} | ${d.p99} |`);
    p('');
  }
  const tcp = r.extra.tcpProbe as string[] | undefined;
  if (tcp) p('TCP_CHECK probe cost (bench/health-tcp-probe.ts):', '', '```', ...tcp, '```', '');
  p(...vmSection(out));
  p(...notRun(r));
  p(...repeatability(r, prev && !prev.smoke ? prev : null));
  p(...otherMachinesSection(keptRuns(join(out, 'other-machines')), r));
  if (r.dataplane.failures.length + r.scale.failures.length + r.notes.length) {
    p(
      '## Failures and notes',
      '',
      ...[...r.dataplane.failures, ...r.scale.failures, ...r.notes].map((x) => `- ${x}`),
      '',
    );
  }
  writeFileSync(join(out, 'RESULTS.md'), `${L.join('\n')}\n`);
}

/** The lab VM's IPVS run, when vm-results.json exists (written by --vm). */
function vmSection(out: string): string[] {
  const file = join(out, 'vm-results.json');
  if (!existsSync(file)) return [];
  const vm = JSON.parse(readFileSync(file, 'utf8')) as PhaseResult & { wallSec: number; finishedAt?: string };
  const when = (vm.finishedAt ?? statSync(file).mtime.toISOString()).slice(0, 16).replace('T', ' ');
  const rounds = new Set(vm.samples.map((x) => x.round)).size;
  const L = [
    '## Data plane, lab VM (IPVS; emulated CPUs, ratios only)',
    '',
    `vm-results.json, ${when} UTC, ${rounds} round(s), ${Math.round(vm.wallSec)} s (\`npm run bench:vm\`, or \`npm run bench -- --vm\`). ` +
      'The VM runs under TCG emulation on the same loaded host, so absolute rates are meaningless and even ratios ' +
      'carry the emulator’s quirks. Topology: client → router → LAN (director, 2 real servers); DR and TUN replies bypass the director.',
    '',
  ];
  const d = summarize(vm, 'close', 'haproxy-2').find((x) => x.id === 'direct');
  if (d?.p99 && d.p99.median > 500) {
    L.push(
      `**Not evidence either way:** in this run the direct path itself had p99 ${fmt(d.p99.median)} ms and ` +
        `${fmt(d.rps?.median)} new connections/s (second-long stalls, not diagnosed, under emulation on a host at load ~20 running ` +
        'other VMs too). It shows that the harness drives IPVS NAT, DR and TUN with zero errors, not how they compare.',
      '',
    );
  }
  L.push('| candidate | mode | × direct | × HAProxy | errors |', '| --- | --- | --- | --- | --- |');
  for (const mode of ['close', 'keepalive'] as const) {
    for (const x of summarize(vm, mode, 'haproxy-2')) {
      L.push(`| ${x.label} | ${mode} | ${fmtSpread(x.vsDirect)} | ${fmtSpread(x.vsHaproxy)} | ${x.errors} |`);
    }
  }
  if (vm.failures.length) L.push('', ...vm.failures.map((f) => `- failed: ${f}`));
  L.push('');
  return L;
}

function notRun(r: Results): string[] {
  return [
    '## Not run here',
    '',
    ...(r.machine.ipvs === 'yes'
      ? []
      : [
          '- **IPVS on this host**: the host kernel has no IPVS, so IPVS is not among the host candidates. Its data plane ' +
            '(NAT, DR, TUN against direct and HAProxy) runs in the lab VM with `npm run bench -- --vm` (section above when ' +
            'present); it takes about 10 more minutes under emulation, beyond the 20-minute budget of the plain command. ' +
            'The data plane at scale (10,000 other services) was not run on IPVS; the weight change at 1, 1,000 and ' +
            '10,000 services was (`npm run bench:vm-control`, Control plane above).',
        ]),
    '- **Health-check CPU against keepalived** needs keepalived’s checker, which needs IPVS: run ' +
      '`bench/health-scale.ts` in the lab VM (docs/health.md). Here only floatlb’s probe cost is measured.',
    '- **VRRP failover against keepalived** is measured by the host tests (test/host/vrrp-failover.test.ts), not by ' +
      "this command; the README's Measured table carries those figures (graceful 0.63 s vs keepalived 0.79 s; silenced 3.30 s vs 3.29 s).",
    '- **Programming 10,000 × 8 against ipvsadm-restore** needs IPVS: bench/ipvs-program.ts in the lab VM (docs/ipvs.md).',
    '',
  ];
}

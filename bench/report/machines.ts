// "Other machines": whole runs kept from other hosts of this VM. The VM is
// placed on hosts with other CPUs, whose req/s differ by up to 3x and whose
// ratios move the goals; RESULTS.md shows one run, this section the others,
// so a reader sees what the goals did elsewhere.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type NoiseInput, otherMachine, withinTen } from './noise.js';
import { fmt, fmtSpread } from './stats.js';
import { summarize } from './summary.js';

export interface KeptRun extends NoiseInput {
  readonly startedAt: string;
  readonly machine: { readonly cpu: string; readonly kernel: string };
}

/** The runs in `dir` (one results.json-shaped file each), oldest first. */
export function keptRuns(dir: string): KeptRun[] {
  if (!existsSync(dir)) return [];
  return (
    readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as Partial<KeptRun>)
      // other records kept beside them (a weight-change run) have no data-plane phase
      .filter((r): r is KeptRun => !!(r.startedAt && r.machine && r.dataplane))
      .sort((a, b) => a.startedAt.localeCompare(b.startedAt))
  );
}

const when = (r: KeptRun) => `${r.startedAt.slice(0, 16).replace('T', ' ')} UTC`;

export function otherMachinesSection(runs: readonly KeptRun[], current: NoiseInput): string[] {
  const elsewhere = runs.filter((r) => otherMachine(current, r));
  if (!elsewhere.length) return [];
  const out = [
    '## Other machines',
    '',
    'The same data-plane phase, kept from runs on other hosts of this VM (docs/bench/other-machines/). ' +
      'Absolute req/s are not comparable across hosts; the ratios are taken within each round, as above.',
    '',
    '| machine | run | load at start | direct req/s, close | nftables rr 1 RS × direct | × HAProxy (goal ≥ 1.5) | CPU × HAProxy (goal ≤ 0.2) | HAProxy req/s, close | goals not met (median) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of elsewhere) {
    const rows = summarize(r.dataplane, 'close');
    const nft = rows.find((x) => x.id === 'nft-rr-1');
    const dir = rows.find((x) => x.id === 'direct');
    const hap = rows.find((x) => x.id === 'haproxy-1');
    const unmet = [
      nft?.vsDirect && nft.vsDirect.median < 0.95 ? '× direct' : '',
      nft?.vsHaproxy && nft.vsHaproxy.median < 1.5 ? '× HAProxy' : '',
      nft?.cpuVsHaproxy && nft.cpuVsHaproxy.median > 0.2 ? 'CPU × HAProxy' : '',
    ].filter(Boolean);
    out.push(
      `| ${r.machine.cpu} | ${when(r)} | ${r.load.start[0]?.toFixed(1) ?? '–'} | ${fmtSpread(dir?.rps ?? null)} | ` +
        `${fmtSpread(nft?.vsDirect ?? null)} | ${fmtSpread(nft?.vsHaproxy ?? null)} | ` +
        `${fmtSpread(nft?.cpuVsHaproxy ?? null)} | ${fmtSpread(hap?.rps ?? null)} | ${unmet.join(', ') || 'none'} |`,
    );
  }
  out.push('');
  // runs on one machine, back to back: the repeatability that machine gave
  for (let i = 1; i < elsewhere.length; i++) {
    const [a, b] = [elsewhere[i - 1]!, elsewhere[i]!];
    if (a.machine.cpu !== b.machine.cpu || a.machine.kernel !== b.machine.kernel) continue;
    const rep = withinTen(b, a);
    out.push(
      `${b.machine.cpu}, ${when(a)} and ${when(b)}: ${rep.within} of ${rep.total} req/s medians within 10% of each other` +
        (rep.outside.length ? `; outside: ${rep.outside.join('; ')}.` : '.'),
      '',
    );
  }
  return out;
}

/** One sentence for the README: what the goal ratios were on the other hosts. */
export function otherMachinesLine(runs: readonly KeptRun[], current: NoiseInput): string {
  const elsewhere = runs.filter((r) => otherMachine(current, r));
  if (!elsewhere.length) return '';
  const each = elsewhere.map((r) => {
    const rows = summarize(r.dataplane, 'close');
    const nft = rows.find((x) => x.id === 'nft-rr-1');
    const dir = rows.find((x) => x.id === 'direct');
    return (
      `${r.machine.cpu.replace(/^\d+ × /, '')}, ${when(r)}: direct ${fmt(dir?.rps?.median)} req/s, nftables ` +
      `${fmt(nft?.vsDirect?.median)}× direct, ${fmt(nft?.vsHaproxy?.median)}× HAProxy, CPU ${fmt(nft?.cpuVsHaproxy?.median)}× HAProxy`
    );
  });
  return (
    ` The VM is placed on hosts with other CPUs, and the figures follow the host; runs kept from other hosts ` +
    `(RESULTS.md, Other machines), new connection per request: ${each.join('; ')}.`
  );
}

// One weight change, API call to kernel commit, on the nftables plane at a
// few table sizes, with where the time goes (HTTP, persist, desired + diff +
// render, kernel I/O). The same measurement as `npm run bench`'s control
// phase, without the rest of the run.
// Run: npm run build && node dist/bench/weight-change.js [--sizes 1,1000,10000] [--samples 500] [--warmup 50] [--json FILE] [--libnftables]
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { deleteNetnsByPrefix, Netns } from '../lab/netns.js';
import { NftablesDataPlane } from '../src/kernel/nftables/plane.js';
import { benchDirector, type DirectorBench, WARMUP } from './control/director.js';
import type { WeightRun } from './report/goals.js';
import { percentile } from './report/stats.js';

const argv = process.argv.slice(2);
const opt = (n: string, d: string) => {
  const i = argv.indexOf(`--${n}`);
  return i >= 0 && argv[i + 1] ? argv[i + 1]! : d;
};
const sizes = opt('sizes', '1,1000,10000').split(',').map(Number);
const samples = Number(opt('samples', '500'));
const warmup = Number(opt('warmup', String(WARMUP)));
const prefix = opt('prefix', 'bwc-');
const json = opt('json', '');
// --libnftables: every change as a script through libnftables (the path before the netlink transport)
const netlink = !argv.includes('--libnftables');

const fmt = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return `p50 ${percentile(s, 50).toFixed(2)} p99 ${percentile(s, 99).toFixed(2)} max ${s.at(-1)!.toFixed(2)}`;
};

const out: Array<DirectorBench & { load: number[] }> = [];
const loadStart = loadavg();
deleteNetnsByPrefix(prefix);
for (const n of sizes) {
  const ns = Netns.create(`${prefix}${n}`);
  try {
    const plane = new NftablesDataPlane({ netns: ns.name, netlink });
    const r = await benchDirector(plane, {
      services: n,
      weightSamples: samples,
      reloadSamples: 0,
      pairSamples: samples,
      warmup,
    });
    const load = loadavg();
    out.push({ ...r, load });
    const p = r.weightPhases!;
    const rest = r.weightMs.map((t, i) => t - p.setOverride[i]!);
    const persist = p.setOverride.map((t, i) => t - p.reconcile[i]!);
    const dirSide = p.reconcile.map((t, i) => t - r.weightPlaneMs[i]!);
    const render = r.weightPlaneMs.map((t, i) => t - p.kernelIo[i]!);
    console.log(`${n} services (start ${r.startSec.toFixed(1)} s, load ${load[0]!.toFixed(2)}):`);
    console.log(
      `  warm-up (${warmup}, left out) ${r.warmupMs?.weight.length ? fmt(r.warmupMs.weight) : '-'}`,
    );
    console.log(`  API call to reply      ${fmt(r.weightMs)}`);
    console.log(`  HTTP + routing         ${fmt(rest)}`);
    console.log(`  persist (admin state)  ${fmt(persist)}`);
    console.log(`  desired + diff         ${fmt(dirSide)}`);
    console.log(`  plane model + encode   ${fmt(render)}`);
    console.log(`  kernel I/O             ${fmt(p.kernelIo)}`);
    console.log(`  of which CPU           ${fmt(p.kernelCpu)}`);
    console.log(`  active/standby flip    ${fmt(r.pairMs ?? [])}`);
    console.log(`  of which the kernel    ${fmt(r.pairPlaneMs ?? [])}`);
    console.log(`  transport              ${JSON.stringify(plane.nft.counts())}`);
  } finally {
    ns.delete();
  }
}
if (json) {
  const run: WeightRun = {
    finishedAt: new Date().toISOString(),
    transport: netlink ? 'netlink' : 'libnftables',
    loadStart,
    loadEnd: loadavg(),
    runs: out,
  };
  writeFileSync(json, `${JSON.stringify(run, null, 1)}\n`);
}

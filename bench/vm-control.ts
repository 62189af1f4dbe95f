// One weight change, API to kernel, on the IPVS plane: the same director
// bench as the host's nftables one (control/director.ts), run inside the lab
// VM because this host's kernel has no IPVS. The VM's CPUs are emulated (TCG),
// so its milliseconds are slower than a real machine's; the counts (one
// operation per change, no read of the table) are what carry over.
//   node dist/lab/vm/cli.js run --timeout 1500 -- node dist/bench/vm-control.js OUT.json [--sizes 1,1000,10000] [--samples 50] [--warmup 10]
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { IpvsDataPlane } from '../src/kernel/ipvs/client.js';
import { benchDirector, type DirectorBench } from './control/director.js';

const argv = process.argv.slice(2);
const outFile = argv[0];
const opt = (n: string, d: string) => {
  const i = argv.indexOf(`--${n}`);
  return i >= 0 && argv[i + 1] ? argv[i + 1]! : d;
};
const NS = 'bnvc';
const ip = (...a: string[]) => execFileSync('ip', a, { stdio: 'ignore' });

async function main(): Promise<void> {
  if (!outFile) throw new Error('usage: vm-control.js OUT.json [--sizes 1,1000,10000]');
  if (!existsSync('/proc/net/ip_vs')) throw new Error('no IPVS in this kernel: run it in the lab VM');
  const sizes = opt('sizes', '1,1000,10000').split(',').map(Number);
  const t0 = Date.now();
  const control: DirectorBench[] = [];
  for (const n of sizes) {
    try {
      ip('netns', 'del', NS);
    } catch {}
    ip('netns', 'add', NS);
    // IPVS refuses IPv4 real servers until the namespace has an address and a default route.
    ip('-n', NS, 'link', 'add', 'b0', 'type', 'dummy');
    ip('-n', NS, 'link', 'set', 'b0', 'up');
    ip('-n', NS, 'addr', 'add', '10.254.0.1/24', 'dev', 'b0');
    ip('-n', NS, 'route', 'add', 'default', 'via', '10.254.0.254');
    try {
      const plane = await IpvsDataPlane.open({ netns: NS });
      const c = await benchDirector(plane, {
        services: n,
        weightSamples: Number(opt('samples', '50')),
        warmup: Number(opt('warmup', '10')),
        reloadSamples: n >= 10_000 ? 1 : 3,
        resync: n >= 10_000,
      });
      control.push(c);
      plane.close();
      const w = [...c.weightMs].sort((a, b) => a - b);
      // written after each size, so a run cut short by the VM's timeout keeps what it measured
      const partial = { finishedAt: new Date().toISOString(), wallSec: (Date.now() - t0) / 1000, control };
      writeFileSync(outFile, `${JSON.stringify(partial, null, 1)}\n`);
      process.stderr.write(
        `ipvs ${n}: start ${c.startSec.toFixed(1)} s, weight p50 ${w[w.length >> 1]!.toFixed(1)} ms max ${w.at(-1)!.toFixed(1)} ms\n`,
      );
    } finally {
      ip('netns', 'del', NS);
    }
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`vm-control: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});

// The IPVS data plane (NAT, DR, TUN) against direct and HAProxy, inside the
// lab VM, whose kernel has IPVS. The VM's CPUs are emulated (TCG), so only
// ratios within a round mean anything. Writes its phase result as JSON:
//   node dist/lab/vm/cli.js run --timeout 900 -- node dist/bench/vm-dataplane.js OUT.json [--rounds N] [--seconds S]
// `npm run bench` runs it when the lab VM is prepared.
import { existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deleteNetnsByPrefix } from '../lab/netns.js';
import { direct, haproxy, ipvs, nftables } from './dataplane/candidates.js';
import { runPhase } from './dataplane/phase.js';
import { buildTopology, startServers, waitServers } from './dataplane/topology.js';

const argv = process.argv.slice(2);
const outFile = argv[0];
const opt = (n: string, d: string) => {
  const i = argv.indexOf(`--${n}`);
  return i >= 0 && argv[i + 1] ? argv[i + 1]! : d;
};
const PREFIX = opt('prefix', 'bnv-');

async function main(): Promise<void> {
  if (!outFile) throw new Error('usage: vm-dataplane.js OUT.json [--rounds N] [--seconds S]');
  if (!existsSync('/proc/net/ip_vs')) throw new Error('no IPVS in this kernel: run it in the lab VM');
  const topo = buildTopology({
    prefix: PREFIX,
    servers: 2,
    router: true,
    workDir: join(tmpdir(), 'bench-vm'),
  });
  try {
    startServers(topo);
    await waitServers(topo, 60_000);
    const t0 = Date.now();
    const phase = await runPhase(
      topo,
      [
        direct,
        ipvs('nat', 'rr', 2),
        ipvs('dr', 'rr', 2),
        ipvs('tun', 'rr', 2),
        nftables('rr', 2),
        haproxy(2),
      ],
      {
        rounds: Number(opt('rounds', '3')),
        seconds: Number(opt('seconds', '3')),
        connections: 16,
        bulkSeconds: 0,
        log: (l) => process.stderr.write(`${l}\n`),
      },
    );
    writeFileSync(
      outFile,
      `${JSON.stringify({ finishedAt: new Date().toISOString(), wallSec: (Date.now() - t0) / 1000, ...phase }, null, 1)}\n`,
    );
  } finally {
    topo.destroy();
    deleteNetnsByPrefix(PREFIX);
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`vm-dataplane: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});

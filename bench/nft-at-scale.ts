// New-connection cost of the nftables plane with 10,000 other services
// loaded, beside the same plane empty and the routed path: the at-scale phase
// of `npm run bench`, alone. Each figure is the median over the rounds.
// Run: npm run build && node dist/bench/nft-at-scale.js [--rounds 3] [--seconds 3] [--services 10000]
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deleteNetnsByPrefix } from '../lab/netns.js';
import type { DataPlaneOp } from '../src/kernel/dataplane.js';
import { NftablesDataPlane } from '../src/kernel/nftables/plane.js';
import { canonicalIp as asIp } from '../src/kernel/vocabulary.js';
import { direct, nftables } from './dataplane/candidates.js';
import { runPhase, type Sample } from './dataplane/phase.js';
import { buildTopology, startServers, waitServers } from './dataplane/topology.js';
import { percentile } from './report/stats.js';

const argv = process.argv.slice(2);
const opt = (n: string, d: string) => {
  const i = argv.indexOf(`--${n}`);
  return i >= 0 && argv[i + 1] ? argv[i + 1]! : d;
};
const rounds = Number(opt('rounds', '3'));
const seconds = Number(opt('seconds', '3'));
const services = Number(opt('services', '10000'));
const PREFIX = opt('prefix', 'bns-');

function others(n: number): DataPlaneOp[] {
  const ops: DataPlaneOp[] = [];
  for (let i = 0; i < n; i++) {
    const address = asIp(`10.${100 + (i >> 16)}.${(i >> 8) & 0xff}.${i & 0xff}`);
    const key = { kind: 'ip' as const, family: 'inet' as const, protocol: 'tcp' as const, address, port: 80 };
    ops.push({ op: 'add-service', service: { key, scheduler: 'wrr', flags: 0, persistence: null } });
    for (let j = 0; j < 8; j++) {
      const d = { address: asIp(`172.16.${j}.${(i % 250) + 1}`), port: 8080 + (i >> 8) };
      ops.push({
        op: 'add-dest',
        key,
        dest: {
          ...d,
          family: 'inet',
          forwarding: 'nat',
          weight: 1 + j,
          upperThreshold: 0,
          lowerThreshold: 0,
        },
      });
    }
  }
  return ops;
}

const med = (xs: number[]) =>
  percentile(
    [...xs].sort((a, b) => a - b),
    50,
  );
function summary(samples: Sample[]): void {
  for (const id of [...new Set(samples.map((s) => s.candidate))]) {
    const s = samples.filter((x) => x.candidate === id && x.mode === 'close');
    const cpu = s.map((x) => (x.lbCpuSec / Math.max(1, x.requests)) * 1e6);
    console.log(
      `  ${id.padEnd(16)} new connection per request: ${med(s.map((x) => x.rps)).toFixed(0)} req/s, ` +
        `director CPU ${med(cpu).toFixed(1)} us per request (rounds ${s.length})`,
    );
  }
}

deleteNetnsByPrefix(PREFIX);
const topo = buildTopology({
  prefix: PREFIX,
  servers: 1,
  router: false,
  workDir: join(tmpdir(), `${PREFIX}work`),
});
try {
  startServers(topo);
  await waitServers(topo);
  const o = { rounds, seconds, connections: 32, bulkSeconds: 0, warmupSeconds: 1, log: () => {} };
  const empty = await runPhase(topo, [direct, nftables('rr', 1)], o);
  const plane = new NftablesDataPlane({ netns: topo.director.name });
  const loaded = await plane.apply(others(services));
  if (loaded.errors.length) throw loaded.errors[0]!.error;
  const scale = await runPhase(topo, [direct, nftables('rr', 1, () => plane)], o);
  await plane.destroy();
  console.log(
    `nftables plane, ${services} other services (load ${(await import('node:os')).loadavg()[0]!.toFixed(2)}):`,
  );
  summary([...empty.samples, ...scale.samples.map((x) => ({ ...x, candidate: `${x.candidate}@scale` }))]);
  for (const f of [...empty.failures, ...scale.failures]) console.log(`  failure: ${f}`);
} finally {
  topo.destroy();
}

// Benchmark: the nftables plane applies N services x M real servers from
// cold in one transaction, then one weight change, then reads the table back
// and deletes it all. Runs on this host kernel in a scratch namespace:
//   node dist/bench/nft-scale.js [services] [dests]
// The table matches bench/ipvs-program.ts (wrr, weights 1..M) so the figures
// sit beside the IPVS plane's.
import { execFileSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import type { DataPlaneOp, DestSpec, ServiceSpec } from '../src/kernel/dataplane.js';
import { NftablesDataPlane } from '../src/kernel/nftables/plane.js';
import { canonicalIp as asIp } from '../src/kernel/vocabulary.js';

const nServices = Number(process.argv[2] ?? 10_000);
const nDests = Number(process.argv[3] ?? 8);
const NS = `nfbench-${process.pid}`;

function svc(i: number): ServiceSpec {
  const address = asIp(`10.${100 + (i >> 16)}.${(i >> 8) & 0xff}.${i & 0xff}`);
  return {
    key: { kind: 'ip', family: 'inet', protocol: 'tcp', address, port: 80 },
    scheduler: 'wrr',
    flags: 0,
    persistence: null,
  };
}

function dest(i: number, j: number, weight = 1 + j): DestSpec {
  return {
    address: asIp(`172.16.${j}.${(i % 250) + 1}`),
    port: 8080 + (i >> 8),
    family: 'inet',
    forwarding: 'nat',
    weight,
    upperThreshold: 0,
    lowerThreshold: 0,
  };
}

async function timed<T>(what: string, fn: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  const r = await fn();
  console.log(`${what.padEnd(44)} ${((performance.now() - t0) / 1000).toFixed(3)} s`);
  return r;
}

async function main(): Promise<void> {
  execFileSync('ip', ['netns', 'add', NS]);
  try {
    const plane = new NftablesDataPlane({ netns: NS });
    const ops: DataPlaneOp[] = [];
    for (let i = 0; i < nServices; i++) {
      ops.push({ op: 'add-service', service: svc(i) });
      for (let j = 0; j < nDests; j++) ops.push({ op: 'add-dest', key: svc(i).key, dest: dest(i, j) });
    }
    console.log(`nftables plane: ${nServices} services x ${nDests} real servers (${ops.length} operations)`);
    const cold = await timed('apply from cold (one transaction)', () => plane.apply(ops));
    if (cold.errors.length) throw cold.errors[0]!.error;
    const mid = nServices >> 1;
    const w = await timed('one weight change (one transaction)', () =>
      plane.apply([{ op: 'update-dest', key: svc(mid).key, dest: dest(mid, 3, 40) }]),
    );
    if (w.errors.length) throw w.errors[0]!.error;
    const ten = await timed('weight change on 10 services (one transaction)', () =>
      plane.apply(
        Array.from({ length: 10 }, (_, k) => ({
          op: 'update-dest' as const,
          key: svc(k * 7).key,
          dest: dest(k * 7, 1, 0),
        })),
      ),
    );
    if (ten.errors.length) throw ten.errors[0]!.error;
    const listed = await timed('list() read back from the kernel', () => plane.list());
    const dests = listed.reduce((a, s) => a + s.dests.length, 0);
    console.log(`read back ${listed.length} services, ${dests} real servers`);
    const del = await timed('delete every service (one transaction)', () =>
      plane.apply(listed.map((s) => ({ op: 'delete-service' as const, key: s.key }))),
    );
    if (del.errors.length) throw del.errors[0]!.error;
    console.log(`nft runs: ${plane.nft.invocations}, transactions: ${plane.nft.transactions}`);
  } finally {
    execFileSync('ip', ['netns', 'del', NS]);
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});

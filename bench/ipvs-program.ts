// Benchmark: program N services with M real servers each from cold, then
// delete them, with floatlb (batched netlink) and with ipvsadm-restore of the
// same table, in the same kernel. Needs IPVS: run it inside the lab VM:
//   node dist/lab/vm/cli.js run --timeout 1800 -- node dist/bench/ipvs-program.js [services] [dests]
// Also reports floatlb without batching (one request per datagram) on a
// smaller slice, to show what batching buys.
import { execFileSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { formatSave } from '../src/cli/ipvs-format.js';
import type { DataPlaneOp, ServiceState } from '../src/kernel/dataplane.js';
import { IpvsClient } from '../src/kernel/ipvs/client.js';
import { canonicalIp as asIp } from '../src/kernel/vocabulary.js';

const nServices = Number(process.argv[2] ?? 10_000);
const nDests = Number(process.argv[3] ?? 8);
const NS = `fltb-ipvs-${process.pid}`;

function sh(cmd: string, args: string[], input?: string): string {
  return execFileSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 28, ...(input ? { input } : {}) });
}

function table(n: number, m: number): ServiceState[] {
  const out: ServiceState[] = [];
  for (let i = 0; i < n; i++) {
    const address = asIp(`10.${100 + (i >> 16)}.${(i >> 8) & 0xff}.${i & 0xff}`);
    const key = { kind: 'ip' as const, family: 'inet' as const, protocol: 'tcp' as const, address, port: 80 };
    out.push({
      key,
      scheduler: 'wrr',
      flags: 0,
      persistence: null,
      stats: null,
      dests: Array.from({ length: m }, (_, j) => ({
        address: asIp(`172.16.${j}.${(i % 250) + 1}`),
        port: 8080 + (i >> 8),
        family: 'inet' as const,
        forwarding: 'nat' as const,
        weight: 1 + j,
        upperThreshold: 0,
        lowerThreshold: 0,
        activeConns: 0,
        inactiveConns: 0,
        persistentConns: 0,
        stats: null,
      })),
    });
  }
  return out;
}

function addOps(t: readonly ServiceState[]): DataPlaneOp[] {
  const ops: DataPlaneOp[] = [];
  for (const s of t) {
    ops.push({ op: 'add-service', service: s });
    for (const d of s.dests) ops.push({ op: 'add-dest', key: s.key, dest: d });
  }
  return ops;
}

function count(): number {
  return sh('ip', ['netns', 'exec', NS, 'ipvsadm', '-S', '-n']).split('\n').filter(Boolean).length;
}

async function timeIt(label: string, fn: () => Promise<unknown> | unknown): Promise<number> {
  const t0 = performance.now();
  await fn();
  const ms = performance.now() - t0;
  console.log(`${label.padEnd(46)} ${(ms / 1000).toFixed(2).padStart(8)} s`);
  return ms;
}

async function main(): Promise<void> {
  sh('ip', ['netns', 'add', NS]);
  try {
    // ipvsadm wants an address and a default route before it adds IPv4 real servers.
    for (const a of [
      ['link', 'add', 'b0', 'type', 'dummy'],
      ['link', 'set', 'b0', 'up'],
      ['addr', 'add', '10.254.0.1/24', 'dev', 'b0'],
      ['route', 'add', 'default', 'via', '10.254.0.254'],
    ]) {
      sh('ip', ['-n', NS, ...a]);
    }
    const t = table(nServices, nDests);
    const ops = addOps(t);
    const rules = formatSave(t, true);
    console.log(
      `IPVS programming: ${nServices} services x ${nDests} real servers = ${ops.length} operations`,
    );

    const client = await IpvsClient.open({ netns: NS });
    let dg = client.datagramsSent;
    const fAdd = await timeIt('floatlb apply (batched), add', async () => {
      const r = await client.apply(ops);
      if (r.errors.length) throw new Error(`${r.errors.length} errors, first: ${r.errors[0]!.error.message}`);
    });
    const addDatagrams = client.datagramsSent - dg;
    if (count() !== ops.length) throw new Error(`kernel holds ${count()} rules, expected ${ops.length}`);
    dg = client.datagramsSent;
    const fDel = await timeIt('floatlb apply (batched), delete', async () => {
      const r = await client.apply(t.map((s) => ({ op: 'delete-service' as const, key: s.key })));
      if (r.errors.length) throw new Error(`${r.errors.length} delete errors`);
    });
    const delDatagrams = client.datagramsSent - dg;
    if (count() !== 0) throw new Error('services left after delete');

    const iAdd = await timeIt('ipvsadm-restore, add', () =>
      sh('ip', ['netns', 'exec', NS, 'ipvsadm-restore'], rules),
    );
    if (count() !== ops.length) throw new Error('ipvsadm-restore did not program every rule');
    const delRules = t.map((s) => `-D -t ${s.key.kind === 'ip' ? s.key.address : ''}:80`).join('\n');
    const iDel = await timeIt('ipvsadm -R of -D lines, delete', () =>
      sh('ip', ['netns', 'exec', NS, 'ipvsadm', '-R'], `${delRules}\n`),
    );

    // Without batching: one request per datagram, on a tenth of the table.
    const slice = addOps(t.slice(0, Math.max(1, Math.floor(nServices / 10))));
    const unbatched = await IpvsClient.open({ netns: NS, batchSize: 1 });
    const fOne = await timeIt(`floatlb unbatched, add ${slice.length} ops`, async () => {
      for (const op of slice) await unbatched.run(op);
    });
    unbatched.close();
    await client.flush();
    client.close();

    const perOp = (ms: number, n: number) => `${((ms * 1000) / n).toFixed(1)} us/op`;
    console.log('');
    console.log(
      `add:    floatlb ${perOp(fAdd, ops.length)} in ${addDatagrams} datagrams; ipvsadm-restore ${perOp(iAdd, ops.length)}; ratio ${(iAdd / fAdd).toFixed(1)}x`,
    );
    console.log(
      `delete: floatlb ${perOp(fDel, nServices)} in ${delDatagrams} datagrams; ipvsadm ${perOp(iDel, nServices)}; ratio ${(iDel / fDel).toFixed(1)}x`,
    );
    console.log(`unbatched floatlb add: ${perOp(fOne, slice.length)} (batched ${perOp(fAdd, ops.length)})`);
  } finally {
    sh('ip', ['netns', 'del', NS]);
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});

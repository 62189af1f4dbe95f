// Captures what nft 1.0.6 sends to the kernel for floatlb's incremental
// changes, as golden fixtures for floatlb's own netlink renderer
// (test/unit/nftables/nl-golden.test.ts). Each case programs a service in a
// scratch namespace, then runs one change through the nft binary under
// `strace -e write=FD` and keeps the batch datagram's bytes.
// Run (root, strace installed): npm run build && node dist/lab/nft-netlink-capture.js
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type {
  DataPlaneOp,
  DestSpec,
  Family,
  Protocol,
  Scheduler,
  ServiceSpec,
} from '../src/kernel/dataplane.js';
import { NftablesDataPlane } from '../src/kernel/nftables/plane.js';
import { canonicalIp } from '../src/kernel/vocabulary.js';
import { Netns } from './netns.js';

interface Case {
  readonly name: string;
  readonly setup: DataPlaneOp[];
  readonly change: DataPlaneOp[];
}

const dest = (family: Family, address: string, weight: number): DestSpec => ({
  address: canonicalIp(address),
  port: 8080,
  family,
  forwarding: 'nat',
  weight,
  upperThreshold: 0,
  lowerThreshold: 0,
});

function svc(
  name: string,
  family: Family,
  protocol: Protocol,
  address: string,
  scheduler: Scheduler,
  flags: number,
  dests: DestSpec[],
  change: (k: DataPlaneOp & { op: 'add-service' }) => DataPlaneOp[],
): Case {
  const key = { kind: 'ip' as const, family, protocol, address: canonicalIp(address), port: 443 };
  const add = { op: 'add-service' as const, service: { key, scheduler, flags, persistence: null } };
  return {
    name,
    setup: [add, ...dests.map((d) => ({ op: 'add-dest' as const, key, dest: d }))],
    change: change(add),
  };
}

const v4 = (n: number, w: number) => dest('inet', `172.16.0.${n}`, w);
const v6 = (n: number, w: number) => dest('inet6', `2001:db8::${n}`, w);
const upd = (d: DestSpec) => (a: { service: ServiceSpec }) => [
  { op: 'update-dest' as const, key: a.service.key, dest: d } as DataPlaneOp,
];

export const CASES: readonly Case[] = [
  svc('tcp4-wrr-weight', 'inet', 'tcp', '10.0.0.1', 'wrr', 0, [v4(1, 1), v4(2, 2)], upd(v4(2, 3))),
  svc('udp4-sh-port-weight', 'inet', 'udp', '10.0.0.2', 'sh', 0x10, [v4(1, 1), v4(2, 2)], upd(v4(2, 5))),
  svc('tcp4-dh-weight', 'inet', 'tcp', '10.0.0.4', 'dh', 0, [v4(1, 1), v4(2, 1)], upd(v4(1, 2))),
  svc('tcp4-mh-weight', 'inet', 'tcp', '10.0.0.5', 'mh', 0, [v4(1, 1), v4(2, 1), v4(3, 1)], upd(v4(3, 2))),
  svc('tcp4-fo-weight', 'inet', 'tcp', '10.0.0.6', 'fo', 0, [v4(1, 1), v4(2, 2)], upd(v4(1, 3))),
  svc('tcp6-rr-add-dest', 'inet6', 'tcp', '2001:db8::1', 'rr', 0, [v6(10, 1)], (a) => [
    { op: 'add-dest', key: a.service.key, dest: v6(11, 3) },
  ]),
  svc('sctp4-rr-last-dest-gone', 'inet', 'sctp', '10.0.0.3', 'rr', 0, [v4(3, 1)], (a) => [
    { op: 'delete-dest', key: a.service.key, dest: v4(3, 1) },
  ]),
  svc('tcp6-rr-weight-0', 'inet6', 'tcp', '2001:db8::5', 'rr', 0, [v6(10, 1), v6(11, 3)], upd(v6(11, 0))),
  svc(
    'tcp6-sh-port-weight',
    'inet6',
    'tcp',
    '2001:db8::2',
    'sh',
    0x10,
    [v6(10, 1), v6(11, 1)],
    upd(v6(10, 2)),
  ),
  svc('udp6-dh-weight', 'inet6', 'udp', '2001:db8::3', 'dh', 0, [v6(10, 1), v6(11, 1)], upd(v6(10, 2))),
  svc('udp6-sh-weight', 'inet6', 'udp', '2001:db8::4', 'sh', 0, [v6(10, 1), v6(11, 1)], upd(v6(10, 2))),
  // moduli above the hash map's: ranges in the service's own interval map
  svc(
    'tcp4-wrr-big-weight',
    'inet',
    'tcp',
    '10.0.0.7',
    'wrr',
    0,
    [v4(1, 10), v4(2, 2), v4(3, 3), v4(4, 4)],
    upd(v4(1, 11)),
  ),
  svc('udp4-wrr-big-same-sum', 'inet', 'udp', '10.0.0.8', 'wrr', 0, [v4(1, 10), v4(2, 9)], (a) => [
    { op: 'update-dest', key: a.service.key, dest: v4(1, 9) },
    { op: 'update-dest', key: a.service.key, dest: v4(2, 10) },
  ]),
  svc(
    'tcp6-mh-port-weight',
    'inet6',
    'tcp',
    '2001:db8::6',
    'mh',
    0x10,
    [v6(10, 1), v6(11, 1)],
    upd(v6(10, 2)),
  ),
];

/** The bytes of the last sendmsg in an `strace -e write=3` log (the batch). */
function lastDatagram(log: string): Buffer {
  const blocks: Buffer[][] = [];
  let cur: Buffer[] | null = null;
  for (const line of log.split('\n')) {
    if (line.startsWith('sendmsg(')) {
      cur = [];
      blocks.push(cur);
    } else if (cur && line.startsWith(' | ') && line.length > 10)
      cur.push(Buffer.from(line.slice(10, 59).replaceAll(' ', ''), 'hex'));
  }
  return Buffer.concat(blocks.at(-1) ?? []);
}

async function main(): Promise<void> {
  const ns = Netns.create(`nlcap${process.pid % 10000}-`);
  const dir = mkdtempSync(join(tmpdir(), 'nft-capture-'));
  const wrapper = join(dir, 'nft.sh');
  writeFileSync(wrapper, `#!/bin/sh\nexec strace -e trace=sendmsg -e write=3 -o "${dir}/log.$$" nft "$@"\n`, {
    mode: 0o755,
  });
  const out: Array<{ name: string; setup: DataPlaneOp[]; change: DataPlaneOp[]; batch: string }> = [];
  try {
    for (const c of CASES) {
      const plain = new NftablesDataPlane({ netns: ns.name, netlink: false });
      await plain.destroy();
      const r = await plain.apply(c.setup);
      if (r.errors.length) throw r.errors[0]!.error;
      const traced = new NftablesDataPlane({ netns: ns.name, nftPath: wrapper });
      await traced.list();
      for (const f of readdirSync(dir)) if (f.startsWith('log.')) rmSync(join(dir, f));
      const r2 = await traced.apply(c.change);
      if (r2.errors.length) throw r2.errors[0]!.error;
      const log = readdirSync(dir).find((f) => f.startsWith('log.'))!;
      out.push({ ...c, batch: lastDatagram(readFileSync(join(dir, log), 'utf8')).toString('hex') });
    }
  } finally {
    ns.delete();
    rmSync(dir, { recursive: true, force: true });
  }
  const file = 'test/unit/nftables/fixtures/nft-netlink-batches.json';
  writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
  // then `npx biome format --write` on it, as for every committed JSON file
  console.log(`${out.length} batches written to ${file}`);
}

await main();

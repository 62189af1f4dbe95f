// Host tier: the weight-change path on the real nftables plane. A director
// holding 2,000 services changes one real server's weight through its admin
// call: the kernel gets one transaction (floatlb's own netlink batch) that
// names only that service's chain and elements, nothing is listed back, and a fresh reader of the
// kernel sees the new weight and every other service unchanged.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Netns } from '../../lab/netns.js';
import { parseConfigText } from '../../src/config/index.js';
import { Director } from '../../src/director/director.js';
import { msgPayload, type NftMsg } from '../../src/kernel/nftables/nl-codec.js';
import { NftablesDataPlane } from '../../src/kernel/nftables/plane.js';
import { tableOf } from '../support/converge.js';
import { FakeHealth } from '../support/fake-health.js';
import { testNetns } from '../support/netns.js';
import { recordNft } from '../support/nft-record.js';
import { requireRoot, requireTool } from '../support/require.js';

const N = 2000;
const vip = (i: number) => `10.${100 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`;

function config(): string {
  const out: string[] = [];
  for (let i = 0; i < N; i++) {
    out.push(`virtual_server ${vip(i)} 80 {\n  lb_algo wrr\n  lb_kind NAT\n  protocol TCP`);
    for (let j = 1; j <= 4; j++)
      out.push(`  real_server 172.16.${j}.${(i % 250) + 1} 8080 {\n    weight ${j}\n  }`);
    out.push('}');
  }
  return `${out.join('\n')}\n`;
}

let ns: Netns;
let dir: string;
let plane: NftablesDataPlane;
let d: Director;
const scripts: string[] = [];
const batches: NftMsg[][] = [];

beforeAll(async () => {
  requireRoot();
  requireTool('nft');
  ns = testNetns('nfw');
  dir = mkdtempSync(join(tmpdir(), 'floatlb-nft-weight-'));
  plane = new NftablesDataPlane({ netns: ns.name });
  recordNft(plane, { scripts, batches });
  const parsed = parseConfigText(config(), { file: 'big.conf' });
  d = new Director({
    plane,
    health: new FakeHealth(),
    adminStatePath: join(dir, 'admin.json'),
    loadConfig: async () => parsed,
    resyncMs: 0,
  });
  const first = await d.start();
  expect(first.errors).toEqual([]);
}, 300_000);

afterAll(async () => {
  await d?.stop();
  ns?.delete();
  rmSync(dir, { recursive: true, force: true });
});

describe('director on nftables: one weight change at 2,000 services', () => {
  it('is one small transaction touching only that service, with no read of the table', async () => {
    const before = {
      invocations: plane.nft.invocations,
      transactions: plane.nft.transactions,
      scripts: scripts.length,
      batches: batches.length,
    };
    const target = 1234;
    const r = await d.setOverride(`tcp/${vip(target)}:80`, `172.16.2.${(target % 250) + 1}:8080`, {
      weight: 7,
    });
    expect(r.errors).toEqual([]);
    expect(r.ops.map((o) => o.op)).toEqual(['update-dest']);
    // one nft run, and it is the transaction: no `nft -j list` before it
    expect(plane.nft.invocations - before.invocations).toBe(1);
    expect(plane.nft.transactions - before.transactions).toBe(1);
    // no script: the change went as floatlb's own netlink batch
    expect(scripts.length).toBe(before.scripts);
    expect(batches.length - before.batches).toBe(1);
    const msgs = batches.at(-1)!;
    const chain = `s4_tcp_${vip(target).replaceAll('.', '_')}_80`;
    const vipBytes = Buffer.from(vip(target).split('.').map(Number));
    // every message names this service: its chain, or its VIP in a shared map's elements
    for (const m of msgs) {
      if (m.what.includes(' element ')) expect(msgPayload(m).includes(vipBytes)).toBe(true);
      else expect(m.what.endsWith(` ${chain}`)).toBe(true);
    }
    expect(msgs.reduce((n, m) => n + msgPayload(m).length, 0)).toBeLessThan(4096);
  });

  it('a fresh reader of the kernel sees the new weight and every other service as configured', async () => {
    const table = tableOf(await new NftablesDataPlane({ netns: ns.name }).list());
    expect(Object.keys(table)).toHaveLength(N);
    expect(table[`tcp/${vip(1234)}:80`]).toEqual([
      '172.16.1.235:8080=1',
      '172.16.2.235:8080=7',
      '172.16.3.235:8080=3',
      '172.16.4.235:8080=4',
    ]);
    expect(table[`tcp/${vip(1233)}:80`]).toEqual([
      '172.16.1.234:8080=1',
      '172.16.2.234:8080=2',
      '172.16.3.234:8080=3',
      '172.16.4.234:8080=4',
    ]);
  });

  it('resync reads the table back and finds no drift', async () => {
    const reads = d.counters.kernelReads;
    const r = await d.resync();
    expect(d.counters.kernelReads).toBe(reads + 1);
    expect(r.ops).toEqual([]);
    expect(d.counters.drifts).toBe(0);
  });
});

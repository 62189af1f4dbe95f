// The weight-change path at scale, counted on the in-memory plane: one change
// at 10,000 services is one kernel operation, no read of the table, and one
// virtual server recomputed. The kernel is read again only after a failed
// apply and on resync, which repairs drift.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConfigResult, parseConfigText } from '../../../src/config/index.js';
import { Director } from '../../../src/director/director.js';
import type { ApplyResult, DataPlaneOp } from '../../../src/kernel/dataplane.js';
import { FakeDataPlane } from '../../support/fake-dataplane.js';
import { FakeHealth } from '../../support/fake-health.js';

const SERVICES = 10_000;

const vip = (i: number) => `10.${100 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`;
const vsId = (i: number) => `tcp/${vip(i)}:80`;
const rs = (i: number, j: number) => `172.16.${j}.${(i % 250) + 1}:${8000 + (i % 1000)}`;

/** N virtual servers x 4 real servers; the last real server of each has a health check. */
function config(n: number): string {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    out.push(`virtual_server ${vip(i)} 80 {\n  lb_algo wrr\n  lb_kind NAT\n  protocol TCP`);
    for (let j = 1; j <= 4; j++) {
      const check = j === 4 ? '\n    TCP_CHECK {\n      connect_timeout 1\n    }\n' : ' ';
      out.push(`  real_server ${rs(i, j).replace(':', ' ')} {\n    weight ${j}${check}}`);
    }
    out.push('}');
  }
  return `${out.join('\n')}\n`;
}

/** A plane that fails the next apply, as a kernel that refuses an operation. */
class FlakyPlane extends FakeDataPlane {
  failNext = false;
  override async apply(ops: readonly DataPlaneOp[]): Promise<ApplyResult> {
    if (!this.failNext) return super.apply(ops);
    this.failNext = false;
    this.applyCalls++;
    return { applied: 0, errors: ops.map((op) => ({ op, error: new Error('EBUSY') })), transactions: 0 };
  }
}

let dir: string;
let parsed: ConfigResult;
let plane: FlakyPlane;
let health: FakeHealth;
let d: Director;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'floatlb-incremental-'));
  parsed = parseConfigText(config(SERVICES), { file: 'big.conf' });
  plane = new FlakyPlane();
  health = new FakeHealth();
  d = new Director({
    plane,
    health,
    adminStatePath: join(dir, 'admin.json'),
    loadConfig: async () => parsed,
    resyncMs: 0,
  });
  const first = await d.start();
  expect(first.errors).toEqual([]);
  expect(plane.services.size).toBe(SERVICES);
}, 120_000);

afterAll(async () => {
  await d.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** What one call costs in kernel reads, applies, operations and recomputed virtual servers. */
async function count(fn: () => Promise<unknown>) {
  const before = {
    list: plane.listCalls,
    apply: plane.applyCalls,
    ops: plane.log.length,
    computed: d.virtualServersComputed,
  };
  await fn();
  return {
    lists: plane.listCalls - before.list,
    applies: plane.applyCalls - before.apply,
    ops: plane.log.slice(before.ops),
    computed: d.virtualServersComputed - before.computed,
  };
}

// Full passes over 10,000 services take seconds on a loaded machine: the timeout is a liveness bound only.
describe('director: one change at 10,000 services', { timeout: 120_000 }, () => {
  it('start read the kernel once and programmed every service', () => {
    expect(plane.listCalls).toBe(1);
    expect(d.counters.kernelReads).toBe(1);
  });

  it('a weight change through the API path is exactly one edit-dest operation, no read, one virtual server computed', async () => {
    const c = await count(() => d.setOverride(vsId(9999), rs(9999, 2), { weight: 9 }));
    expect(c.lists).toBe(0);
    expect(c.applies).toBe(1);
    expect(c.computed).toBe(1);
    expect(c.ops).toEqual([
      {
        op: 'update-dest',
        key: expect.objectContaining({ address: vip(9999), port: 80 }),
        dest: expect.objectContaining({ address: '172.16.2.250', port: 8999, weight: 9 }),
      },
    ]);
    expect(plane.services.get(vsId(9999))!.dests.map((x) => x.weight)).toEqual([1, 9, 3, 4]);
  });

  it('clearing the override and draining are one operation each', async () => {
    const clear = await count(() => d.setOverride(vsId(9999), rs(9999, 2), null));
    expect(clear.lists).toBe(0);
    expect(clear.ops.map((o) => o.op)).toEqual(['update-dest']);
    const drain = await count(() => d.setOverride(vsId(7), rs(7, 1), { drain: true }));
    expect(drain.lists).toBe(0);
    expect(drain.computed).toBe(1);
    expect(drain.ops).toEqual([
      expect.objectContaining({ op: 'update-dest', dest: expect.objectContaining({ weight: 0 }) }),
    ]);
  });

  it('a health event recomputes its own virtual server only: one delete-dest, then one add-dest', async () => {
    const target = health.targets.find((t) => t.id.startsWith(`${vsId(258)}|`))!.id;
    const down = await count(async () => {
      health.set(target, false);
      await d.reconcile([]); // waits for the pass the event started
    });
    expect(down.lists).toBe(0);
    expect(down.computed).toBe(1);
    expect(down.ops.map((o) => o.op)).toEqual(['delete-dest']);
    const up = await count(async () => {
      health.set(target, true);
      await d.reconcile([]);
    });
    expect(up.ops.map((o) => o.op)).toEqual(['add-dest']);
    expect(up.lists).toBe(0);
  });

  it('after a failed apply the next pass reads the kernel and applies what is still missing', async () => {
    plane.failNext = true;
    const failed = await count(() => d.setOverride(vsId(9), rs(9, 3), { weight: 20 }));
    expect(failed.lists).toBe(0);
    expect(d.lastReconcile!.errors).toHaveLength(1);
    const next = await count(() => d.setOverride(vsId(9), rs(9, 1), { weight: 21 }));
    expect(next.lists).toBe(1);
    // both changes reach the kernel: the one that failed and the new one
    expect(next.ops.map((o) => o.op)).toEqual(['update-dest', 'update-dest']);
    expect(plane.services.get(vsId(9))!.dests.map((x) => x.weight)).toEqual([21, 2, 20, 4]);
  });

  it('resync reads the kernel, repairs drift made behind the director, and counts it', async () => {
    const id = vsId(5 * 256 + 5);
    const svc = plane.services.get(id)!;
    plane.services.set(id, { ...svc, dests: svc.dests.slice(1) }); // someone deleted a real server
    plane.services.delete(vsId(6 * 256 + 6)); // and a whole service
    // An ordinary change does not read the kernel, so it does not see that yet.
    const blind = await count(() => d.setOverride(vsId(1), rs(1, 1), { weight: 5 }));
    expect(blind.lists).toBe(0);
    expect(blind.ops).toHaveLength(1);
    const drifts = d.counters.drifts;
    const r = await count(() => d.resync());
    expect(r.lists).toBe(1);
    expect(r.ops.map((o) => o.op).sort()).toEqual([
      'add-dest',
      'add-dest',
      'add-dest',
      'add-dest',
      'add-dest',
      'add-service',
    ]);
    expect(d.counters.drifts).toBe(drifts + 1);
    // nothing drifted since: a second resync reads and applies nothing
    const again = await count(() => d.resync());
    expect(again.lists).toBe(1);
    expect(again.ops).toEqual([]);
    expect(d.counters.drifts).toBe(drifts + 1);
  });

  it('an explicit full reconcile diffs every service against memory without reading the kernel', async () => {
    const c = await count(() => d.reconcile());
    expect(c.lists).toBe(0);
    expect(c.computed).toBe(SERVICES);
    expect(c.ops).toEqual([]);
  });
});

// nftables-specific guarantees: one transaction per apply, observed with
// `nft monitor`; established connections survive reloads; bad input leaves
// the kernel untouched; foreign tables are never touched; counters.
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { formatList } from '../../src/cli/ipvs-format.js';
import type { ApplyResult, DataPlaneOp, DestSpec, ServiceSpec } from '../../src/kernel/dataplane.js';
import { listNftablesPlane, NftablesDataPlane } from '../../src/kernel/nftables/index.js';
import { svcTable } from '../../src/kernel/nftables/names.js';
import { canonicalIp as asIp } from '../../src/kernel/vocabulary.js';
import { buildPlaneLab, hold, labDest, type PlaneLab, requests } from '../support/dataplane-suite.js';
import { testNetns } from '../support/netns.js';
import { requireRoot, requireTool } from '../support/require.js';

requireRoot();
requireTool('nft');

const key = { kind: 'ip', family: 'inet', protocol: 'tcp', address: asIp('10.98.1.100'), port: 80 } as const;
const svc = (over: Partial<ServiceSpec> = {}): ServiceSpec => ({
  key,
  scheduler: 'wrr',
  flags: 0,
  persistence: null,
  ...over,
});

describe('nftables plane transactions', () => {
  let t: PlaneLab;
  let plane: NftablesDataPlane;
  const dest = (i: number, weight: number): DestSpec => labDest(t, i, weight);
  const tableText = () => t.director.exec('nft', 'list', 'ruleset', 'inet');

  beforeAll(async () => {
    t = await buildPlaneLab('nft');
    plane = new NftablesDataPlane({ netns: t.director.name });
  });
  afterAll(() => t?.delete());
  beforeEach(async () => {
    await plane.destroy();
  });

  /** Counts kernel generations (committed transactions) while fn runs. */
  async function generations(fn: () => Promise<void>): Promise<number> {
    const mon: ChildProcess = t.director.spawn('nft', ['monitor'], { stdio: 'pipe' });
    let out = '';
    mon.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
    });
    // a marker transaction proves the monitor is listening before fn starts
    await new Promise((r) => setTimeout(r, 300));
    t.director.exec('nft', 'add', 'table', 'ip', 'nfmark');
    t.director.exec('nft', 'delete', 'table', 'ip', 'nfmark');
    for (let i = 0; i < 50 && (out.match(/new generation/g) ?? []).length < 2; i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const before = (out.match(/new generation/g) ?? []).length;
    expect(before).toBe(2);
    await fn();
    t.director.exec('nft', 'add', 'table', 'ip', 'nfmark');
    for (let i = 0; i < 50 && !/add table ip nfmark[\s\S]*add table ip nfmark/.test(out); i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    t.director.exec('nft', 'delete', 'table', 'ip', 'nfmark');
    mon.kill('SIGKILL');
    return (out.match(/new generation/g) ?? []).length - before - 1;
  }

  it('applies a batch of weight changes as one transaction and keeps an established connection', async () => {
    await plane.apply([
      { op: 'add-service', service: svc() },
      { op: 'add-dest', key, dest: dest(0, 1) },
      { op: 'add-dest', key, dest: dest(1, 1) },
    ]);
    // weight 0 on rs2 first, so the held connection lands on rs1
    await plane.apply([{ op: 'update-dest', key, dest: dest(1, 0) }]);
    const held = hold(t);
    try {
      expect(await held.ask()).toBe('rs1');
      let applied: ApplyResult | null = null;
      const gens = await generations(async () => {
        applied = await plane.apply([
          { op: 'update-dest', key, dest: dest(0, 0) },
          { op: 'update-dest', key, dest: dest(1, 5) },
          { op: 'add-dest', key, dest: dest(2, 5) },
          { op: 'update-service', service: svc({ scheduler: 'rr' }) },
        ]);
      });
      expect(applied).toMatchObject({ applied: 4, transactions: 1, errors: [] });
      expect(gens).toBe(1);
      expect(await held.ask()).toBe('rs1');
      const c = await requests(t, 40);
      expect(c).toEqual({ rs2: 20, rs3: 20 });
    } finally {
      held.close();
    }
  });

  it('a reload that re-applies the same state commits nothing', async () => {
    const ops: DataPlaneOp[] = [
      { op: 'add-service', service: svc() },
      { op: 'add-dest', key, dest: dest(0, 2) },
    ];
    await plane.apply(ops);
    const fresh = new NftablesDataPlane({ netns: t.director.name });
    const listed = await fresh.list();
    const same: DataPlaneOp[] = listed.map((s) => ({ op: 'update-service', service: s }));
    const r = await fresh.apply(same);
    expect(r).toMatchObject({ applied: 1, transactions: 0 });
  });

  it('rejects an unsupported scheduler or a family mix-up and leaves the kernel as it was', async () => {
    await plane.apply([
      { op: 'add-service', service: svc() },
      { op: 'add-dest', key, dest: dest(0, 1) },
    ]);
    const before = tableText();
    const other = { ...key, port: 81 };
    const r1 = await plane.apply([
      { op: 'add-service', service: svc({ key: other }) },
      { op: 'add-dest', key: other, dest: dest(1, 1) },
      { op: 'update-service', service: svc({ scheduler: 'wlc' }) },
    ]);
    expect(r1.applied).toBe(0);
    expect(r1.transactions).toBe(0);
    expect(r1.errors[0]!.error.message).toMatch(/scheduler wlc is not supported by the nftables plane/);
    const r2 = await plane.apply([
      { op: 'add-dest', key, dest: dest(1, 1) },
      { op: 'add-dest', key, dest: { ...dest(2, 1), address: asIp('fd00::3'), family: 'inet6' } },
    ]);
    expect(r2.applied).toBe(0);
    expect(r2.errors[0]!.error.message).toMatch(/address family mix-up/);
    expect(tableText()).toBe(before);
    expect(await requests(t, 10)).toEqual({ rs1: 10 });
  });

  it('a transaction the kernel refuses leaves nothing behind', async () => {
    await plane.apply([{ op: 'add-service', service: svc() }]);
    // an element floatlb did not write sits where the new service's dispatch
    // entry goes, so the last line of the script fails in the kernel
    let other = { ...key, port: 81 };
    while (svcTable(other) !== svcTable(key)) other = { ...other, port: other.port + 1 };
    t.director.exec('nft', 'add', 'chain', 'inet', svcTable(key), 'nfx');
    t.director.exec(
      'nft',
      'add',
      'element',
      'inet',
      svcTable(key),
      'svc4',
      `{ 10.98.1.100 . tcp . ${other.port} : goto nfx }`,
    );
    const before = tableText();
    const r = await plane.apply([
      { op: 'add-dest', key, dest: dest(0, 1) },
      { op: 'add-service', service: svc({ key: other }) },
      { op: 'add-dest', key: other, dest: dest(1, 1) },
    ]);
    expect(r.applied).toBe(0);
    expect(r.errors[0]!.error.message).toMatch(/nft transaction failed/);
    expect(tableText()).toBe(before);
    expect(await plane.list()).toMatchObject([{ key, dests: [] }]);
  });

  it('never touches tables it does not own', async () => {
    t.director.exec('nft', 'add', 'table', 'inet', 'nfforeign');
    t.director.exec('nft', 'add', 'chain', 'inet', 'nfforeign', 'c');
    t.director.exec('nft', 'add', 'rule', 'inet', 'nfforeign', 'c', 'counter', 'comment', '"keep me"');
    const foreign = () => t.director.exec('nft', 'list', 'table', 'inet', 'nfforeign');
    const before = foreign();
    await plane.apply([
      { op: 'add-service', service: svc() },
      { op: 'add-dest', key, dest: dest(0, 1) },
    ]);
    await plane.apply([{ op: 'delete-service', key }]);
    await plane.destroy();
    expect(foreign()).toBe(before);
    t.director.exec('nft', 'delete', 'table', 'inet', 'nfforeign');
  });

  it('counts new connections per server and per service', async () => {
    await plane.apply([
      { op: 'add-service', service: svc() },
      { op: 'add-dest', key, dest: dest(0, 1) },
      { op: 'add-dest', key, dest: dest(1, 3) },
    ]);
    await requests(t, 40);
    const [s] = await plane.list();
    const by = Object.fromEntries(s!.dests.map((d) => [d.address, d.stats?.conns]));
    expect(by).toEqual({ [t.servers[0]!.address]: 10n, [t.servers[1]!.address]: 30n });
    expect(s!.stats?.conns).toBe(40n);
  });

  it('moves a persistent client when its server is removed', async () => {
    await plane.apply([
      { op: 'add-service', service: svc({ persistence: { timeoutSec: 300, prefix: 32 } }) },
      { op: 'add-dest', key, dest: dest(0, 1) },
      { op: 'add-dest', key, dest: dest(1, 1) },
    ]);
    const first = Object.keys(await requests(t, 5, 1));
    expect(first).toHaveLength(1);
    const pinned = Number(first[0]!.slice(2)) - 1;
    await plane.apply([{ op: 'delete-dest', key, dest: dest(pinned, 1) }]);
    const after = await requests(t, 5, 1);
    expect(after).toEqual({ [`rs${2 - pinned}`]: 5 });
    // and the weight-0 case keeps affinity, as IPVS does by default
    await plane.apply([{ op: 'add-dest', key, dest: dest(pinned, 1) }]);
    await plane.apply([{ op: 'update-dest', key, dest: dest(1 - pinned, 0) }]);
    expect(await requests(t, 5, 1)).toEqual({ [`rs${2 - pinned}`]: 5 });
  });

  it('masquerades when asked, for real servers that do not route back through the director', async () => {
    await plane.apply([
      { op: 'add-service', service: svc() },
      { op: 'add-dest', key, dest: dest(0, 1) },
    ]);
    for (const r of t.servers) r.ns.ip('route', 'del', 'default');
    try {
      // routed return only: the replies have no way back
      expect(await requests(t, 2, 1)).toEqual({ '<error>': 2 });
      // the same table, now with masquerade: one more transaction rewrites postrouting
      const masq = new NftablesDataPlane({ netns: t.director.name, masquerade: true });
      const r = await masq.apply([{ op: 'add-dest', key, dest: dest(1, 1) }]);
      expect(r).toMatchObject({ errors: [], transactions: 1 });
      expect(await requests(t, 10)).toEqual({ rs1: 5, rs2: 5 });
    } finally {
      for (const r of t.servers) r.ns.ip('route', 'add', 'default', 'via', '10.98.2.1');
    }
  });

  it('hashes a client to one server with sh', async () => {
    await plane.apply([
      { op: 'add-service', service: svc({ scheduler: 'sh' }) },
      ...[0, 1, 2].map((i) => ({ op: 'add-dest' as const, key, dest: dest(i, 1) })),
    ]);
    expect(Object.values(await requests(t, 20))).toEqual([20]);
  });
});

describe('floatlb nft list', () => {
  it('prints the plane read back from the kernel in ipvsadm -Ln layout', async () => {
    const ns = testNetns('nfl');
    try {
      const plane = new NftablesDataPlane({ netns: ns.name });
      const k = { ...key, address: asIp('10.97.0.1') };
      const r = await plane.apply([
        { op: 'add-service', service: svc({ key: k }) },
        {
          op: 'add-dest',
          key: k,
          dest: {
            address: asIp('10.97.1.2'),
            port: 8080,
            family: 'inet',
            forwarding: 'nat',
            weight: 3,
            upperThreshold: 0,
            lowerThreshold: 0,
          },
        },
      ]);
      expect(r.errors).toEqual([]);
      const out = formatList(null, await listNftablesPlane({ netns: ns.name }));
      expect(out.split('\n').slice(-3)).toEqual([
        'TCP  10.97.0.1:80 wrr',
        '  -> 10.97.1.2:8080               Masq    3      0          0         ',
        '',
      ]);
    } finally {
      ns.delete();
    }
  });
});

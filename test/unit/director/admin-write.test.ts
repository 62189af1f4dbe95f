// The admin state's write is off the kernel path: an admin change is applied
// while its write runs, the reply says whether the state was durable by then,
// `durable` waits for it, and writes are serialized and coalesced to the
// newest state. A write that fails is never reported as persisted.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/config/index.js';
import {
  type AdminState,
  AdminStateError,
  AdminStateWriter,
  loadAdminState,
  ownedPath,
  withOverride,
  withOwned,
} from '../../../src/director/admin-state.js';
import { Director, DirectorError } from '../../../src/director/director.js';
import { FakeDataPlane } from '../../support/fake-dataplane.js';
import { FakeHealth } from '../../support/fake-health.js';

const CONFIG = `virtual_server 10.0.0.1 80 {
  lb_algo wrr
  lb_kind NAT
  protocol TCP
  real_server 172.16.0.1 8080 {
    weight 1
  }
}
`;

/** A write the test releases by hand; each call is recorded. */
class GatedWrites {
  readonly calls: AdminState[] = [];
  private gates: Array<{ open: () => void; fail: (e: Error) => void }> = [];
  readonly owned: boolean[] = [];
  write = (_path: string, s: AdminState, owned: boolean): Promise<void> => {
    this.calls.push(s);
    this.owned.push(owned);
    return new Promise((open, fail) => this.gates.push({ open, fail }));
  };
  release(): void {
    this.gates.shift()!.open();
  }
  failNext(e: Error): void {
    this.gates.shift()!.fail(e);
  }
  get waiting(): number {
    return this.gates.length;
  }
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('admin state written off the kernel path', () => {
  let dir: string;
  let plane: FakeDataPlane;
  let writes: GatedWrites;
  let d: Director;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'floatlb-admin-write-'));
    plane = new FakeDataPlane();
    writes = new GatedWrites();
    const parsed = parseConfigText(CONFIG, { file: 'k.conf' });
    d = new Director({
      plane,
      health: new FakeHealth(),
      adminStatePath: join(dir, 'admin.json'),
      loadConfig: async () => parsed,
      resyncMs: 0,
      writeAdminState: writes.write,
    });
    const started = d.start();
    await tick();
    writes.release(); // ownership written at start
    await started;
  });
  afterEach(async () => {
    while (writes.waiting) writes.release();
    await d.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const weightOf = () => plane.list().then((l) => l[0].dests[0]!.weight);

  it('applies the change while the write runs and says it is not persisted yet', async () => {
    const r = await d.setOverride('tcp/10.0.0.1:80', '172.16.0.1:8080', { weight: 7 }, { durable: false });
    expect(r.errors).toEqual([]);
    expect(r.persisted).toBe(false);
    expect(await weightOf()).toBe(7);
    expect(writes.waiting).toBe(1);
    expect(writes.calls.at(-1)!.overrides).toEqual({ 'tcp/10.0.0.1:80|172.16.0.1:8080': { weight: 7 } });
  });

  it('durable: the reply waits for the write and then says persisted', async () => {
    let done = false;
    const p = d
      .setOverride('tcp/10.0.0.1:80', '172.16.0.1:8080', { weight: 5 }, { durable: true })
      .then((r) => {
        done = true;
        return r;
      });
    await tick();
    await tick();
    expect(await weightOf()).toBe(5);
    expect(done).toBe(false);
    writes.release();
    expect((await p).persisted).toBe(true);
  });

  it('a failed write is never reported as persisted: durable gets a 500 naming it', async () => {
    const p = d.setOverride('tcp/10.0.0.1:80', '172.16.0.1:8080', { weight: 4 }, { durable: true });
    await tick();
    writes.failNext(new Error('ENOSPC: no space left on device'));
    const err = await p.then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DirectorError);
    expect((err as DirectorError).status).toBe(500);
    expect((err as Error).message).toMatch(/admin state was not written \(ENOSPC/);
  });

  it('links (the adapters contract) always wait for the write', async () => {
    let done = false;
    const p = d.setLink('10.0.0.1', '172.16.0.1', 'unlinked').then((r) => {
      done = true;
      return r;
    });
    await tick();
    await tick();
    expect(done).toBe(false);
    writes.release();
    expect((await p).persisted).toBe(true);
  });
});

describe('AdminStateWriter', () => {
  it('writes one at a time and coalesces to the newest state; every waiter settles', async () => {
    const w = new GatedWrites();
    const writer = new AdminStateWriter('/x', w.write);
    const s = (n: number): AdminState => ({ version: 1, links: {}, overrides: {}, ownedServices: [`s${n}`] });
    const a = writer.save(s(1));
    const b = writer.save(s(2));
    const c = writer.save(s(3));
    await tick();
    expect(w.calls.map((x) => x.ownedServices[0])).toEqual(['s1']);
    w.release();
    await a;
    await tick();
    // 2 and 3 arrived while 1 was written: one write of the newest
    expect(w.calls.map((x) => x.ownedServices[0])).toEqual(['s1', 's3']);
    w.release();
    await Promise.all([b, c]);
  });

  it('really writes the file (temp, fsync, rename) by default', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'floatlb-admin-writer-'));
    try {
      const path = join(dir, 'sub', 'admin.json');
      const st: AdminState = {
        version: 1,
        links: {},
        overrides: { 'tcp/1.2.3.4:80|5.6.7.8:80': { weight: 3 } },
        ownedServices: [],
      };
      await new AdminStateWriter(path).save(st);
      expect(loadAdminState(path)).toEqual(st);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rewrites the owned list only when it changed', async () => {
    const w = new GatedWrites();
    const writer = new AdminStateWriter('/x', w.write);
    const first = withOwned({ version: 1, links: {}, overrides: {}, ownedServices: [] }, ['tcp/10.0.0.1:80']);
    const saved = async (s: AdminState) => {
      const p = writer.save(s);
      await tick();
      w.release();
      await p;
    };
    await saved(first);
    const weighted = withOverride(first, 'tcp/10.0.0.1:80|172.16.0.1:8080', { weight: 3 });
    await saved(weighted);
    await saved(withOwned(weighted, ['tcp/10.0.0.1:80']));
    await saved(withOwned(weighted, ['tcp/10.0.0.1:80', 'tcp/10.0.0.2:80']));
    expect(w.owned).toEqual([true, false, false, true]);
  });

  it('an admin change beside 10,000 owned services leaves the owned file alone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'floatlb-admin-owned-'));
    try {
      const path = join(dir, 'admin-state.json');
      const ids = Array.from({ length: 10_000 }, (_, i) => `tcp/10.${i >> 8}.${i & 255}.1:80`);
      const writer = new AdminStateWriter(path);
      const owned = withOwned({ version: 1, links: {}, overrides: {}, ownedServices: [] }, ids);
      await writer.save(owned);
      const before = statSync(ownedPath(path));
      const changed = withOverride(owned, `${ids[0]}|172.16.0.1:8080`, { weight: 7 });
      await writer.save(changed);
      // the rename of a rewrite would give the owned file a new inode
      expect(statSync(ownedPath(path)).ino).toBe(before.ino);
      expect(readFileSync(path, 'utf8')).not.toContain('ownedServices');
      expect(statSync(path).size).toBeLessThan(1000);
      expect(loadAdminState(path)).toEqual(changed);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads a file written before the split, and the owned file wins once it exists', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'floatlb-admin-old-'));
    try {
      const path = join(dir, 'admin-state.json');
      const old = { version: 1, links: {}, overrides: {}, ownedServices: ['tcp/10.0.0.1:80'] };
      writeFileSync(path, JSON.stringify(old));
      expect(existsSync(ownedPath(path))).toBe(false);
      expect(loadAdminState(path).ownedServices).toEqual(['tcp/10.0.0.1:80']);
      writeFileSync(ownedPath(path), '["tcp/10.0.0.2:80"]\n');
      expect(loadAdminState(path).ownedServices).toEqual(['tcp/10.0.0.2:80']);
      writeFileSync(ownedPath(path), '{"tcp/10.0.0.2:80": 1}\n');
      expect(() => loadAdminState(path)).toThrow(AdminStateError);
      expect(() => loadAdminState(path)).toThrow(
        `admin state ${ownedPath(path)}: ownedServices is not a list of ids`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

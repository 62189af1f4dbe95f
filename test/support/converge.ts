// One scenario for every tier: a keepalived.conf whose addresses are spelled
// the ways keepalived accepts but the kernel never prints. The director must
// converge on it: after the first pass, neither another pass nor a reload of
// the unchanged file applies anything.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { parseConfigText } from '../../src/config/index.js';
import { Director, type ReconcileReport } from '../../src/director/director.js';
import type { DataPlane, ServiceState } from '../../src/kernel/dataplane.js';
import { serviceId } from '../../src/kernel/dataplane.js';
import { FakeHealth } from './fake-health.js';

export const NONCANONICAL_CONF = new URL('../fixtures/config/agreement/ok-noncanonical.conf', import.meta.url)
  .pathname;

/** What the kernel holds after the first pass, in canonical spelling: service -> "dest=weight". */
export const CANONICAL_TABLE: Record<string, string[]> = {
  'tcp/[2001:db8::50]:80': ['[2001:db8::11]:80=1', '[2001:db8::12]:80=2'],
  'tcp/[::ffff:c000:250]:443': ['[2001:db8::c000:20b]:443=1', '[2001:db8::c000:20c]:443=1'],
  'tcp/192.0.2.90:8080': ['192.0.2.21:8080=1'],
  'tcp/[2001:db8::100]:8000': ['[2001:db8::21]:8000=3'],
  'tcp/[2001:db8::101]:8000': ['[2001:db8::21]:8000=3'],
  'tcp/[2001:db8::102]:8000': ['[2001:db8::21]:8000=3'],
};

export interface Convergence {
  readonly first: ReconcileReport;
  readonly again: ReconcileReport;
  readonly reloads: readonly ReconcileReport[];
  readonly table: Record<string, string[]>;
  readonly listed: readonly ServiceState[];
}

export function tableOf(listed: readonly ServiceState[]): Record<string, string[]> {
  return Object.fromEntries(
    listed.map((s) => [
      serviceId(s.key),
      s.dests
        .map((d) => `${d.address.includes(':') ? `[${d.address}]` : d.address}:${d.port}=${d.weight}`)
        .sort(),
    ]),
  );
}

/**
 * Start a director on the file, reconcile again, reload it twice; report each
 * pass, and the table as `reader` (a fresh plane on the same kernel) lists it.
 */
export async function converge(plane: DataPlane, reader: DataPlane = plane): Promise<Convergence> {
  const text = readFileSync(NONCANONICAL_CONF, 'utf8');
  const dir = mkdtempSync(join(tmpdir(), 'floatlb-converge-'));
  const d = new Director({
    plane,
    health: new FakeHealth(),
    adminStatePath: join(dir, 'admin.json'),
    loadConfig: async () => parseConfigText(text, { file: NONCANONICAL_CONF }),
  });
  try {
    const first = await d.start();
    const again = await d.reconcile();
    const reloads = [await d.reload(), await d.reload()];
    const listed = await reader.list();
    return { first, again, reloads, table: tableOf(listed), listed };
  } finally {
    await d.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The verdict every tier gives: everything applied once without an error,
 * read back canonical, nothing on a second pass or on either reload, and
 * flag-2 under mh read back as the kernel's SCHED2 bit with a /24 mask.
 */
export function expectConverged(r: Convergence): void {
  expect(r.first.errors).toEqual([]);
  expect(r.first.ops).toHaveLength(6 + 8);
  expect(r.table).toEqual(CANONICAL_TABLE);
  expect(r.again.ops).toEqual([]);
  expect(r.reloads.map((x) => x.ops)).toEqual([[], []]);
  expect(r.reloads.flatMap((x) => x.errors)).toEqual([]);
  const mh = r.listed.find((s) => s.key.kind === 'ip' && s.key.port === 8080);
  expect({ flags: mh?.flags, persistence: mh?.persistence }).toEqual({
    flags: 0x10,
    persistence: { timeoutSec: 300, prefix: 24 },
  });
}

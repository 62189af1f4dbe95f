// Operator decisions that outlive the process: which node is linked in each
// pool, drains and weight overrides, and which services floatlb owns.
// Written atomically (temp file, fsync, rename, fsync of the directory), so
// a kill -9 at any moment leaves either the old or the new file.
import { readFileSync } from 'node:fs';
import { mkdir, open, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseIp } from '../kernel/vocabulary.js';

export type LinkState = 'linked' | 'unlinked';

export interface RealServerOverride {
  /** Weight 0: no new connections; established ones continue. */
  readonly drain?: boolean;
  /** Replaces the configured weight. */
  readonly weight?: number;
}

export interface AdminState {
  readonly version: 1;
  /** Per VIP, per node address: what linkToLB/unLinkToLB last said. */
  readonly links: Readonly<Record<string, Readonly<Record<string, LinkState>>>>;
  /** Keyed by "serviceId|destId". */
  readonly overrides: Readonly<Record<string, RealServerOverride>>;
  /** Services floatlb created: only these are ever deleted on reload. */
  readonly ownedServices: readonly string[];
}

export const EMPTY_ADMIN_STATE: AdminState = { version: 1, links: {}, overrides: {}, ownedServices: [] };

export class AdminStateError extends Error {
  constructor(path: string, detail: string) {
    super(`admin state ${path}: ${detail}`);
    this.name = 'AdminStateError';
  }
}

/** Validates parsed JSON as AdminState; throws AdminStateError naming the problem. */
export function adminStateFromJson(path: string, j: unknown): AdminState {
  const bad = (d: string) => new AdminStateError(path, d);
  if (typeof j !== 'object' || j === null) throw bad('not a JSON object');
  const o = j as Record<string, unknown>;
  if (o.version !== 1) throw bad(`unsupported version ${JSON.stringify(o.version)}`);
  const links: Record<string, Record<string, LinkState>> = {};
  for (const [vip, nodes] of Object.entries((o.links ?? {}) as Record<string, unknown>)) {
    if (typeof nodes !== 'object' || nodes === null) throw bad(`links.${vip} is not an object`);
    const pool: Record<string, LinkState> = {};
    links[canonicalKey(vip)] = pool;
    for (const [node, s] of Object.entries(nodes as Record<string, unknown>)) {
      if (s !== 'linked' && s !== 'unlinked') throw bad(`links.${vip}.${node} is ${JSON.stringify(s)}`);
      pool[canonicalKey(node)] = s;
    }
  }
  const overrides: Record<string, RealServerOverride> = {};
  for (const [k, v] of Object.entries((o.overrides ?? {}) as Record<string, unknown>)) {
    const r = v as Record<string, unknown>;
    if (typeof r !== 'object' || r === null) throw bad(`overrides.${k} is not an object`);
    if (r.drain !== undefined && typeof r.drain !== 'boolean')
      throw bad(`overrides.${k}.drain is not a boolean`);
    if (r.weight !== undefined && !isWeight(r.weight)) throw bad(`overrides.${k}.weight is not a weight`);
    overrides[canonicalIds(k)] = {
      ...(r.drain !== undefined ? { drain: r.drain as boolean } : {}),
      ...(r.weight !== undefined ? { weight: r.weight as number } : {}),
    };
  }
  const owned = o.ownedServices ?? [];
  if (!Array.isArray(owned) || owned.some((s) => typeof s !== 'string'))
    throw bad('ownedServices is not a list of ids');
  return { version: 1, links, overrides, ownedServices: (owned as string[]).map(canonicalIds) };
}

// Files written before addresses were canonical may hold the config's own
// spelling (2001:DB8:0::50); the model now holds 2001:db8::50. Rewritten on
// load, so no link, drain or ownership is lost on upgrade.
const canonicalKey = (a: string): string => parseIp(a) ?? a;
/** "tcp/[2001:DB8::1]:80|[2001:DB8::2]:80": IPv4 was always canonical, IPv6 sits in brackets. */
const canonicalIds = (id: string): string =>
  id.replace(/\[([^\]]+)\]/g, (all, a: string) => {
    const ip = parseIp(a);
    return ip ? `[${ip}]` : all;
  });

export function isWeight(w: unknown): w is number {
  return typeof w === 'number' && Number.isInteger(w) && w >= 0 && w <= 65535;
}

/**
 * Where the owned-services list lives: beside the admin file, in its own
 * file. At 10,000 services it is about 300 KB, which every weight change or
 * link used to serialize, write and fsync; now only a reload that changes
 * ownership writes it.
 */
export const ownedPath = (path: string): string => `${path.replace(/\.json$/, '')}.owned.json`;

function readJson(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new AdminStateError(path, `not valid JSON (${(e as Error).message})`);
  }
}

/**
 * Reads the state: a missing file is the empty state. The owned list comes
 * from its own file when that exists, else from the admin file itself (where
 * versions before the split kept it).
 */
export function loadAdminState(path: string): AdminState {
  const j = readJson(path);
  const s = j === undefined ? EMPTY_ADMIN_STATE : adminStateFromJson(path, j);
  const op = ownedPath(path);
  const owned = readJson(op);
  if (owned === undefined) return s;
  return { ...s, ownedServices: adminStateFromJson(op, { version: 1, ownedServices: owned }).ownedServices };
}

/** Temp file, fsync, rename: a kill -9 leaves the old file or the new one. */
async function writeAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  const fh = await open(tmp, 'w', 0o640);
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
}

/**
 * Writes the state on the thread pool without blocking the event loop. The
 * owned list is written only when `owned` says it changed; each file is
 * replaced whole, so a crash between the two leaves each file old or new,
 * and the load takes them as they are. The directory is fsynced once, after
 * both renames.
 */
export async function saveAdminStateAsync(path: string, s: AdminState, owned = true): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  if (owned) await writeAtomic(ownedPath(path), `${JSON.stringify(s.ownedServices)}\n`);
  const { ownedServices: _, ...rest } = s;
  await writeAtomic(path, `${JSON.stringify(rest, null, 2)}\n`);
  const dh = await open(dir, 'r');
  try {
    await dh.sync();
  } finally {
    await dh.close();
  }
}

/**
 * Writes admin state in the background, one write at a time, always the
 * newest state: changes that arrive while a write runs are coalesced into
 * the next one. save() resolves once a write that holds that state (or a
 * later one) is durable, and rejects if that write failed.
 */
export class AdminStateWriter {
  private latest: AdminState | null = null;
  private running: Promise<void> | null = null;
  private waiters: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  /** The owned list last made durable: the transitions keep its identity while it is unchanged. */
  private writtenOwned: readonly string[] | null = null;
  /** Writes that failed (each is logged by the caller through save()'s rejection). */
  failures = 0;

  constructor(
    private readonly path: string,
    private readonly write: (
      path: string,
      s: AdminState,
      owned: boolean,
    ) => Promise<void> = saveAdminStateAsync,
  ) {}

  save(s: AdminState): Promise<void> {
    this.latest = s;
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    this.running ??= this.drain();
    return done;
  }

  /** Resolves when nothing is waiting to be written. */
  async flush(): Promise<void> {
    while (this.running) await this.running;
  }

  private async drain(): Promise<void> {
    while (this.latest) {
      const s = this.latest;
      const waiters = this.waiters;
      this.latest = null;
      this.waiters = [];
      try {
        await this.write(this.path, s, s.ownedServices !== this.writtenOwned);
        this.writtenOwned = s.ownedServices;
        for (const w of waiters) w.resolve();
      } catch (e) {
        this.failures++;
        for (const w of waiters) w.reject(e as Error);
      }
    }
    this.running = null;
  }
}

/** Pure state transitions used by the API. */
export function withLink(
  s: AdminState,
  vip: string,
  node: string,
  state: LinkState,
  exclusive: boolean,
): AdminState {
  const pool: Record<string, LinkState> = { ...(s.links[vip] ?? {}) };
  if (state === 'linked' && exclusive) {
    for (const other of Object.keys(pool)) if (other !== node) pool[other] = 'unlinked';
  }
  pool[node] = state;
  return { ...s, links: { ...s.links, [vip]: pool } };
}

export function withOverride(s: AdminState, key: string, o: RealServerOverride | null): AdminState {
  const overrides = { ...s.overrides };
  if (o === null || (o.drain === undefined && o.weight === undefined)) delete overrides[key];
  else overrides[key] = o;
  return { ...s, overrides };
}

export function withOwned(s: AdminState, ids: Iterable<string>): AdminState {
  const owned = [...new Set(ids)].sort();
  return owned.join('\n') === s.ownedServices.join('\n') ? s : { ...s, ownedServices: owned };
}

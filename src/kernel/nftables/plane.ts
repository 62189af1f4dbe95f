// The DataPlane over nftables. Every apply() is one `nft -f` transaction:
// it commits whole or not at all, so a rejected batch leaves the kernel as it
// was. The plane owns table `inet floatlb` (weights, counters, SNAT) and the
// service tables `inet floatlb_sN` (names.ts), and touches nothing else.

import { logger } from '../../util/log.js';
import type {
  ApplyResult,
  DataPlane,
  DataPlaneOp,
  DestSpec,
  ServiceSpec,
  ServiceState,
} from '../dataplane.js';
import { Draft } from './draft.js';
import { isPrime } from './maglev.js';
import { misplaced, renderMigration } from './migrate.js';
import { foldOp, type PlaneModel, type SvcModel, selection, selKind, serviceRefusal } from './model.js';
import { isRangeMap, persMap, svcTable, TABLE } from './names.js';
import { Nft, type NftOptions } from './nft.js';
import type { NftMsg } from './nl-codec.js';
import { netlinkDiff } from './nl-render.js';
import { parseTable, staleAffinity } from './parse.js';
import {
  type RenderOptions,
  renderDiff,
  renderPostrouting,
  type StaleAffinity,
  tablesOf,
  unchanged,
} from './render.js';

export interface NftablesPlaneOptions extends NftOptions {
  /** Masquerade forwarded connections (else the real servers route replies back through the director). */
  readonly masquerade?: boolean;
  /** Maglev table size for `mh`, a prime; default 4093 (under 1% imbalance up to 40 servers). */
  readonly mhTableSize?: number;
  /**
   * Upgrade a table from an older selection-map layout when it is first read
   * (default true; false for read-only listings). See migrate.ts.
   */
  readonly migrate?: boolean;
}

const log = logger('nftables');

/**
 * Above this many services with an interval map of their own, scripts run in
 * the nft binary, never in this process. Before a script that touches any
 * set element, nft reads the elements of every single-field interval map of
 * the tables (for its own overlap check): about 50 µs each, so 0.5 s beside
 * 10,000 such services, which in process would block the event loop (VRRP
 * adverts, the API) for as long. Netlink batches, which carry the common
 * changes, read nothing.
 */
export const RANGE_MAPS_IN_PROCESS = 500;

export class NftablesDataPlane implements DataPlane {
  readonly kind = 'nftables' as const;
  readonly nft: Nft;
  private readonly render: RenderOptions;
  /** What the plane last committed; reloaded from the kernel when a commit fails. */
  private model: Map<string, SvcModel> | null = null;
  private tableExists = false;
  /** The service tables in the kernel. */
  private tables: ReadonlySet<string> = new Set();
  private masqueradeInKernel = false;
  private queue: Promise<void> = Promise.resolve();
  private readonly migrate: boolean;
  /** Services moved to their selection-map shard by an upgrade (see migrate.ts). */
  migrated = 0;
  /** Services whose slots are in an interval map of their own, in the kernel. */
  private rangeMaps = 0;

  constructor(opts: NftablesPlaneOptions = {}) {
    this.nft = new Nft(opts);
    const mhSize = opts.mhTableSize ?? 4093;
    if (!isPrime(mhSize)) throw new Error(`mhTableSize ${mhSize} must be prime`);
    this.render = { masquerade: opts.masquerade ?? false, mhSize };
    this.migrate = opts.migrate ?? true;
  }

  static async open(opts: NftablesPlaneOptions = {}): Promise<NftablesDataPlane> {
    return new NftablesDataPlane(opts);
  }

  private async read() {
    const listing = () => this.nft.json(['list', 'ruleset', 'inet']);
    let parsed = parseTable(await listing());
    const found = { used: parsed.selMaps, tables: parsed.tables, legacyDispatch: parsed.legacyDispatch };
    const upgrade = this.migrate && parsed.exists ? renderMigration(parsed.model, found, this.render) : '';
    if (upgrade) {
      const moving = misplaced(parsed.model, parsed.selMaps, this.render).length;
      await this.nft.run(upgrade);
      this.migrated += moving;
      log.warn({ services: moving }, 'nftables table upgraded: services moved to their service tables');
      parsed = parseTable(await listing());
    }
    this.model = new Map(parsed.model);
    this.rangeMaps = [...parsed.selMaps.values()].filter((m) => isRangeMap(m.split(' ')[1] ?? '')).length;
    this.tableExists = parsed.exists;
    this.tables = parsed.tables;
    this.masqueradeInKernel = parsed.masquerade;
    return parsed;
  }

  /** A service this plane cannot program is refused alone (see serviceRefusal). */
  refusal(spec: ServiceSpec, dests: readonly DestSpec[]): string | null {
    return serviceRefusal(spec, dests);
  }

  async list(): Promise<ServiceState[]> {
    return (await this.read()).states;
  }

  /** Applies run one at a time: each diff is against the last committed model. */
  apply(ops: readonly DataPlaneOp[]): Promise<ApplyResult> {
    const run = this.queue.then(() => this.applyNow(ops));
    this.queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private async applyNow(ops: readonly DataPlaneOp[]): Promise<ApplyResult> {
    if (!this.model) await this.read();
    const prev = this.model!;
    const next = new Draft(prev);
    for (const op of ops) {
      try {
        foldOp(next, op);
      } catch (e) {
        // all or nothing: one bad operation rejects the batch before the kernel sees it
        return { applied: 0, errors: [{ op, error: e as Error }], transactions: 0 };
      }
    }
    let lastError: Error | null = null;
    for (let attempt = 0; attempt < 2; attempt++) {
      const base = attempt === 0 ? this.model! : (await this.read()).model;
      // Emptying the table: dropping it whole is one cheap transaction, where
      // deleting each interval-map element costs the kernel a map rebuild.
      const fixPost =
        this.tableExists && this.masqueradeInKernel !== this.render.masquerade
          ? renderPostrouting(this.render)
          : '';
      const emptying = next.size === 0 && base.size > 0;
      const batch = this.netlinkBatch(base, next, attempt === 0 ? next.touched : null, emptying || !!fixPost);
      if (batch && this.hasTables(next, next.touched)) {
        if (batch.length === 0) {
          this.model = next.commit();
          return { applied: ops.length, errors: [], transactions: 0 };
        }
        try {
          // a batch keeps every service in its kind of map (netlinkCovers): the count stands
          await this.nft.runBatch(batch);
          this.model = next.commit();
          return { applied: ops.length, errors: [], transactions: 1 };
        } catch (e) {
          lastError = e as Error;
          continue;
        }
      }
      const script = emptying
        ? [TABLE, ...this.tables].map((t) => `delete table inet ${t}\n`).join('')
        : fixPost +
          renderDiff(base, next, this.render, {
            base: !this.tableExists,
            tables: this.tables,
            stale: await this.staleFor(base, next, next.touched),
            ...(attempt === 0 ? { only: next.touched } : {}),
          });
      if (script === '') {
        this.model = next.commit();
        return { applied: ops.length, errors: [], transactions: 0 };
      }
      try {
        // without netlink batches every change is a script: the comparison path, left as it was
        const inProcess = !this.nft.netlinkEnabled || this.rangeMaps <= RANGE_MAPS_IN_PROCESS;
        await this.nft.run(script, { inProcess });
        if (emptying) this.rangeMaps = 0;
        else this.countRangeMaps(base, next, attempt === 0 ? next.touched : null);
        this.model = next.commit();
        this.tableExists = !emptying;
        this.tables = emptying ? new Set() : new Set([...this.tables, ...tablesOf(next, next.touched)]);
        this.masqueradeInKernel = this.render.masquerade;
        return { applied: ops.length, errors: [], transactions: 1 };
      } catch (e) {
        // A stale view (someone edited the table, an affinity entry expired)
        // fails the whole transaction; read the kernel again and retry once.
        lastError = e as Error;
      }
    }
    await this.read();
    return { applied: 0, errors: ops.map((op) => ({ op, error: lastError! })), transactions: 0 };
  }

  /**
   * The change as floatlb's own netlink batch when every touched service is
   * one the netlink renderer covers and the table needs nothing else; null:
   * render a script (libnftables or nft).
   */
  private netlinkBatch(
    base: PlaneModel,
    next: PlaneModel,
    only: ReadonlySet<string> | null,
    needsScript: boolean,
  ): NftMsg[] | null {
    if (!this.nft.netlinkEnabled || !this.tableExists || needsScript) return null;
    const ids = only ?? new Set([...base.keys(), ...next.keys()]);
    return netlinkDiff(base, next, this.render, ids, unchanged);
  }

  /**
   * Follows the number of services with a map of their own across a committed
   * change; a service the change left as it was is not looked at (its
   * selection may be a Maglev table).
   */
  private countRangeMaps(base: PlaneModel, next: PlaneModel, only: ReadonlySet<string> | null): void {
    const own = (s: SvcModel | undefined) =>
      s !== undefined && selKind(s, selection(s, this.render.mhSize), this.render.hashSlots) === 'interval';
    for (const id of only ?? new Set([...base.keys(), ...next.keys()])) {
      const a = base.get(id);
      const b = next.get(id);
      if (a && b && unchanged(a, b)) continue;
      this.rangeMaps += Number(own(b)) - Number(own(a));
    }
  }

  /** Whether every touched service's table is in the kernel (the netlink path creates none). */
  private hasTables(m: PlaneModel, ids: ReadonlySet<string>): boolean {
    for (const t of tablesOf(m, ids)) if (!this.tables.has(t)) return false;
    return true;
  }

  /** Affinity entries that point at destinations leaving a persistent service. */
  private async staleFor(
    prev: PlaneModel,
    next: PlaneModel,
    touched: ReadonlySet<string>,
  ): Promise<Map<string, StaleAffinity>> {
    const out = new Map<string, StaleAffinity>();
    for (const id of touched) {
      const old = prev.get(id);
      if (!old) continue;
      const now = next.get(id);
      if (!old.spec.persistence || !now?.spec.persistence) continue;
      const gone = new Set([...old.dests.keys()].filter((d) => !now.dests.has(d)));
      if (gone.size === 0) continue;
      const doc = await this.nft.json(['list', 'map', 'inet', svcTable(old.spec.key), persMap(old.spec.key)]);
      out.set(id, staleAffinity(doc, gone));
    }
    return out;
  }

  /** Removes the plane's tables (tests, `floatlb nft flush`). */
  async destroy(): Promise<void> {
    const parsed = parseTable(await this.nft.json(['list', 'ruleset', 'inet']));
    const all = [...(parsed.exists ? [TABLE] : []), ...parsed.tables];
    if (all.length > 0) await this.nft.run(all.map((t) => `delete table inet ${t}\n`).join(''));
    this.model = new Map();
    this.tableExists = false;
    this.tables = new Set();
  }

  close(): void {
    this.nft.close();
  }
}

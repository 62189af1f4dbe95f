// Upgrading a table written with another layout: the single-table layout
// (every service chain and selection map in `inet floatlb`, dispatched from
// its own NAT chains), the one before the selection-map shards (`sel_tcp4`),
// or one written with another shard or service-table count. One transaction
// takes each misplaced service out of where it is and renders it where the
// layout puts it, then drops what only those services used: the kernel
// commits it whole, so no packet meets a VIP without its rule, and conntrack
// keeps every established connection's translation. Weights, thresholds and
// per-server connection counters stay in the shared table, untouched; the
// affinity entries of a moved persistent service start empty. Pure.
import { type PlaneModel, type SvcModel, selection, selKind } from './model.js';
import { destChain, dispatchMap, persMap, selMapOf, serviceChain, svcTable, TABLE } from './names.js';
import { type RenderOptions, renderServiceDiff, renderSvcTable } from './render.js';

const expected = (s: SvcModel, o: RenderOptions): string =>
  `${svcTable(s.spec.key)} ${selMapOf(s.spec.key, selKind(s, selection(s, o.mhSize), o.hashSlots))}`;

/** Services whose rule is in another table, or reads another selection map, than the layout names. */
export function misplaced(model: PlaneModel, used: ReadonlyMap<string, string>, o: RenderOptions): string[] {
  return [...model].filter(([id, s]) => used.has(id) && used.get(id) !== expected(s, o)).map(([id]) => id);
}

export interface Found {
  /** "table map" of each service's rule (parse.ts). */
  readonly used: ReadonlyMap<string, string>;
  /** Service tables present. */
  readonly tables: ReadonlySet<string>;
  /** The shared table still has the single-table layout's dispatch chains. */
  readonly legacyDispatch: boolean;
}

/** The upgrade as one script; '' when every service is where the layout puts it. */
export function renderMigration(model: PlaneModel, found: Found, o: RenderOptions): string {
  const moving = new Set(misplaced(model, found.used, o));
  if (moving.size === 0 && !found.legacyDispatch) return '';
  const flushes: string[] = [];
  // maps go before chains: a verdict map's elements hold their chains
  const mapDrops: string[] = [];
  const drops: string[] = [];
  const adds: string[] = [];
  const dropMaps = new Set<string>();
  for (const id of moving) dropMaps.add(found.used.get(id)!);
  // a map that a correctly placed service still reads stays; only the moved services' slots leave it
  for (const [id, m] of found.used) if (!moving.has(id)) dropMaps.delete(m);
  const created = new Set<string>();
  for (const id of moving) {
    const s = model.get(id)!;
    const k = s.spec.key;
    const [oldTable, oldMap] = found.used.get(id)!.split(' ') as [string, string];
    const ot = `inet ${oldTable}`;
    if (!dropMaps.has(found.used.get(id)!)) {
      // its slots, as this renderer writes them, deleted from the map that stays
      for (const l of renderServiceDiff(s, null, o).del) {
        const m = /^delete element \S+ \S+ [vh]?sel_\S+ (\{.*\})$/.exec(l);
        if (m) flushes.push(`delete element ${ot} ${oldMap} ${m[1]}`);
      }
    }
    flushes.push(
      `delete element ${ot} ${dispatchMap(k.family)} { ${k.address} . ${k.protocol} . ${k.port} }`,
    );
    flushes.push(`flush chain ${ot} ${serviceChain(k)}`);
    drops.push(`delete chain ${ot} ${serviceChain(k)}`);
    if (s.spec.persistence) {
      for (const d of s.dests.values()) {
        flushes.push(`flush chain ${ot} ${destChain(k, d)}`);
        drops.push(`delete chain ${ot} ${destChain(k, d)}`);
      }
      mapDrops.push(`delete map ${ot} ${persMap(k)}`);
    }
    const t = svcTable(k);
    if (!found.tables.has(t)) created.add(t);
    // the shared table's weights and counted destinations stay as they are
    const shared = new RegExp(`^add element inet ${TABLE} `);
    adds.push(...renderServiceDiff(null, s, o).add.filter((l) => !shared.test(l)));
  }
  for (const m of [...dropMaps].sort()) {
    const [t, name] = m.split(' ');
    mapDrops.push(`delete map inet ${t} ${name}`);
  }
  if (found.legacyDispatch) {
    const T = `inet ${TABLE}`;
    flushes.push(`flush chain ${T} prerouting`, `flush chain ${T} output`);
    drops.push(`delete chain ${T} prerouting`, `delete chain ${T} output`);
    drops.push(`delete map ${T} ${dispatchMap('inet')}`, `delete map ${T} ${dispatchMap('inet6')}`);
  }
  // a service table left with no service (a smaller count than before) goes
  const kept = new Set(
    [...model.keys()].map((id) => (moving.has(id) ? '' : found.used.get(id)?.split(' ')[0])),
  );
  for (const id of moving) kept.add(svcTable(model.get(id)!.spec.key));
  for (const t of [...found.tables].sort()) if (!kept.has(t)) drops.push(`delete table inet ${t}`);
  const head = [...created].sort().map(renderSvcTable).join('');
  return head + [...flushes, ...mapDrops, ...drops, ...adds].map((l) => `${l}\n`).join('');
}

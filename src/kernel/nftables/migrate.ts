// Upgrading a table whose services read their selection slots from another
// map than the current layout names: a table written before the shards (one
// `sel_tcp4` per protocol and family), or one written with another shard
// count. One transaction re-creates each such service's rule and slots in
// its shard and drops what only those services used: the kernel commits it
// whole, so no packet ever meets a service without its rule, and conntrack
// keeps every established connection's translation. Pure.
import type { PlaneModel, SvcModel } from './model.js';
import { selMap, serviceChain, TABLE, vselMap } from './names.js';
import { type RenderOptions, renderServiceDiff } from './render.js';

const T = `inet ${TABLE}`;
const expected = (s: SvcModel): string => (s.spec.persistence ? vselMap(s.spec.key) : selMap(s.spec.key));

/** Services whose rule reads another selection map than the current layout names. */
export function misplaced(model: PlaneModel, used: ReadonlyMap<string, string>): string[] {
  return [...model].filter(([id, s]) => used.has(id) && used.get(id) !== expected(s)).map(([id]) => id);
}

/** The upgrade as one script; '' when every service is where the layout puts it. */
export function renderMigration(
  model: PlaneModel,
  used: ReadonlyMap<string, string>,
  o: RenderOptions,
): string {
  const moving = new Set(misplaced(model, used));
  if (moving.size === 0) return '';
  const lines: string[] = [];
  const dropMaps = new Set<string>();
  for (const id of moving) dropMaps.add(used.get(id)!);
  // a map that a correctly placed service still reads stays; only the moved services' slots leave it
  for (const [id, m] of used) if (!moving.has(id)) dropMaps.delete(m);
  for (const id of moving) {
    const s = model.get(id)!;
    const old = used.get(id)!;
    if (!dropMaps.has(old)) {
      // its slots, as this renderer writes them, deleted from the map that stays
      const now = `delete element ${T} ${expected(s)} `;
      for (const l of renderServiceDiff(s, s, o).del)
        if (l.startsWith(now)) lines.push(`delete element ${T} ${old} ${l.slice(now.length)}`);
    }
    // the chain's rule is replaced inside the same transaction: never a moment without it
    lines.push(`flush chain ${T} ${serviceChain(s.spec.key)}`, ...renderServiceDiff(null, s, o).add);
  }
  for (const m of [...dropMaps].sort()) lines.push(`delete map ${T} ${m}`);
  return lines.map((l) => `${l}\n`).join('');
}

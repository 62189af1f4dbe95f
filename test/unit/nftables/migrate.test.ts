import { describe, expect, it } from 'vitest';
import type { DataPlaneOp } from '../../../src/kernel/dataplane.js';
import { misplaced, renderMigration } from '../../../src/kernel/nftables/migrate.js';
import { foldOp, type SvcModel } from '../../../src/kernel/nftables/model.js';
import { selMap, serviceChain } from '../../../src/kernel/nftables/names.js';
import { canonicalIp as asIp } from '../../../src/kernel/vocabulary.js';

const O = { masquerade: false, mhSize: 13 };
const key = (n: number) =>
  ({ kind: 'ip', family: 'inet', protocol: 'tcp', address: asIp(`10.0.0.${n}`), port: 80 }) as const;
function model(n: number): Map<string, SvcModel> {
  const m = new Map<string, SvcModel>();
  for (let i = 1; i <= n; i++) {
    const ops: DataPlaneOp[] = [
      { op: 'add-service', service: { key: key(i), scheduler: 'wrr', flags: 0, persistence: null } },
      {
        op: 'add-dest',
        key: key(i),
        dest: {
          address: asIp(`172.16.0.${i}`),
          port: 8080,
          family: 'inet',
          forwarding: 'nat',
          weight: 2,
          upperThreshold: 0,
          lowerThreshold: 0,
        },
      },
    ];
    for (const op of ops) foldOp(m, op);
  }
  return m;
}
const ids = (m: Map<string, SvcModel>) => [...m.keys()];

describe('selection-map layout upgrade', () => {
  it('renders nothing when every service reads its shard', () => {
    const m = model(3);
    const used = new Map(ids(m).map((id) => [id, selMap(m.get(id)!.spec.key)]));
    expect(misplaced(m, used)).toEqual([]);
    expect(renderMigration(m, used, O)).toBe('');
  });

  it('moves every service of a pre-shard map, replacing each rule in the same script, then drops the map', () => {
    const m = model(3);
    const used = new Map(ids(m).map((id) => [id, 'sel_tcp4']));
    const script = renderMigration(m, used, O);
    for (const s of m.values()) {
      const chain = serviceChain(s.spec.key);
      const flush = script.indexOf(`flush chain inet floatlb ${chain}\n`);
      const rule = script.indexOf(`add rule inet floatlb ${chain} dnat`);
      expect(flush).toBeGreaterThanOrEqual(0);
      expect(rule).toBeGreaterThan(flush);
      expect(script).toContain(`add element inet floatlb ${selMap(s.spec.key)} { 10.0.0.`);
    }
    expect(script.trimEnd().split('\n').at(-1)).toBe('delete map inet floatlb sel_tcp4');
  });

  it('a map that a correctly placed service still reads stays; only the moved slots leave it', () => {
    const m = model(2);
    const [a, b] = ids(m);
    const kept = selMap(m.get(b)!.spec.key);
    const used = new Map([
      [a!, kept],
      [b!, kept],
    ]);
    // a reads b's shard (as after a change of the shard count); b is where it belongs
    if (selMap(m.get(a)!.spec.key) === kept) return; // same shard by chance: nothing to move
    const script = renderMigration(m, used, O);
    expect(script).not.toContain('delete map');
    expect(script).toContain(`delete element inet floatlb ${kept} { 10.0.0.1 . 80 . 0-0 }`);
    expect(script).not.toContain(serviceChain(m.get(b)!.spec.key));
  });
});

import { describe, expect, it } from 'vitest';
import type { DataPlaneOp } from '../../../src/kernel/dataplane.js';
import { misplaced, renderMigration } from '../../../src/kernel/nftables/migrate.js';
import { foldOp, type SvcModel } from '../../../src/kernel/nftables/model.js';
import {
  hselMap,
  type IpServiceKey,
  rangeMap,
  selShard,
  serviceChain,
  svcTable,
} from '../../../src/kernel/nftables/names.js';
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
/** The interval shard a service's ranges were in before each had a map of its own. */
const oldShard = (k: IpServiceKey) => `sel_${k.protocol}4_${selShard(k)}`;

// one server of weight 2: modulus 1, so the layout puts its slot in its table's hash map
const at = (s: SvcModel) => `${svcTable(s.spec.key)} ${hselMap(s.spec.key)}`;
const found = (used: Map<string, string>, legacyDispatch = false, tables: string[] = []) => ({
  used,
  tables: new Set(tables),
  legacyDispatch,
});

describe('service-table layout upgrade', () => {
  it('renders nothing when every service is in its table and reads its shard', () => {
    const m = model(3);
    const used = new Map(ids(m).map((id) => [id, at(m.get(id)!)]));
    expect(misplaced(m, used, O)).toEqual([]);
    expect(
      renderMigration(
        m,
        found(
          used,
          false,
          [...used.values()].map((u) => u.split(' ')[0]!),
        ),
        O,
      ),
    ).toBe('');
  });

  it('moves every service of the single-table layout, replacing each rule in the same script, then drops the old dispatch', () => {
    const m = model(3);
    const used = new Map(ids(m).map((id) => [id, 'floatlb sel_tcp4']));
    const script = renderMigration(m, found(used, true), O);
    for (const s of m.values()) {
      const chain = serviceChain(s.spec.key);
      const t = svcTable(s.spec.key);
      const flush = script.indexOf(`flush chain inet floatlb ${chain}\n`);
      const rule = script.indexOf(`add rule inet ${t} ${chain} dnat`);
      expect(flush).toBeGreaterThanOrEqual(0);
      expect(rule).toBeGreaterThan(flush);
      expect(script).toContain(`table inet ${t} {`);
      expect(script).toContain(`add element inet ${t} ${hselMap(s.spec.key)} { 10.0.0.`);
      expect(script).toContain(
        `add element inet ${t} svc4 { ${s.spec.key.address} . tcp . 80 : goto ${chain} }`,
      );
    }
    for (const l of [
      'delete map inet floatlb sel_tcp4',
      'delete chain inet floatlb prerouting',
      'delete chain inet floatlb output',
      'delete map inet floatlb svc4',
      'delete map inet floatlb svc6',
    ])
      expect(script.split('\n')).toContain(l);
    // weights, thresholds and counters stay where they are
    expect(script).not.toMatch(/^(add|delete) element inet floatlb (weight|dest)/m);
  });

  it('a map that a correctly placed service still reads stays; only the moved slots leave it', () => {
    const m = model(20);
    const all = [...m.values()];
    const b = all[0]!;
    // a service in another table than b's
    const a = all.find((s) => svcTable(s.spec.key) !== svcTable(b.spec.key))!;
    const kept = at(b);
    const ida = `tcp/${a.spec.key.address}:80`;
    const used = new Map([...m.keys()].map((id) => [id, at(m.get(id)!)]));
    // a reads b's map (as after a change of the table count); b is where it belongs
    used.set(ida, kept);
    expect(misplaced(m, used, O)).toEqual([ida]);
    const script = renderMigration(
      m,
      found(used, false, [...new Set([...used.values()].map((u) => u.split(' ')[0]!))]),
      O,
    );
    expect(script).not.toContain('delete map');
    expect(script).toContain(`delete element inet ${kept} { ${a.spec.key.address} . 80 . 0 }`);
    expect(script).toContain(`add element inet ${at(a)} { ${a.spec.key.address} . 80 . 0 : `);
    expect(script).not.toContain(serviceChain(b.spec.key));
  });

  it('a small modulus read from the interval shard moves to its own table hash map in place', () => {
    const m = model(1);
    const [id] = ids(m);
    const s = m.get(id)!;
    const t = svcTable(s.spec.key);
    const used = new Map([[id!, `${t} ${oldShard(s.spec.key)}`]]);
    const script = renderMigration(m, found(used, false, [t]), O);
    const lines = script.trimEnd().split('\n');
    const chain = serviceChain(s.spec.key);
    // the shard only it read goes; its chain is replaced in the same table and reads the hash map
    expect(lines).toContain(`delete map inet ${t} ${oldShard(s.spec.key)}`);
    expect(lines.indexOf(`delete chain inet ${t} ${chain}`)).toBeLessThan(
      lines.indexOf(`add chain inet ${t} ${chain}`),
    );
    expect(script).toMatch(new RegExp(`add rule inet ${t} ${chain} dnat .* map @${hselMap(s.spec.key)} `));
    expect(lines).toContain(
      `add element inet ${t} ${hselMap(s.spec.key)} { 10.0.0.1 . 80 . 0 : 172.16.0.1 . 8080 }`,
    );
    expect(misplaced(m, new Map([[id!, at(s)]]), O)).toEqual([]);
  });

  it('a large modulus read from its old interval shard moves to a map of its own', () => {
    const m = model(1);
    const [id] = ids(m);
    const s = m.get(id)!;
    const k = s.spec.key;
    // weights 10 and 9: modulus 19, above the hash map's
    foldOp(m, {
      op: 'update-dest',
      key: k,
      dest: { ...s.dests.values().next().value!, weight: 10 },
    });
    foldOp(m, {
      op: 'add-dest',
      key: k,
      dest: { ...s.dests.values().next().value!, address: asIp('172.16.1.1'), weight: 9 },
    });
    const t = svcTable(k);
    const used = new Map([[id!, `${t} ${oldShard(k)}`]]);
    expect(misplaced(m, used, O)).toEqual([id]);
    const lines = renderMigration(m, found(used, false, [t]), O)
      .trimEnd()
      .split('\n');
    const chain = serviceChain(k);
    expect(lines).toContain(`delete map inet ${t} ${oldShard(k)}`);
    expect(lines).toContain(
      `add map inet ${t} ${rangeMap(k)} { typeof numgen inc mod 2 : ip daddr . tcp dport; flags interval; }`,
    );
    expect(lines).toContain(
      `add rule inet ${t} ${chain} meta l4proto tcp dnat ip addr . port to numgen inc mod 19 map @${rangeMap(k)} ` +
        `comment "floatlb:s inet tcp 10.0.0.1 80 wrr - - -"`,
    );
    expect(lines).toContain(
      `add element inet ${t} ${rangeMap(k)} { 0-9 : 172.16.0.1 . 8080, 10-18 : 172.16.1.1 . 8080 }`,
    );
    expect(misplaced(m, new Map([[id!, `${t} ${rangeMap(k)}`]]), O)).toEqual([]);
  });

  it('a service table left with no service is dropped', () => {
    const m = model(1);
    const [a] = ids(m);
    const used = new Map([[a!, `floatlb_s99 ${oldShard(m.get(a)!.spec.key)}`]]);
    const script = renderMigration(m, found(used, false, ['floatlb_s99']), O);
    expect(script.trimEnd().split('\n')).toContain('delete table inet floatlb_s99');
    expect(script).toContain(`add rule inet ${svcTable(m.get(a)!.spec.key)} `);
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DataPlaneOp, DestSpec, ServiceSpec } from '../../../src/kernel/dataplane.js';
import { foldOp, type PlaneModel, type SvcModel, selection } from '../../../src/kernel/nftables/model.js';
import { maskOf, renderBase, renderDiff, tablesOf } from '../../../src/kernel/nftables/render.js';
import { canonicalIp as asIp, SCHED_FLAG_BIT } from '../../../src/kernel/vocabulary.js';

const O = { masquerade: false, mhSize: 13 };
const key = { kind: 'ip', family: 'inet', protocol: 'tcp', address: asIp('10.0.0.1'), port: 80 } as const;
const svc = (over: Partial<ServiceSpec> = {}): ServiceSpec => ({
  key,
  scheduler: 'wrr',
  flags: 0,
  persistence: null,
  ...over,
});
const dest = (n: number, weight: number): DestSpec => ({
  address: asIp(`10.1.0.${n}`),
  port: 8080,
  family: 'inet',
  forwarding: 'nat',
  weight,
  upperThreshold: 0,
  lowerThreshold: 0,
});

function model(ops: DataPlaneOp[], from: PlaneModel = new Map()): Map<string, SvcModel> {
  const m = new Map(from);
  for (const op of ops) foldOp(m, op);
  return m;
}

describe('render', () => {
  it('renders a weighted service (golden)', () => {
    const m = model([
      { op: 'add-service', service: svc() },
      { op: 'add-dest', key, dest: dest(1, 3) },
      { op: 'add-dest', key, dest: dest(2, 1) },
      { op: 'add-dest', key, dest: dest(3, 0) },
    ]);
    expect(renderDiff(new Map(), m, O)).toMatchInlineSnapshot(`
      "table inet floatlb_s14 {
        map svc4 { type ipv4_addr . inet_proto . inet_service : verdict; }
        map svc6 { type ipv6_addr . inet_proto . inet_service : verdict; }
        chain prerouting {
          type nat hook prerouting priority dstnat; policy accept;
          ip daddr . meta l4proto . th dport vmap @svc4
          ip6 daddr . meta l4proto . th dport vmap @svc6
        }
        chain output {
          type nat hook output priority -100; policy accept;
          ip daddr . meta l4proto . th dport vmap @svc4
          ip6 daddr . meta l4proto . th dport vmap @svc6
        }
      }
      add map inet floatlb_s14 hsel_tcp4 { typeof ip daddr . tcp dport . numgen inc mod 2 : ip daddr . tcp dport; }
      add chain inet floatlb_s14 s4_tcp_10_0_0_1_80
      add rule inet floatlb_s14 s4_tcp_10_0_0_1_80 dnat ip addr . port to ip daddr . tcp dport . numgen inc mod 4 map @hsel_tcp4 comment "floatlb:s inet tcp 10.0.0.1 80 wrr - - -"
      add element inet floatlb_s14 hsel_tcp4 { 10.0.0.1 . 80 . 0 : 10.1.0.1 . 8080, 10.0.0.1 . 80 . 1 : 10.1.0.1 . 8080, 10.0.0.1 . 80 . 2 : 10.1.0.1 . 8080, 10.0.0.1 . 80 . 3 : 10.1.0.2 . 8080 }
      add element inet floatlb weight4 { 10.0.0.1 . tcp . 80 . 10.1.0.1 . 8080 comment "floatlb:d nat 0 0" : 3, 10.0.0.1 . tcp . 80 . 10.1.0.2 . 8080 comment "floatlb:d nat 0 0" : 1, 10.0.0.1 . tcp . 80 . 10.1.0.3 . 8080 comment "floatlb:d nat 0 0" : 0 }
      add element inet floatlb dest4 { 10.0.0.1 . tcp . 80 . 10.1.0.1 . 8080, 10.0.0.1 . tcp . 80 . 10.1.0.2 . 8080, 10.0.0.1 . tcp . 80 . 10.1.0.3 . 8080 }
      add element inet floatlb_s14 svc4 { 10.0.0.1 . tcp . 80 : goto s4_tcp_10_0_0_1_80 }
      "
    `);
  });

  it('a weight change touches only that service and its changed destination (golden)', () => {
    const a = model([
      { op: 'add-service', service: svc() },
      { op: 'add-dest', key, dest: dest(1, 3) },
      { op: 'add-dest', key, dest: dest(2, 1) },
    ]);
    const b = model([{ op: 'update-dest', key, dest: dest(2, 0) }], a);
    expect(renderDiff(a, b, O, { base: false, tables: tablesOf(a) })).toMatchInlineSnapshot(`
      "delete element inet floatlb_s14 hsel_tcp4 { 10.0.0.1 . 80 . 1, 10.0.0.1 . 80 . 2, 10.0.0.1 . 80 . 3 }
      delete element inet floatlb weight4 { 10.0.0.1 . tcp . 80 . 10.1.0.2 . 8080 }
      flush chain inet floatlb_s14 s4_tcp_10_0_0_1_80
      add chain inet floatlb_s14 s4_tcp_10_0_0_1_80
      add rule inet floatlb_s14 s4_tcp_10_0_0_1_80 dnat ip addr . port to ip daddr . tcp dport . numgen inc mod 1 map @hsel_tcp4 comment "floatlb:s inet tcp 10.0.0.1 80 wrr - - -"
      add element inet floatlb weight4 { 10.0.0.1 . tcp . 80 . 10.1.0.2 . 8080 comment "floatlb:d nat 0 0" : 0 }
      "
    `);
  });

  it('renders persistence with per-destination chains (golden)', () => {
    const m = model([
      {
        op: 'add-service',
        service: svc({
          scheduler: 'sh',
          flags: SCHED_FLAG_BIT['sh-port'],
          persistence: { timeoutSec: 300, prefix: 24 },
        }),
      },
      { op: 'add-dest', key, dest: dest(1, 1) },
    ]);
    expect(renderDiff(new Map(), m, O)).toMatchInlineSnapshot(`
      "table inet floatlb_s14 {
        map svc4 { type ipv4_addr . inet_proto . inet_service : verdict; }
        map svc6 { type ipv6_addr . inet_proto . inet_service : verdict; }
        chain prerouting {
          type nat hook prerouting priority dstnat; policy accept;
          ip daddr . meta l4proto . th dport vmap @svc4
          ip6 daddr . meta l4proto . th dport vmap @svc6
        }
        chain output {
          type nat hook output priority -100; policy accept;
          ip daddr . meta l4proto . th dport vmap @svc4
          ip6 daddr . meta l4proto . th dport vmap @svc6
        }
      }
      add map inet floatlb_s14 vsel_tcp4_3998 { typeof ip daddr . tcp dport . numgen inc mod 2 : verdict; flags interval; }
      add chain inet floatlb_s14 s4_tcp_10_0_0_1_80
      add map inet floatlb_s14 s4_tcp_10_0_0_1_80_p { typeof ip saddr : ip daddr . tcp dport; flags dynamic,timeout; size 1048576; }
      add chain inet floatlb_s14 s4_tcp_10_0_0_1_80__10_1_0_1_8080
      flush chain inet floatlb_s14 s4_tcp_10_0_0_1_80__10_1_0_1_8080
      add rule inet floatlb_s14 s4_tcp_10_0_0_1_80__10_1_0_1_8080 meta l4proto tcp update @s4_tcp_10_0_0_1_80_p { (ip saddr & 255.255.255.0) timeout 300s : 10.1.0.1 . 8080 } dnat ip to 10.1.0.1:8080
      add rule inet floatlb_s14 s4_tcp_10_0_0_1_80 meta l4proto tcp dnat ip addr . port to (ip saddr & 255.255.255.0) map @s4_tcp_10_0_0_1_80_p
      add rule inet floatlb_s14 s4_tcp_10_0_0_1_80 ip daddr . tcp dport . jhash ip saddr . tcp sport mod 1 seed 0x464c42 vmap @vsel_tcp4_3998 comment "floatlb:s inet tcp 10.0.0.1 80 sh 0x10 300 24"
      add element inet floatlb_s14 vsel_tcp4_3998 { 10.0.0.1 . 80 . 0-0 : goto s4_tcp_10_0_0_1_80__10_1_0_1_8080 }
      add element inet floatlb weight4 { 10.0.0.1 . tcp . 80 . 10.1.0.1 . 8080 comment "floatlb:d nat 0 0" : 1 }
      add element inet floatlb dest4 { 10.0.0.1 . tcp . 80 . 10.1.0.1 . 8080 }
      add element inet floatlb_s14 svc4 { 10.0.0.1 . tcp . 80 : goto s4_tcp_10_0_0_1_80 }
      "
    `);
  });

  it('renders the base table once (golden)', () => {
    expect(renderBase({ ...O, masquerade: true })).toMatchInlineSnapshot(`
      "table inet floatlb {
        map weight4 { type ipv4_addr . inet_proto . inet_service . ipv4_addr . inet_service : mark; }
        set dest4 { type ipv4_addr . inet_proto . inet_service . ipv4_addr . inet_service; counter; }
        map weight6 { type ipv6_addr . inet_proto . inet_service . ipv6_addr . inet_service : mark; }
        set dest6 { type ipv6_addr . inet_proto . inet_service . ipv6_addr . inet_service; counter; }
        chain postrouting {
          type nat hook postrouting priority srcnat; policy accept;
          meta l4proto tcp ct status dnat ct original ip daddr . meta l4proto . ct original proto-dst . ip daddr . th dport @dest4 masquerade
          meta l4proto udp ct status dnat ct original ip daddr . meta l4proto . ct original proto-dst . ip daddr . th dport @dest4 masquerade
          meta l4proto sctp ct status dnat ct original ip daddr . meta l4proto . ct original proto-dst . ip daddr . th dport @dest4 masquerade
          meta l4proto tcp ct status dnat ct original ip6 daddr . meta l4proto . ct original proto-dst . ip6 daddr . th dport @dest6 masquerade
          meta l4proto udp ct status dnat ct original ip6 daddr . meta l4proto . ct original proto-dst . ip6 daddr . th dport @dest6 masquerade
          meta l4proto sctp ct status dnat ct original ip6 daddr . meta l4proto . ct original proto-dst . ip6 daddr . th dport @dest6 masquerade
        }
      }
      "
    `);
  });

  it('expands IPv6 prefix masks', () => {
    expect(maskOf('inet6', 64)).toBe('ffff:ffff:ffff:ffff:0:0:0:0');
    expect(maskOf('inet6', 52)).toBe('ffff:ffff:ffff:f000:0:0:0:0');
    expect(maskOf('inet', 24)).toBe('255.255.255.0');
  });
});

const SCHED = ['rr', 'wrr', 'sh', 'dh', 'mh', 'fo'] as const;
const arbModel = fc
  .record({
    services: fc.uniqueArray(fc.integer({ min: 1, max: 30 }), { minLength: 1, maxLength: 4 }),
    sched: fc.constantFrom(...SCHED),
    persist: fc.boolean(),
    weights: fc.array(fc.integer({ min: 0, max: 7 }), { minLength: 0, maxLength: 5 }),
  })
  .map(({ services, sched, persist, weights }) => {
    const ops: DataPlaneOp[] = [];
    for (const s of services) {
      const k = { ...key, port: s };
      ops.push({
        op: 'add-service',
        service: {
          key: k,
          scheduler: sched,
          flags: 0,
          persistence: persist ? { timeoutSec: 60, prefix: 32 } : null,
        },
      });
      for (const [i, w] of weights.entries()) ops.push({ op: 'add-dest', key: k, dest: dest(i + 1, w) });
    }
    return model(ops);
  });

/** The elements (key -> data) after a script runs on `from`; `delete map` takes its elements with it. */
function applyElements(script: string, from: Map<string, string> = new Map()): Map<string, string> {
  const out = new Map(from);
  for (const line of script.split('\n')) {
    const dm = /^delete map inet (floatlb(?:_s\d+)? \S+)$/.exec(line);
    if (dm) for (const id of [...out.keys()]) if (id.startsWith(`${dm[1]} `)) out.delete(id);
    const m = /^(add|delete) element inet (floatlb(?:_s\d+)? \S+) \{ (.*) \}$/.exec(line);
    if (!m) continue;
    for (const e of m[3]!.split(', ')) {
      const [k, data] = e.replace(/ comment ".*"/, '').split(' : ');
      const id = `${m[2]} ${k}`;
      if (m[1] === 'delete') {
        expect(out.has(id)).toBe(true);
        out.delete(id);
      } else out.set(id, data ?? '');
    }
  }
  return out;
}

describe('render properties', () => {
  it('deleting a model removes exactly the elements adding it created', () => {
    fc.assert(
      fc.property(arbModel, (m) => {
        const up = applyElements(renderDiff(new Map(), m, O));
        expect(up.size).toBeGreaterThan(0);
        // every element it deletes exists (applyElements checks), and none is left
        expect(applyElements(renderDiff(m, new Map(), O), up)).toEqual(new Map());
      }),
    );
  });

  it("deleting one service leaves exactly the others' elements", () => {
    fc.assert(
      fc.property(arbModel, (m) => {
        const [first] = m.keys();
        const rest = new Map(m);
        rest.delete(first!);
        const after = applyElements(renderDiff(m, rest, O), applyElements(renderDiff(new Map(), m, O)));
        expect(after).toEqual(applyElements(renderDiff(new Map(), rest, O)));
      }),
    );
  });

  it('selection slots cover 0..modulus-1 once, weight 0 gets none', () => {
    fc.assert(
      fc.property(arbModel, (m) => {
        for (const s of m.values()) {
          const sel = selection(s, 13);
          let at = 0;
          for (const r of sel.ranges) {
            expect(r.lo).toBe(at);
            expect(r.dest.weight).toBeGreaterThan(0);
            at = r.hi + 1;
          }
          expect(at).toBe(sel.modulus);
        }
      }),
    );
  });

  it('a change leaves exactly the elements rendering the new model from scratch gives', () => {
    fc.assert(
      fc.property(
        arbModel,
        fc.array(fc.integer({ min: 0, max: 7 }), { minLength: 1, maxLength: 5 }),
        (a, ws) => {
          const b = new Map(a);
          for (const [id, s] of a) {
            const dests = new Map(
              [...s.dests].map(([did, d], i) => [did, { ...d, weight: ws[i % ws.length]! }]),
            );
            b.set(id, { spec: s.spec, dests });
          }
          const start = applyElements(renderDiff(new Map(), a, O));
          const moved = applyElements(renderDiff(a, b, O, { base: false, tables: tablesOf(a) }), start);
          expect(moved).toEqual(applyElements(renderDiff(new Map(), b, O)));
        },
      ),
    );
  });

  it('a weight change keeping the modulus keeps the rule, and only changed slot ranges move (golden)', () => {
    const a = model([
      { op: 'add-service', service: svc() },
      { op: 'add-dest', key, dest: dest(1, 1) },
      { op: 'add-dest', key, dest: dest(2, 2) },
      { op: 'add-dest', key, dest: dest(3, 3) },
    ]);
    const b = model(
      [
        { op: 'update-dest', key, dest: dest(2, 1) },
        { op: 'update-dest', key, dest: dest(1, 2) },
      ],
      a,
    );
    expect(renderDiff(a, b, O, { base: false, tables: tablesOf(a) })).toMatchInlineSnapshot(`
      "delete element inet floatlb_s14 hsel_tcp4 { 10.0.0.1 . 80 . 1 }
      delete element inet floatlb weight4 { 10.0.0.1 . tcp . 80 . 10.1.0.1 . 8080, 10.0.0.1 . tcp . 80 . 10.1.0.2 . 8080 }
      add element inet floatlb_s14 hsel_tcp4 { 10.0.0.1 . 80 . 1 : 10.1.0.1 . 8080 }
      add element inet floatlb weight4 { 10.0.0.1 . tcp . 80 . 10.1.0.1 . 8080 comment "floatlb:d nat 0 0" : 2, 10.0.0.1 . tcp . 80 . 10.1.0.2 . 8080 comment "floatlb:d nat 0 0" : 1 }
      "
    `);
  });

  it('an unchanged model renders nothing', () => {
    fc.assert(
      fc.property(arbModel, (m) => {
        expect(renderDiff(m, new Map(m), O)).toBe('');
      }),
    );
  });
});

// floatlb's own nf_tables batches against what nft 1.0.6 sent for the same
// change (fixtures captured with strace by lab/nft-netlink-capture.ts). The
// one difference allowed: nft names each set also by its cache's set id
// (NFTA_SET_ELEM_LIST_SET_ID, NFTA_LOOKUP_SET_ID), which the kernel only
// consults for sets created earlier in the same batch; floatlb's batches
// create none, so they name sets by name alone.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DataPlaneOp, DestSpec } from '../../../src/kernel/dataplane.js';
import { foldOp, type SvcModel } from '../../../src/kernel/nftables/model.js';
import {
  concat,
  encodeBatch,
  NFT_MSG_DELSETELEM,
  NFT_MSG_NEWRULE,
  NFT_MSG_NEWSETELEM,
  reg,
} from '../../../src/kernel/nftables/nl-codec.js';
import { netlinkCovers, netlinkDiff, netlinkServiceDiff } from '../../../src/kernel/nftables/nl-render.js';
import { renderServiceDiff, unchanged } from '../../../src/kernel/nftables/render.js';
import { canonicalIp } from '../../../src/kernel/vocabulary.js';

interface Fixture {
  name: string;
  setup: DataPlaneOp[];
  change: DataPlaneOp[];
  batch: string;
}
const fixtures: Fixture[] = JSON.parse(
  readFileSync(new URL('./fixtures/nft-netlink-batches.json', import.meta.url), 'utf8'),
);
const O = { masquerade: false, mhSize: 4093 };

/** JSON ops back to typed ones (addresses are canonical in the fixtures). */
const typed = (ops: DataPlaneOp[]): DataPlaneOp[] => ops;

function models(f: Fixture): [SvcModel, SvcModel] {
  const m = new Map<string, SvcModel>();
  for (const op of typed(f.setup)) foldOp(m, op);
  const before = [...m.values()][0]!;
  for (const op of typed(f.change)) foldOp(m, op);
  return [before, [...m.values()][0]!];
}

interface Node {
  type: number; // with the nested/byte-order bits
  value: Buffer | Node[];
}
function tree(b: Buffer): Node[] {
  const out: Node[] = [];
  let off = 0;
  while (off + 4 <= b.length) {
    const len = b.readUInt16LE(off);
    const type = b.readUInt16LE(off + 2);
    const v = b.subarray(off + 4, off + len);
    out.push({ type, value: type & 0x8000 ? tree(v) : Buffer.from(v) });
    off += (len + 3) & ~3;
  }
  return out;
}
function flat(nodes: Node[]): Buffer {
  const parts = nodes.map((n) => {
    const v = Buffer.isBuffer(n.value) ? n.value : flat(n.value);
    const h = Buffer.alloc(4);
    h.writeUInt16LE(4 + v.length, 0);
    h.writeUInt16LE(n.type, 2);
    const pad = Buffer.alloc(((4 + v.length + 3) & ~3) - 4 - v.length);
    return Buffer.concat([h, v, pad]);
  });
  return Buffer.concat(parts);
}

/** nft's batch without its set-id attributes, header lengths recomputed. */
function withoutSetIds(batch: Buffer): Buffer {
  const out: Buffer[] = [];
  let off = 0;
  while (off < batch.length) {
    const len = batch.readUInt32LE(off);
    const msg = batch.subarray(off, off + len);
    const cmd = msg.readUInt16LE(4) & 0xff;
    let attrs = tree(msg.subarray(20));
    if ((msg.readUInt16LE(4) >> 8 === 10 && cmd === NFT_MSG_NEWSETELEM) || cmd === NFT_MSG_DELSETELEM)
      attrs = attrs.filter((a) => (a.type & 0x3fff) !== 4);
    if (msg.readUInt16LE(4) >> 8 === 10 && cmd === NFT_MSG_NEWRULE) {
      for (const e of attrs.find((a) => (a.type & 0x3fff) === 4)!.value as Node[]) {
        const [name, data] = e.value as Node[];
        if ((name!.value as Buffer).toString() === 'lookup\0')
          data!.value = (data!.value as Node[]).filter((a) => (a.type & 0x3fff) !== 4);
      }
    }
    const body = Buffer.concat([msg.subarray(16, 20), flat(attrs)]);
    const head = Buffer.from(msg.subarray(0, 16));
    head.writeUInt32LE(16 + body.length, 0);
    out.push(head, body);
    off += (len + 3) & ~3;
  }
  return Buffer.concat(out);
}

/**
 * The batch's messages as hex, sequence numbers zeroed; chunks of one
 * element command on one set sorted among themselves, since nft 1.0.6 sends
 * the last chunk of a large interval-map add second (the kernel applies the
 * whole batch as one transaction, so their order does not matter).
 */
function messages(batch: Buffer): string[] {
  const out: Array<{ run: string; hex: string }> = [];
  let off = 0;
  while (off < batch.length) {
    const len = batch.readUInt32LE(off);
    const m = Buffer.from(batch.subarray(off, off + ((len + 3) & ~3)));
    m.writeUInt32LE(0, 8);
    const set = tree(m.subarray(20)).find((a) => (a.type & 0x3fff) === 2)?.value;
    out.push({
      run: `${m.readUInt16LE(4)} ${Buffer.isBuffer(set) ? set.toString() : ''}`,
      hex: m.toString('hex'),
    });
    off += (len + 3) & ~3;
  }
  const sorted: string[] = [];
  for (let i = 0; i < out.length; ) {
    let j = i;
    while (j < out.length && out[j]!.run === out[i]!.run) j++;
    sorted.push(
      ...out
        .slice(i, j)
        .map((x) => x.hex)
        .sort(),
    );
    i = j;
  }
  return sorted;
}

describe('nf_tables netlink batches: golden against nft 1.0.6', () => {
  it('has a fixture for every scheduler the renderer covers, both families', () => {
    const names = fixtures.map((f) => f.name).join(' ');
    for (const s of ['rr', 'wrr', 'sh', 'dh', 'mh', 'fo']) expect(names).toContain(`-${s}-`);
    expect(names).toMatch(/tcp6/);
  });
  for (const f of fixtures) {
    it(`${f.name}: the same bytes as nft sent`, () => {
      const [before, after] = models(f);
      expect(netlinkCovers(before, after, O)).toBe(true);
      const mine = encodeBatch(netlinkServiceDiff(before, after, O), 0, false);
      expect(messages(mine)).toEqual(messages(withoutSetIds(Buffer.from(f.batch, 'hex'))));
    });
  }
});

const v4 = (n: number, weight: number): DestSpec => ({
  address: canonicalIp(`172.16.${n >> 8}.${n & 255}`),
  port: 8080,
  family: 'inet',
  forwarding: 'nat',
  weight,
  upperThreshold: 0,
  lowerThreshold: 0,
});
const key = {
  kind: 'ip',
  family: 'inet',
  protocol: 'tcp',
  address: canonicalIp('10.0.0.1'),
  port: 80,
} as const;
const svcModel = (sched: SvcModel['spec']['scheduler'], dests: DestSpec[]): SvcModel => ({
  spec: { key, scheduler: sched, flags: 0, persistence: null },
  dests: new Map(dests.map((d) => [`${d.address}:${d.port}`, d])),
});

const arbDests = fc
  .uniqueArray(fc.record({ n: fc.integer({ min: 1, max: 2000 }), w: fc.integer({ min: 0, max: 20 }) }), {
    selector: (x) => x.n,
    maxLength: 12,
  })
  .map((xs) => xs.map((x) => v4(x.n, x.w)));
const arbSched = fc.constantFrom('rr', 'wrr', 'sh', 'dh', 'mh', 'fo' as const);

describe('nf_tables netlink renderer: properties', () => {
  it('issues the same commands, in the same order, as the script renderer', () => {
    fc.assert(
      fc.property(arbSched, arbDests, arbDests, (sched, a, b) => {
        const old = svcModel(sched, a);
        const next = svcModel(sched, b);
        // a move between the hash and the interval map goes by script (it may declare the map)
        fc.pre(netlinkCovers(old, next, { masquerade: false, mhSize: 13 }));
        const script = renderServiceDiff(old, next, { masquerade: false, mhSize: 13 });
        const lines = [...script.del, ...script.add].map((l) =>
          l.replace(/ \{.*| (meta l4proto \S+ )?(dnat|counter) .*/, ''),
        );
        const msgs = netlinkServiceDiff(old, next, { masquerade: false, mhSize: 13 });
        expect(msgs.map((m) => m.what)).toEqual(lines);
      }),
      { numRuns: 200 },
    );
  });
  it('a batch is well-formed netlink: lengths add up, sequence numbers run on, every message asks for an ACK', () => {
    fc.assert(
      fc.property(arbSched, arbDests, arbDests, fc.integer({ min: 1, max: 1 << 30 }), (sched, a, b, seq0) => {
        const msgs = netlinkServiceDiff(svcModel(sched, a), svcModel(sched, b), {
          masquerade: false,
          mhSize: 13,
        });
        const batch = encodeBatch(msgs, seq0, true);
        let off = 0;
        let i = 0;
        while (off < batch.length) {
          const len = batch.readUInt32LE(off);
          expect(batch.readUInt32LE(off + 8)).toBe(seq0 + i);
          const inner = i > 0 && i <= msgs.length;
          expect((batch.readUInt16LE(off + 6) & 4) !== 0).toBe(inner);
          off += (len + 3) & ~3;
          i++;
        }
        expect(off).toBe(batch.length);
        expect(i).toBe(msgs.length + 2);
      }),
      { numRuns: 200 },
    );
  });
  it('nothing to send when the touched services did not change', () => {
    fc.assert(
      fc.property(arbSched, arbDests, (sched, a) => {
        const m = new Map([['s', svcModel(sched, a)]]);
        const copy = new Map([['s', svcModel(sched, a)]]);
        expect(netlinkDiff(m, copy, O, new Set(['s']), unchanged)).toEqual([]);
      }),
    );
  });
  it('refuses (null) what only the script path renders: new, deleted and persistent services, a change of selection map', () => {
    const s = svcModel('rr', [v4(1, 1)]);
    const pers: SvcModel = { ...s, spec: { ...s.spec, persistence: { timeoutSec: 300, prefix: 32 } } };
    expect(netlinkDiff(new Map(), new Map([['s', s]]), O, new Set(['s']), unchanged)).toBeNull();
    expect(netlinkDiff(new Map([['s', s]]), new Map(), O, new Set(['s']), unchanged)).toBeNull();
    expect(netlinkDiff(new Map([['s', s]]), new Map([['s', pers]]), O, new Set(['s']), unchanged)).toBeNull();
    // wrr 64:1 has a modulus of 65: its slots leave the hash map for the interval shard
    const big = svcModel('wrr', [v4(1, 64), v4(2, 1)]);
    expect(netlinkDiff(new Map([['s', s]]), new Map([['s', big]]), O, new Set(['s']), unchanged)).toBeNull();
    expect(netlinkDiff(new Map([['s', big]]), new Map([['s', s]]), O, new Set(['s']), unchanged)).toBeNull();
  });
  it('concatenation pads every component to 4 bytes; registers are numbered as nft does', () => {
    expect(
      concat([{ ip: Buffer.from([10, 0, 0, 1]) }, { port: 80 }, { proto: 6 }, { be32: 3 }]).toString('hex'),
    ).toBe('0a000001005000000600000000000003');
    expect([0, 4, 8, 16, 20, 28, 32, 40, 56].map(reg)).toEqual([1, 9, 10, 2, 13, 15, 3, 18, 22]);
  });
});

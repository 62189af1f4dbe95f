// The pure parts of the batched TCP connect prober: target parsing, sockaddr
// encoding and the deadline queue that replaces one timer per probe.
import { describe, expect, it } from 'vitest';
import { AF_INET, AF_INET6 } from '../../../src/kernel/sockaddr.js';
import {
  anyAddress,
  bucketOf,
  DeadlineQueue,
  encodeTarget,
  parseIpTarget,
} from '../../../src/kernel/tcp-connect-plan.js';

const noIf = (name: string): number => {
  throw new Error(`unexpected interface lookup ${name}`);
};

describe('parseIpTarget', () => {
  it('takes IPv4 and IPv6 literals, with an IPv6 zone', () => {
    expect(parseIpTarget('10.0.0.1')).toEqual({ family: AF_INET, ip: '10.0.0.1' });
    expect(parseIpTarget('2001:db8::1')).toEqual({ family: AF_INET6, ip: '2001:db8::1' });
    expect(parseIpTarget('fe80::1%eth0')).toEqual({ family: AF_INET6, ip: 'fe80::1', zone: 'eth0' });
    expect(parseIpTarget('::ffff:10.0.0.1')).toEqual({ family: AF_INET6, ip: '::ffff:10.0.0.1' });
  });

  it('refuses names, zones on IPv4 and empty zones', () => {
    expect(parseIpTarget('www.example.com')).toBeNull();
    expect(parseIpTarget('localhost')).toBeNull();
    expect(parseIpTarget('10.0.0.1%eth0')).toBeNull();
    expect(parseIpTarget('fe80::1%')).toBeNull();
    expect(parseIpTarget('')).toBeNull();
  });
});

describe('encodeTarget', () => {
  it('encodes sockaddr_in: family, port in network order, address', () => {
    const b = encodeTarget({ family: AF_INET, ip: '192.0.2.7' }, 8080, noIf);
    expect(b.toString('hex')).toBe(`0200${'1f90'}c0000207${'00'.repeat(8)}`);
  });

  it('encodes sockaddr_in6 with a numeric or named zone as scope id', () => {
    const b = encodeTarget({ family: AF_INET6, ip: '2001:db8::1' }, 443, noIf);
    expect(b.length).toBe(28);
    expect(b.readUInt16LE(0)).toBe(AF_INET6);
    expect(b.readUInt16BE(2)).toBe(443);
    expect(b.subarray(8, 24).toString('hex')).toBe('20010db8000000000000000000000001');
    expect(b.readUInt32LE(24)).toBe(0);
    expect(encodeTarget({ family: AF_INET6, ip: 'fe80::1', zone: '7' }, 1, noIf).readUInt32LE(24)).toBe(7);
    const named = encodeTarget({ family: AF_INET6, ip: 'fe80::1', zone: 'veth3' }, 1, (n) =>
      n === 'veth3' ? 42 : 0,
    );
    expect(named.readUInt32LE(24)).toBe(42);
  });

  it('rejects ports outside 0..65535', () => {
    expect(() => encodeTarget({ family: AF_INET, ip: '10.0.0.1' }, 65536, noIf)).toThrow(RangeError);
    expect(() => encodeTarget({ family: AF_INET, ip: '10.0.0.1' }, -1, noIf)).toThrow(RangeError);
  });

  it('names the wildcard address of each family', () => {
    expect(anyAddress(AF_INET)).toBe('0.0.0.0');
    expect(anyAddress(AF_INET6)).toBe('::');
  });
});

describe('bucketOf', () => {
  it('rounds up to the granularity and never earlier than the deadline', () => {
    expect(bucketOf(100, 5)).toBe(100);
    expect(bucketOf(100.1, 5)).toBe(105);
    expect(bucketOf(104.9, 5)).toBe(105);
    for (const d of [0.5, 3, 999.999, 12345.6]) {
      const b = bucketOf(d, 5);
      expect(b).toBeGreaterThanOrEqual(d);
      expect(b - d).toBeLessThan(5);
    }
  });
});

interface Item {
  name: string;
  deadline: number;
  settled: boolean;
}
const item = (name: string, deadline: number): Item => ({ name, deadline, settled: false });

describe('DeadlineQueue', () => {
  it('expires entries at or after their deadline, across timeouts, in order per timeout', () => {
    const q = new DeadlineQueue<Item>();
    // Timeout 1000 pushed at t=0 and t=10; timeout 300 pushed at t=20.
    q.push(item('a', 1000), 1000);
    q.push(item('b', 1010), 1000);
    q.push(item('c', 320), 300);
    expect(q.next()).toBe(320);
    expect(q.expire(319)).toEqual([]);
    expect(q.expire(320).map((i) => i.name)).toEqual(['c']);
    expect(q.next()).toBe(1000);
    expect(q.expire(1005).map((i) => i.name)).toEqual(['a']);
    expect(q.expire(5000).map((i) => i.name)).toEqual(['b']);
    expect(q.next()).toBeUndefined();
    expect(q.size).toBe(0);
  });

  it('skips settled entries and does not let them hold the next deadline', () => {
    const q = new DeadlineQueue<Item>();
    const a = item('a', 100);
    const b = item('b', 200);
    q.push(a, 100);
    q.push(b, 100);
    a.settled = true;
    expect(q.next()).toBe(200);
    b.settled = true;
    expect(q.next()).toBeUndefined();
    expect(q.expire(1000)).toEqual([]);
    expect(q.size).toBe(0);
  });

  it('keeps order and drops settled entries across compaction', () => {
    const q = new DeadlineQueue<Item>();
    const all: Item[] = [];
    for (let i = 0; i < 5000; i++) {
      const it = item(`p${i}`, i);
      all.push(it);
      q.push(it, 1000);
    }
    for (let i = 0; i < 5000; i += 2) all[i]!.settled = true;
    const first = q.expire(2999);
    expect(first.length).toBe(1500);
    expect(first.every((x) => Number(x.name.slice(1)) % 2 === 1)).toBe(true);
    expect(q.next()).toBe(3001);
    const rest = q.expire(10_000).map((x) => x.deadline);
    expect(rest).toEqual(Array.from({ length: 1000 }, (_, k) => 3001 + 2 * k));
    expect(q.size).toBe(0);
  });
});

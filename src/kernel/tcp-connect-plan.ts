// The pure parts of the batched TCP connect prober: where to connect (a
// sockaddr from an address literal, with an optional IPv6 zone) and when to
// give up (deadlines kept in one FIFO per timeout, swept by one timer).
import { isIP } from 'node:net';
import { AF_INET, AF_INET6, sockaddrIn, sockaddrIn6 } from './sockaddr.js';

export interface IpTarget {
  readonly family: typeof AF_INET | typeof AF_INET6;
  readonly ip: string;
  /** IPv6 zone after '%': an interface name or index. */
  readonly zone?: string;
}

/** Parses an address literal ("10.0.0.1", "2001:db8::1", "fe80::1%eth0"); null for names. */
export function parseIpTarget(host: string): IpTarget | null {
  const pct = host.indexOf('%');
  const ip = pct < 0 ? host : host.slice(0, pct);
  const kind = isIP(ip);
  if (kind === 4 && pct < 0) return { family: AF_INET, ip };
  if (kind !== 6) return null;
  if (pct < 0) return { family: AF_INET6, ip };
  const zone = host.slice(pct + 1);
  return zone ? { family: AF_INET6, ip, zone } : null;
}

/** Builds the sockaddr for a target; `ifIndex` resolves a zone given by name. */
export function encodeTarget(t: IpTarget, port: number, ifIndex: (name: string) => number): Buffer {
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`bad port ${port}`);
  if (t.family === AF_INET) return sockaddrIn(t.ip, port);
  let scope = 0;
  if (t.zone !== undefined) scope = /^\d+$/.test(t.zone) ? Number(t.zone) : ifIndex(t.zone);
  return sockaddrIn6(t.ip, port, scope);
}

/** The wildcard address of a family, for a bind that names only a port. */
export function anyAddress(family: number): string {
  return family === AF_INET6 ? '::' : '0.0.0.0';
}

/**
 * Rounds a deadline up to the sweep granularity, so that deadlines a few
 * milliseconds apart share one timer firing. Never earlier than the deadline.
 */
export function bucketOf(deadline: number, granularityMs: number): number {
  return Math.ceil(deadline / granularityMs) * granularityMs;
}

/** An entry in the deadline queue: settled entries are skipped and dropped lazily. */
export interface Expiring {
  readonly deadline: number;
  settled: boolean;
}

interface Fifo<T> {
  items: T[];
  head: number;
}

/**
 * Deadlines, one FIFO per timeout value. With a monotonic clock, entries of
 * one timeout arrive in deadline order, so each FIFO is sorted for free and
 * the earliest deadline is the smallest head. Settling a probe just marks its
 * entry; the sweep drops it when it reaches the head.
 */
export class DeadlineQueue<T extends Expiring> {
  private readonly fifos = new Map<number, Fifo<T>>();

  push(item: T, timeoutMs: number): void {
    let f = this.fifos.get(timeoutMs);
    if (!f) {
      f = { items: [], head: 0 };
      this.fifos.set(timeoutMs, f);
    }
    f.items.push(item);
  }

  /** Removes and returns the unsettled entries whose deadline is at or before `now`. */
  expire(now: number): T[] {
    const out: T[] = [];
    for (const [key, f] of this.fifos) {
      while (f.head < f.items.length) {
        const it = f.items[f.head]!;
        if (!it.settled && it.deadline > now) break;
        if (!it.settled) out.push(it);
        f.head++;
      }
      this.compact(key, f);
    }
    return out;
  }

  /** The earliest deadline of an unsettled entry, or undefined when none waits. */
  next(): number | undefined {
    let min: number | undefined;
    for (const [key, f] of this.fifos) {
      while (f.head < f.items.length && f.items[f.head]!.settled) f.head++;
      this.compact(key, f);
      const it = f.items[f.head];
      if (it && (min === undefined || it.deadline < min)) min = it.deadline;
    }
    return min;
  }

  /** Entries held, settled or not (for tests and accounting). */
  get size(): number {
    let n = 0;
    for (const f of this.fifos.values()) n += f.items.length - f.head;
    return n;
  }

  private compact(key: number, f: Fifo<T>): void {
    if (f.head === f.items.length) {
      this.fifos.delete(key);
    } else if (f.head > 1024 && f.head * 2 > f.items.length) {
      f.items = f.items.slice(f.head);
      f.head = 0;
    }
  }
}

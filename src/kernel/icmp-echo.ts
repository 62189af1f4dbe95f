// Batched ICMP/ICMPv6 echo for PING_CHECK. One raw socket per family (and
// per source address when a check binds one) serves every probe in the
// process: each request carries an identifier and sequence drawn from one
// 32-bit counter, a reply is matched on (identifier, sequence, address), and
// timeouts come from one timer sweeping a deadline queue, as for the TCP
// prober. Raw sockets see every ICMP message in the namespace, so anything
// that does not match a probe in flight is dropped.
import { performance } from 'node:perf_hooks';
import {
  describeIcmpError,
  type EchoEvent,
  encodeEchoRequest,
  parseIcmp4,
  parseIcmp6,
} from './icmp-codec.js';
import { elapsed, type ProbeResult, ProbesInFlight } from './probes-in-flight.js';
import { ifNameToIndex, SOCK_RAW, Sock } from './sock.js';
import { AF_INET, AF_INET6, decodeSockaddrIp } from './sockaddr.js';
import { encodeTarget, parseIpTarget } from './tcp-connect-plan.js';

const IPPROTO_ICMP = 1;
const IPPROTO_ICMPV6 = 58;
const SOL_RAW = 255;
const ICMP_FILTER = 1;
const SOL_ICMPV6 = 58;
const ICMP6_FILTER = 1;
const SWEEP_GRANULARITY_MS = 5;

export interface EchoOptions {
  readonly timeoutMs: number;
  /** Source address to send from (bindto). */
  readonly bindAddr?: string;
}

export type EchoResult = ProbeResult;

/** Types let through the socket's filter: echo replies and the errors that quote a request. */
function installFilter(sock: Sock, family: 4 | 6): void {
  if (family === 4) {
    const pass = (1 << 0) | (1 << 3) | (1 << 11);
    const mask = Buffer.alloc(4);
    mask.writeUInt32LE(~pass >>> 0, 0);
    sock.setsockopt(SOL_RAW, ICMP_FILTER, mask);
    return;
  }
  // struct icmp6_filter: 256 bits, a set bit blocks the type.
  const f = Buffer.alloc(32, 0xff);
  for (const t of [1, 3, 129]) f[t >> 3]! &= ~(1 << (t & 7));
  sock.setsockopt(SOL_ICMPV6, ICMP6_FILTER, f);
}

class Pinger {
  private readonly sock: Sock;
  /** By (identifier << 16 | sequence), holding the target a reply must come from. */
  private readonly flight: ProbesInFlight<number, string>;
  private counter: number;
  private readonly payload = Buffer.alloc(16);

  constructor(
    private readonly family: 4 | 6,
    bindAddr: string | undefined,
  ) {
    this.sock = Sock.open(
      family === 4 ? AF_INET : AF_INET6,
      SOCK_RAW,
      family === 4 ? IPPROTO_ICMP : IPPROTO_ICMPV6,
      {
        recvBufferSize: 2048,
      },
    );
    installFilter(this.sock, family);
    if (bindAddr !== undefined) {
      const t = parseIpTarget(bindAddr);
      if (!t) throw new TypeError(`not an IP address: ${JSON.stringify(bindAddr)}`);
      this.sock.bind(encodeTarget(t, 0, ifNameToIndex));
    }
    // Start the identifiers where another process is unlikely to be.
    this.counter = ((process.pid & 0xffff) << 16) >>> 0;
    this.payload.write('floatlb-ping', 0);
    this.sock.onReceive((d) => this.receive(d.data, d.from));
    this.sock.unref();
    const sock = this.sock;
    this.flight = new ProbesInFlight(
      { busy: () => sock.ref(), idle: () => sock.unref() },
      SWEEP_GRANULARITY_MS,
    );
  }

  get inFlight(): number {
    return this.flight.size;
  }

  start(host: string, opts: EchoOptions, signal?: AbortSignal): Promise<EchoResult> {
    const t0 = performance.now();
    if (signal?.aborted) return Promise.resolve({ ok: false, error: 'ABORTED', aborted: true, latencyMs: 0 });
    const t = parseIpTarget(host);
    if (!t) throw new TypeError(`not an IP address: ${JSON.stringify(host)}`);
    let key = this.counter;
    while (this.flight.has(key)) key = (key + 1) >>> 0;
    this.counter = (key + 1) >>> 0;
    const packet = encodeEchoRequest(this.family, key >>> 16, key & 0xffff, this.payload);
    try {
      this.sock.sendto(packet, encodeTarget(t, 0, ifNameToIndex));
    } catch (e) {
      const code = (e as { code?: string }).code ?? (e as Error).message;
      return Promise.resolve({ ok: false, error: code, latencyMs: elapsed(t0) });
    }
    return this.flight.wait(key, t.ip, t0, opts.timeoutMs, signal);
  }

  private receive(data: Buffer, from: Buffer): void {
    let ev: EchoEvent | null;
    if (this.family === 4) ev = parseIcmp4(data);
    else {
      const src = decodeSockaddrIp(from);
      ev = src ? parseIcmp6(data, src.ip) : null;
    }
    if (!ev) return;
    const p = this.flight.get(((ev.id << 16) | ev.seq) >>> 0);
    if (!p || p.data !== ev.target) return;
    if (ev.kind === 'reply') this.flight.settle(p, { ok: true, latencyMs: elapsed(p.t0) });
    else
      this.flight.settle(p, {
        ok: false,
        error: describeIcmpError(this.family, ev.type, ev.code),
        latencyMs: elapsed(p.t0),
      });
  }
}

const pingers = new Map<string, Pinger>();

/**
 * Sends one echo request to `host` (an IPv4 or IPv6 literal, optionally with
 * a %zone) and resolves when the matching reply, an ICMP error for it, the
 * timeout or the abort comes first. Never rejects for network failures.
 */
export function icmpEchoProbe(host: string, opts: EchoOptions, signal?: AbortSignal): Promise<EchoResult> {
  const t = parseIpTarget(host);
  if (!t) throw new TypeError(`not an IP address: ${JSON.stringify(host)}`);
  const family = t.family === AF_INET ? 4 : 6;
  const id = `${family}|${opts.bindAddr ?? ''}`;
  let p = pingers.get(id);
  if (!p) {
    p = new Pinger(family, opts.bindAddr);
    pingers.set(id, p);
  }
  return p.start(host, opts, signal);
}

/** Echo requests in flight across the process (tests, metrics). */
export function icmpEchoInFlight(): number {
  let n = 0;
  for (const p of pingers.values()) n += p.inFlight;
  return n;
}

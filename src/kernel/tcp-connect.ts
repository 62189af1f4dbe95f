// Batched non-blocking TCP connects, for health checks at scale. Each probe is
// socket(SOCK_NONBLOCK) -> optional bind -> connect (EINPROGRESS) -> one
// epoll_ctl into a single shared epoll instance. That epoll fd is watched by
// one koffi poll handle on the event loop; when it turns readable, epoll_wait
// harvests many completions at once and getsockopt(SO_ERROR) gives each
// verdict (0 = connected). Timeouts come from one timer sweeping a deadline
// queue, not one timer per probe. No Socket objects, no per-probe handles.
import { performance } from 'node:perf_hooks';
import * as libc from '../../native/libc.js';
import { elapsed, type ProbeResult, ProbesInFlight } from './probes-in-flight.js';
import { anyAddress, encodeTarget, type IpTarget, parseIpTarget } from './tcp-connect-plan.js';

export interface TcpConnectOptions {
  /** Give up after this long (connect_timeout). */
  readonly timeoutMs: number;
  /** Source address to bind before connecting (bindto). */
  readonly bindAddr?: string;
  /** Source port to bind before connecting (bind_port). */
  readonly bindPort?: number;
}

export type TcpConnectResult = ProbeResult;

const SOCK_STREAM = 1;
const SOL_SOCKET = 1;
const SO_REUSEADDR = 2;
const EINPROGRESS = 115;
/** Timer granularity: a timeout fires at most this much after its deadline. */
export const SWEEP_GRANULARITY_MS = 5;
/** Events harvested per epoll_wait call. */
const BATCH = 512;

/** Address literals are parsed and encoded once; the cache is cleared when it grows large. */
const targets = new Map<string, IpTarget | null>();
const addrs = new Map<string, Buffer>();
const CACHE_MAX = 1 << 16;

function sockaddrFor(host: string, port: number): { family: number; addr: Buffer } | null {
  let t = targets.get(host);
  if (t === undefined) {
    if (targets.size >= CACHE_MAX) targets.clear();
    t = parseIpTarget(host);
    targets.set(host, t);
  }
  if (t === null) return null;
  const key = `${host}|${port}`;
  let addr = addrs.get(key);
  if (!addr) {
    if (addrs.size >= CACHE_MAX) addrs.clear();
    addr = encodeTarget(t, port, libc.ifNameToIndex);
    addrs.set(key, addr);
  }
  return { family: t.family, addr };
}

/** One epoll instance, one poll handle and one sweep timer for every probe in the process. */
class Connector {
  private readonly epfd: number;
  private readonly events = Buffer.alloc(BATCH * libc.EPOLL_EVENT_SIZE);
  /** By socket fd. */
  private readonly flight: ProbesInFlight<number, null>;

  constructor() {
    this.epfd = libc.epollCreate();
    const poll = libc.pollReadable(this.epfd, () => this.harvest());
    poll.unref();
    this.flight = new ProbesInFlight<number, null>(
      {
        busy: () => poll.ref(),
        idle: () => poll.unref(),
        // Closing also removes the fd from the epoll set. A completed connection
        // is reset rather than closed, so no TIME_WAIT builds up at thousands of
        // probes a second; an unfinished one sends nothing.
        release: (p, r) => (r.ok ? libc.closeWithReset(p.key) : libc.closeQuiet(p.key)),
      },
      SWEEP_GRANULARITY_MS,
    );
  }

  /** Probes in flight. */
  get inFlight(): number {
    return this.flight.size;
  }

  start(
    host: string,
    port: number,
    opts: TcpConnectOptions,
    signal?: AbortSignal,
  ): Promise<TcpConnectResult> {
    const t0 = performance.now();
    if (signal?.aborted) return Promise.resolve({ ok: false, error: 'ABORTED', aborted: true, latencyMs: 0 });
    const target = sockaddrFor(host, port);
    if (!target) throw new TypeError(`not an IP address: ${JSON.stringify(host)}`);
    const fd = libc.socketNb(target.family, SOCK_STREAM, 0);
    if (fd < 0) return failNow(-fd, t0);
    let err = 0;
    if (opts.bindAddr !== undefined || opts.bindPort !== undefined) err = bindSource(fd, target.family, opts);
    if (err === 0) err = libc.connectNb(fd, target.addr);
    if (err === 0) {
      // Connected at once (possible on loopback).
      libc.closeWithReset(fd);
      return Promise.resolve({ ok: true, latencyMs: elapsed(t0) });
    }
    if (err === EINPROGRESS) err = libc.epollCtl(this.epfd, libc.EPOLL_CTL_ADD, fd, libc.EPOLLOUT);
    if (err !== 0) {
      libc.closeQuiet(fd);
      return failNow(err, t0);
    }
    return this.flight.wait(fd, null, t0, opts.timeoutMs, signal);
  }

  /** The epoll fd is readable: collect every finished connect. */
  private harvest(): void {
    for (;;) {
      const n = libc.epollWaitNow(this.epfd, this.events);
      for (let i = 0; i < n; i++) {
        const p = this.flight.get(libc.epollFdAt(this.events, i));
        if (!p) continue;
        // Writable without an error flag means connected: SO_ERROR is only
        // read (to name the error) when the kernel flags one.
        const ev = libc.epollEventsAt(this.events, i);
        const err = ev & (libc.EPOLLERR | libc.EPOLLHUP) ? libc.socketError(p.key) : 0;
        this.flight.settle(p, err === 0 ? { ok: true, latencyMs: elapsed(p.t0) } : failure(err, p.t0));
      }
      if (n < BATCH) return;
    }
  }
}

function bindSource(fd: number, family: number, opts: TcpConnectOptions): number {
  const local = sockaddrFor(opts.bindAddr ?? anyAddress(family), opts.bindPort ?? 0);
  if (!local) return libc.errnoNumber('EINVAL');
  if (local.family !== family) return libc.errnoNumber('EAFNOSUPPORT');
  if (opts.bindPort) {
    // As libuv does for a TCP bind: a fixed source port stays reusable.
    try {
      libc.setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, Buffer.from([1, 0, 0, 0]));
    } catch (e) {
      return e instanceof libc.SyscallError ? e.errno : libc.errnoNumber('EINVAL');
    }
  }
  return libc.bindNb(fd, local.addr);
}

function failure(errno: number, t0: number): TcpConnectResult {
  return { ok: false, error: libc.errnoName(errno), latencyMs: elapsed(t0) };
}

function failNow(errno: number, t0: number): Promise<TcpConnectResult> {
  return Promise.resolve(failure(errno, t0));
}

let connector: Connector | null = null;

/**
 * Connects to host:port (an address literal, IPv4 or IPv6 with an optional
 * %zone) and reports whether the TCP handshake completed within timeoutMs.
 * A completed connection is reset at once. Never rejects for network
 * failures; throws only when host is not an address literal.
 */
export function tcpConnectProbe(
  host: string,
  port: number,
  opts: TcpConnectOptions,
  signal?: AbortSignal,
): Promise<TcpConnectResult> {
  connector ??= new Connector();
  return connector.start(host, port, opts, signal);
}

/** Whether tcpConnectProbe can take this host (an address literal). */
export function isAddressLiteral(host: string): boolean {
  return parseIpTarget(host) !== null;
}

/** Probes in flight across the process (for tests and metrics). */
export function tcpConnectInFlight(): number {
  return connector?.inFlight ?? 0;
}

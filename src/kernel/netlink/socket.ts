// A netlink socket that matches replies to requests by sequence number and
// collects multi-part dumps. Receives happen on the event loop.
import { errnoName } from '../../../native/libc.js';
import { SOCK_RAW, Sock } from '../sock.js';
import { AF_NETLINK, sockaddrNl } from '../sockaddr.js';
import {
  decodeErrorPayload,
  decodeMsgs,
  encodeMsg,
  NLM_F_ACK,
  NLM_F_DUMP,
  NLM_F_REQUEST,
  NLMSG_DONE,
  NLMSG_ERROR,
  NLMSG_NOOP,
  NLMSG_OVERRUN,
  type NlMsg,
} from './codec.js';

export const NETLINK_ROUTE = 0;
export const NETLINK_GENERIC = 16;
export const NETLINK_NETFILTER = 12;

const SOL_SOCKET = 1;
const SO_SNDBUF = 7;
const SO_RCVBUF = 8;
const SO_RCVBUFFORCE = 33;
const SOL_NETLINK = 270;
const NETLINK_EXT_ACK = 11;
const NETLINK_CAP_ACK = 10;

/** The kernel refused a request: carries the errno name and the kernel's own message. */
export class NetlinkError extends Error {
  readonly code: string;
  readonly errno: number;
  readonly kernelMessage: string | undefined;
  constructor(errno: number, what: string, kernelMessage?: string) {
    const code = errnoName(errno);
    super(`${what}: ${code}${kernelMessage ? ` (${kernelMessage})` : ''}`);
    this.name = 'NetlinkError';
    this.code = code;
    this.errno = errno;
    this.kernelMessage = kernelMessage;
  }
}

export interface NlRequest {
  readonly type: number;
  /** Extra flags; NLM_F_REQUEST is always set, NLM_F_ACK for non-dumps. */
  readonly flags?: number;
  readonly payload: Buffer;
  /** Names the operation in errors and logs. */
  readonly what?: string;
}

interface Pending {
  readonly dump: boolean;
  readonly what: string;
  readonly replies: NlMsg[];
  resolve(r: NlMsg[]): void;
  reject(e: Error): void;
}

export interface NetlinkSocketOptions {
  readonly netns?: string;
  /** Per-request timeout; the kernel always answers, so this only guards bugs. */
  readonly timeoutMs?: number;
}

export class NetlinkSocket {
  private readonly sock: Sock;
  private readonly pending = new Map<number, Pending>();
  private seq = Math.floor(Math.random() * 0x7fffffff);
  private readonly timeoutMs: number;
  private closed = false;
  private dumps: Promise<void> = Promise.resolve();
  /** Count of requests sent, for callers that report batching. */
  requestsSent = 0;
  datagramsSent = 0;

  constructor(protocol: number, opts: NetlinkSocketOptions = {}) {
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.sock = Sock.open(AF_NETLINK, SOCK_RAW, protocol, {
      ...(opts.netns ? { netns: opts.netns } : {}),
      recvBufferSize: 1 << 17,
    });
    try {
      this.sock.setsockopt(SOL_SOCKET, SO_SNDBUF, 1 << 20);
      try {
        this.sock.setsockopt(SOL_SOCKET, SO_RCVBUFFORCE, 1 << 22);
      } catch {
        this.sock.setsockopt(SOL_SOCKET, SO_RCVBUF, 1 << 22);
      }
      this.sock.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1);
      this.sock.setsockopt(SOL_NETLINK, NETLINK_CAP_ACK, 1);
      this.sock.bind(sockaddrNl(0, 0));
    } catch (e) {
      this.sock.close();
      throw e;
    }
    this.sock.onReceive(
      (d) => this.onDatagram(d.data),
      (e) => this.failAll(e),
    );
    this.sock.unref();
  }

  /** One request; resolves with the data messages of the reply. */
  request(req: NlRequest): Promise<NlMsg[]> {
    const send = () =>
      this.requestMany([req]).then((r) => {
        const first = r[0]!;
        if (first instanceof Error) throw first;
        return first;
      });
    if (((req.flags ?? 0) & NLM_F_DUMP) !== NLM_F_DUMP) return send();
    // The kernel runs one dump per socket at a time and answers a second
    // one with EBUSY: dumps wait their turn.
    const turn = this.dumps.then(send, send);
    this.dumps = turn.then(
      () => undefined,
      () => undefined,
    );
    return turn;
  }

  /**
   * Sends many requests packed into as few datagrams as fit, and settles
   * each one separately. The kernel processes them in order.
   */
  async requestMany(
    reqs: readonly NlRequest[],
    maxDatagram = 1 << 16,
  ): Promise<Array<NlMsg[] | NetlinkError>> {
    if (this.closed) throw new Error('netlink socket is closed');
    const results: Array<Promise<NlMsg[] | NetlinkError>> = [];
    let chunk: Buffer[] = [];
    let chunkLen = 0;
    const flush = () => {
      if (!chunk.length) return;
      const data = chunk.length === 1 ? chunk[0]! : Buffer.concat(chunk, chunkLen);
      chunk = [];
      chunkLen = 0;
      this.sock.sendto(data, sockaddrNl(0, 0));
      this.datagramsSent++;
    };
    for (const req of reqs) {
      const seq = this.nextSeq();
      const flags = req.flags ?? 0;
      const dump = (flags & NLM_F_DUMP) === NLM_F_DUMP;
      const bytes = encodeMsg({
        type: req.type,
        flags: flags | NLM_F_REQUEST | (dump ? 0 : NLM_F_ACK),
        seq,
        pid: 0,
        payload: req.payload,
      });
      results.push(
        new Promise<NlMsg[]>((resolve, reject) => {
          this.pending.set(seq, {
            dump,
            what: req.what ?? `netlink type ${req.type}`,
            replies: [],
            resolve,
            reject,
          });
        }).catch((e: unknown) => {
          if (e instanceof NetlinkError) return e;
          throw e;
        }),
      );
      if (chunkLen + bytes.length > maxDatagram) flush();
      chunk.push(bytes);
      chunkLen += bytes.length;
      this.requestsSent++;
    }
    try {
      flush();
    } catch (e) {
      this.failAll(e as Error);
    }
    const timer = setTimeout(
      () => this.failAll(new Error(`netlink: no reply within ${this.timeoutMs} ms`)),
      this.timeoutMs,
    );
    timer.unref();
    this.sock.ref();
    try {
      return await Promise.all(results);
    } finally {
      clearTimeout(timer);
      if (this.pending.size === 0 && !this.closed) this.sock.unref();
    }
  }

  /**
   * Sends one nfnetlink batch as one datagram: `begin`, the messages (each
   * asking for an ACK), `end`. The kernel commits the messages whole or not
   * at all and answers each one, so this resolves with one result per
   * message; any NetlinkError among them means nothing was committed. An
   * error on the begin or end marker (the batch as a whole was refused)
   * fails every message with it.
   */
  async batch(
    begin: NlRequest,
    reqs: readonly NlRequest[],
    end: NlRequest,
  ): Promise<Array<NlMsg[] | NetlinkError>> {
    if (this.closed) throw new Error('netlink socket is closed');
    const parts: Buffer[] = [];
    const results: Array<Promise<NlMsg[] | NetlinkError>> = [];
    const inner: number[] = [];
    const frame = (req: NlRequest, ack: boolean): number => {
      const seq = this.nextSeq();
      parts.push(
        encodeMsg({
          type: req.type,
          flags: (req.flags ?? 0) | NLM_F_REQUEST | (ack ? NLM_F_ACK : 0),
          seq,
          pid: 0,
          payload: req.payload,
        }),
      );
      return seq;
    };
    const markers = [frame(begin, false)];
    for (const req of reqs) {
      const seq = frame(req, true);
      inner.push(seq);
      results.push(
        new Promise<NlMsg[]>((resolve, reject) => {
          this.pending.set(seq, { dump: false, what: req.what ?? 'nfnetlink', replies: [], resolve, reject });
        }).catch((e: unknown) => {
          if (e instanceof NetlinkError) return e;
          throw e;
        }),
      );
    }
    markers.push(frame(end, false));
    // The markers get no ACK; only a refusal of the whole batch answers them.
    for (const seq of markers) {
      this.pending.set(seq, {
        dump: false,
        what: 'nfnetlink batch',
        replies: [],
        resolve: () => undefined,
        reject: (e) => {
          for (const s of inner) {
            const p = this.pending.get(s);
            this.pending.delete(s);
            p?.reject(e);
          }
        },
      });
    }
    this.requestsSent += reqs.length;
    const timer = setTimeout(
      () => this.failAll(new Error(`netlink: no reply within ${this.timeoutMs} ms`)),
      this.timeoutMs,
    );
    timer.unref();
    this.sock.ref();
    try {
      this.sock.sendto(Buffer.concat(parts), sockaddrNl(0, 0));
      this.datagramsSent++;
    } catch (e) {
      for (const seq of [...inner, ...markers]) {
        const p = this.pending.get(seq);
        this.pending.delete(seq);
        p?.reject(e as Error);
      }
    }
    try {
      return await Promise.all(results);
    } finally {
      clearTimeout(timer);
      for (const seq of markers) this.pending.delete(seq);
      if (this.pending.size === 0 && !this.closed) this.sock.unref();
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.failAll(new Error('netlink socket closed'));
    this.sock.close();
  }

  private nextSeq(): number {
    this.seq = (this.seq + 1) & 0x7fffffff || 1;
    return this.seq;
  }

  private onDatagram(data: Buffer): void {
    let msgs: NlMsg[];
    try {
      msgs = decodeMsgs(data);
    } catch (e) {
      this.failAll(e as Error);
      return;
    }
    for (const m of msgs) {
      const p = this.pending.get(m.seq);
      if (!p) continue;
      if (m.type === NLMSG_ERROR) {
        this.pending.delete(m.seq);
        const { error, message } = decodeErrorPayload(m);
        if (error === 0) p.resolve(p.replies);
        else p.reject(new NetlinkError(-error, p.what, message));
      } else if (m.type === NLMSG_DONE) {
        this.pending.delete(m.seq);
        const err = m.payload.length >= 4 ? m.payload.readInt32LE(0) : 0;
        if (err < 0) p.reject(new NetlinkError(-err, p.what));
        else p.resolve(p.replies);
      } else if (m.type === NLMSG_OVERRUN) {
        this.pending.delete(m.seq);
        p.reject(new Error(`${p.what}: netlink overrun`));
      } else if (m.type !== NLMSG_NOOP) {
        p.replies.push(m);
      }
    }
  }

  private failAll(e: Error): void {
    for (const [seq, p] of this.pending) {
      this.pending.delete(seq);
      p.reject(e);
    }
  }
}

// Sock: the one abstraction over AF_NETLINK, raw IP and AF_PACKET sockets.
// Non-blocking; receives are delivered on the event loop.
import * as libc from '../../native/libc.js';

export { errnoName, SyscallError } from '../../native/libc.js';

export const SOCK_STREAM = 1;
export const SOCK_DGRAM = 2;
export const SOCK_RAW = 3;

export interface SockOptions {
  /** Network namespace to create the socket in: a name under /run/netns or a path. */
  readonly netns?: string;
  /** Receive buffer size for one datagram. */
  readonly recvBufferSize?: number;
}

export type Datagram = libc.Received;

export class Sock {
  readonly fd: number;
  private readonly buf: Buffer;
  private poll: libc.PollHandle | null = null;
  private closed = false;

  private constructor(fd: number, recvBufferSize: number) {
    this.fd = fd;
    this.buf = Buffer.alloc(recvBufferSize);
  }

  static open(domain: number, type: number, protocol: number, opts: SockOptions = {}): Sock {
    const make = () => libc.socket(domain, type, protocol);
    const fd = opts.netns ? libc.inNetns(opts.netns, make) : make();
    return new Sock(fd, opts.recvBufferSize ?? 1 << 16);
  }

  bind(addr: Buffer): void {
    libc.bind(this.fd, addr);
  }

  setsockopt(level: number, name: number, value: Buffer | number): void {
    let v: Buffer;
    if (typeof value === 'number') {
      v = Buffer.alloc(4);
      v.writeInt32LE(value, 0);
    } else {
      v = value;
    }
    libc.setsockopt(this.fd, level, name, v);
  }

  getsockopt(level: number, name: number, size = 4): Buffer {
    return libc.getsockopt(this.fd, level, name, size);
  }

  localAddress(): Buffer {
    return libc.getsockname(this.fd);
  }

  sendto(data: Buffer, addr: Buffer | null = null): number {
    return libc.sendto(this.fd, data, addr);
  }

  /** One queued datagram, or null. */
  tryRecv(): Datagram | null {
    return libc.recvfrom(this.fd, this.buf);
  }

  /**
   * Delivers every datagram to onData as it arrives, on the event loop.
   * Errors from the socket go to onError. Calling again replaces the handlers.
   */
  onReceive(onData: (d: Datagram) => void, onError: (e: Error) => void = () => {}): void {
    this.stopReceiving();
    this.poll = libc.pollReadable(this.fd, (status) => {
      if (status < 0) {
        onError(new Error(`poll failed: ${status}`));
        return;
      }
      for (;;) {
        if (this.closed) return;
        let d: Datagram | null;
        try {
          d = this.tryRecv();
        } catch (e) {
          onError(e as Error);
          return;
        }
        if (!d) return;
        onData(d);
      }
    });
  }

  stopReceiving(): void {
    if (this.poll) {
      this.poll.stop();
      this.poll.close();
      this.poll = null;
    }
  }

  /** Lets the process exit while this socket still waits for data. */
  unref(): void {
    this.poll?.unref();
  }

  /** Keeps the process alive while this socket waits for data. */
  ref(): void {
    this.poll?.ref();
  }

  close(): void {
    if (this.closed) return;
    this.stopReceiving();
    this.closed = true;
    libc.close(this.fd);
  }
}

export const ifNameToIndex = libc.ifNameToIndex;
export const inNetns = libc.inNetns;

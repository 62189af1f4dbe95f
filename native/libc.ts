// The only place that calls into libc. Everything is synchronous and
// non-blocking; readiness comes from koffi's poll handle on the event loop.
// koffi is pinned (3.3.4): its poll API is undocumented and its callback
// receives (status, events) although the typings say (events).
import { constants as osConstants } from 'node:os';
import koffi from 'koffi';

const libc = koffi.load('libc.so.6');

const socketFn = libc.func('int socket(int domain, int type, int protocol)');
const bindFn = libc.func('int bind(int fd, const void *addr, uint32_t len)');
const setsockoptFn = libc.func('int setsockopt(int fd, int level, int name, const void *val, uint32_t len)');
const getsockoptFn = libc.func(
  'int getsockopt(int fd, int level, int name, _Out_ void *val, _Inout_ uint32_t *len)',
);
const sendtoFn = libc.func(
  'intptr_t sendto(int fd, const void *buf, size_t len, int flags, const void *addr, uint32_t alen)',
);
const recvfromFn = libc.func(
  'intptr_t recvfrom(int fd, _Out_ void *buf, size_t len, int flags, _Out_ void *addr, _Inout_ uint32_t *alen)',
);
const getsocknameFn = libc.func('int getsockname(int fd, _Out_ void *addr, _Inout_ uint32_t *len)');
const closeFn = libc.func('int close(int fd)');
const openFn = libc.func('int open(const char *path, int flags)');
const setnsFn = libc.func('int setns(int fd, int nstype)');
const ifNameToIndexFn = libc.func('unsigned int if_nametoindex(const char *name)');

const errnoNames = new Map<number, string>();
for (const [name, value] of Object.entries(osConstants.errno)) {
  if (!errnoNames.has(value)) errnoNames.set(value, name);
}

/** A failed system call, named by its errno (EEXIST, ENOENT, EPERM, ...). */
export class SyscallError extends Error {
  readonly code: string;
  readonly errno: number;
  readonly syscall: string;
  constructor(syscall: string, errno: number, detail?: string) {
    const code = errnoName(errno);
    super(`${syscall}: ${code}${detail ? ` (${detail})` : ''}`);
    this.name = 'SyscallError';
    this.code = code;
    this.errno = errno;
    this.syscall = syscall;
  }
}

export function errnoName(errno: number): string {
  return errnoNames.get(errno) ?? `E${errno}`;
}

/** The number of an errno name (EINVAL -> 22); EINVAL's for an unknown name. */
export function errnoNumber(name: string): number {
  const table: Readonly<Record<string, number>> = osConstants.errno;
  return table[name] ?? table.EINVAL!;
}

function check(syscall: string, rc: number | bigint): number {
  const n = Number(rc);
  if (n < 0) throw new SyscallError(syscall, koffi.errno());
  return n;
}

export const SOCK_NONBLOCK = 0o4000;
export const SOCK_CLOEXEC = 0o2000000;
const O_RDONLY = 0;
const O_CLOEXEC = 0o2000000;
const CLONE_NEWNET = 0x40000000;

export function socket(domain: number, type: number, protocol: number): number {
  return check('socket', socketFn(domain, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol));
}

export function bind(fd: number, addr: Buffer): void {
  check('bind', bindFn(fd, addr, addr.length));
}

export function setsockopt(fd: number, level: number, name: number, value: Buffer): void {
  check('setsockopt', setsockoptFn(fd, level, name, value, value.length));
}

export function getsockopt(fd: number, level: number, name: number, size: number): Buffer {
  const out = Buffer.alloc(size);
  const len = [size];
  check('getsockopt', getsockoptFn(fd, level, name, out, len));
  return out.subarray(0, len[0]);
}

export function sendto(fd: number, buf: Buffer, addr: Buffer | null, flags = 0): number {
  return check('sendto', sendtoFn(fd, buf, buf.length, flags, addr, addr ? addr.length : 0));
}

export interface Received {
  readonly data: Buffer;
  readonly from: Buffer;
}

const EAGAIN = osConstants.errno.EAGAIN;

/** One datagram, or null when the socket has nothing queued. */
export function recvfrom(fd: number, buf: Buffer, flags = 0): Received | null {
  const addr = Buffer.alloc(128);
  const alen = [addr.length];
  const n = Number(recvfromFn(fd, buf, buf.length, flags, addr, alen));
  if (n < 0) {
    const e = koffi.errno();
    if (e === EAGAIN) return null;
    throw new SyscallError('recvfrom', e);
  }
  return { data: Buffer.from(buf.subarray(0, n)), from: addr.subarray(0, Math.min(alen[0]!, addr.length)) };
}

export function getsockname(fd: number): Buffer {
  const addr = Buffer.alloc(128);
  const alen = [addr.length];
  check('getsockname', getsocknameFn(fd, addr, alen));
  return addr.subarray(0, alen[0]);
}

export function close(fd: number): void {
  check('close', closeFn(fd));
}

export function ifNameToIndex(name: string): number {
  const idx = ifNameToIndexFn(name) as number;
  if (idx === 0) throw new SyscallError('if_nametoindex', koffi.errno(), name);
  return idx;
}

/**
 * Runs fn with the calling thread inside the named network namespace
 * (/run/netns/NAME or a /proc/PID/ns/net path), then returns. Sockets keep
 * the namespace they were created in, so this is how a socket is opened
 * "inside" a namespace. fn must be synchronous.
 */
export function inNetns<T>(ns: string, fn: () => T): T {
  const path = ns.startsWith('/') ? ns : `/run/netns/${ns}`;
  const home = check('open', openFn('/proc/thread-self/ns/net', O_RDONLY | O_CLOEXEC));
  try {
    const target = check('open', openFn(path, O_RDONLY | O_CLOEXEC));
    try {
      check('setns', setnsFn(target, CLONE_NEWNET));
    } finally {
      closeFn(target);
    }
    try {
      return fn();
    } finally {
      check('setns', setnsFn(home, CLONE_NEWNET));
    }
  } finally {
    closeFn(home);
  }
}

export type PollHandle = { stop(): void; close(): void; unref(): void; ref(): void };

/** Calls onReadable on the event loop whenever fd is readable. */
export function pollReadable(fd: number, onReadable: (error: number) => void): PollHandle {
  // koffi passes (status, events); status < 0 is a libuv error code.
  const cb = (status: unknown) => {
    try {
      onReadable(typeof status === 'number' && status < 0 ? status : 0);
    } catch (err) {
      // A throw inside the poll callback would be swallowed: surface it.
      process.nextTick(() => {
        throw err;
      });
    }
  };
  return koffi.node.poll(
    fd,
    { readable: true, writable: false, disconnect: false },
    cb as never,
  ) as PollHandle;
}

const recvmsgFn = libc.func('intptr_t recvmsg(int fd, void *msg, int flags)');

export interface ReceivedMsg extends Received {
  /** Ancillary data (a sequence of struct cmsghdr), as the kernel wrote it. */
  readonly control: Buffer;
}

/**
 * recvmsg with ancillary data (IPV6_RECVHOPLIMIT, IP_PKTINFO...). The
 * msghdr, iovec and buffers live in native memory owned by this object;
 * one instance per socket, reused for every call.
 */
export class MsgReceiver {
  private readonly size: number;
  private readonly data: unknown;
  private readonly name: unknown;
  private readonly ctrl: unknown;
  private readonly iov: unknown;
  private readonly msg: unknown;
  private static readonly NAME = 128;
  private static readonly CTRL = 512;

  constructor(size: number) {
    this.size = size;
    this.data = koffi.alloc('uint8_t', size);
    this.name = koffi.alloc('uint8_t', MsgReceiver.NAME);
    this.ctrl = koffi.alloc('uint8_t', MsgReceiver.CTRL);
    this.iov = koffi.alloc('uint8_t', 16);
    this.msg = koffi.alloc('uint8_t', 56);
    // struct iovec { void *base; size_t len; }
    koffi.encode(this.iov, 0, 'void *', this.data);
    koffi.encode(this.iov, 8, 'uint64_t', BigInt(size));
    // struct msghdr on LP64: name@0 namelen@8 iov@16 iovlen@24 control@32 controllen@40 flags@48
    koffi.encode(this.msg, 0, 'void *', this.name);
    koffi.encode(this.msg, 16, 'void *', this.iov);
    koffi.encode(this.msg, 24, 'uint64_t', 1n);
    koffi.encode(this.msg, 32, 'void *', this.ctrl);
  }

  /** One datagram with its ancillary data, or null when nothing is queued. */
  recv(fd: number): ReceivedMsg | null {
    koffi.encode(this.msg, 8, 'uint32_t', MsgReceiver.NAME);
    koffi.encode(this.msg, 40, 'uint64_t', BigInt(MsgReceiver.CTRL));
    koffi.encode(this.msg, 48, 'int', 0);
    const n = Number(recvmsgFn(fd, this.msg, 0));
    if (n < 0) {
      const e = koffi.errno();
      if (e === EAGAIN) return null;
      throw new SyscallError('recvmsg', e);
    }
    const namelen = Math.min(koffi.decode(this.msg, 8, 'uint32_t') as number, MsgReceiver.NAME);
    const ctrllen = Math.min(Number(koffi.decode(this.msg, 40, 'uint64_t')), MsgReceiver.CTRL);
    const copy = (ptr: unknown, len: number) => Buffer.from(Buffer.from(koffi.view(ptr, len)));
    return {
      data: copy(this.data, Math.min(n, this.size)),
      from: copy(this.name, namelen),
      control: copy(this.ctrl, ctrllen),
    };
  }

  free(): void {
    for (const p of [this.data, this.name, this.ctrl, this.iov, this.msg]) koffi.free(p);
  }
}

// Non-blocking TCP connect and epoll, for probers that run many connects at
// once. The hot-path wrappers return errno instead of throwing, and reuse
// their out-buffers, so one probe allocates nothing here.
const connectFn = libc.func('int connect(int fd, const void *addr, uint32_t len)');
const epollCreate1Fn = libc.func('int epoll_create1(int flags)');
const epollCtlFn = libc.func('int epoll_ctl(int epfd, int op, int fd, void *event)');
const epollWaitFn = libc.func('int epoll_wait(int epfd, _Out_ void *events, int maxevents, int timeout)');

export const EPOLL_CTL_ADD = 1;
export const EPOLL_CTL_DEL = 2;
export const EPOLLIN = 0x001;
export const EPOLLOUT = 0x004;
export const EPOLLERR = 0x008;
export const EPOLLHUP = 0x010;
/** sizeof(struct epoll_event): packed (12 bytes) on x86-64, 16 elsewhere. */
export const EPOLL_EVENT_SIZE = process.arch === 'x64' ? 12 : 16;
const EPOLL_DATA_OFFSET = process.arch === 'x64' ? 4 : 8;
const SOL_SOCKET = 1;
const SO_ERROR = 4;
const SO_LINGER = 13;

/** connect(2) on a non-blocking socket: 0, or the errno (EINPROGRESS while it goes on). */
export function connectNb(fd: number, addr: Buffer): number {
  return (connectFn(fd, addr, addr.length) as number) < 0 ? koffi.errno() : 0;
}

/** bind(2) without throwing: 0, or the errno. */
export function bindNb(fd: number, addr: Buffer): number {
  return (bindFn(fd, addr, addr.length) as number) < 0 ? koffi.errno() : 0;
}

/** socket(2), non-blocking and close-on-exec, without throwing: fd >= 0, or -errno. */
export function socketNb(domain: number, type: number, protocol: number): number {
  const fd = socketFn(domain, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol) as number;
  return fd < 0 ? -koffi.errno() : fd;
}

const intOut = Buffer.alloc(4);
const intLen = [4];

/** getsockopt(SO_ERROR): the pending error of a socket (0 when none), clearing it. */
export function socketError(fd: number): number {
  intLen[0] = 4;
  if ((getsockoptFn(fd, SOL_SOCKET, SO_ERROR, intOut, intLen) as number) < 0) return koffi.errno();
  return intOut.readInt32LE(0);
}

const lingerZero = Buffer.from([1, 0, 0, 0, 0, 0, 0, 0]);

/** Closes with a reset (SO_LINGER 0): no TIME_WAIT socket is left on either side. */
export function closeWithReset(fd: number): void {
  setsockoptFn(fd, SOL_SOCKET, SO_LINGER, lingerZero, lingerZero.length);
  closeFn(fd);
}

/** close(2), ignoring errors: for sockets that are being abandoned. */
export function closeQuiet(fd: number): void {
  closeFn(fd);
}

export function epollCreate(): number {
  return check('epoll_create1', epollCreate1Fn(O_CLOEXEC));
}

const ctlEvent = Buffer.alloc(EPOLL_EVENT_SIZE);

/** epoll_ctl with the fd itself as the event's data; 0, or the errno. */
export function epollCtl(epfd: number, op: number, fd: number, events: number): number {
  ctlEvent.writeUInt32LE(events, 0);
  ctlEvent.writeUInt32LE(fd, EPOLL_DATA_OFFSET);
  ctlEvent.writeUInt32LE(0, EPOLL_DATA_OFFSET + 4);
  return (epollCtlFn(epfd, op, fd, ctlEvent) as number) < 0 ? koffi.errno() : 0;
}

/**
 * Harvests up to buf.length / EPOLL_EVENT_SIZE ready events without waiting.
 * Returns how many; event i is epollEventAt(buf, i).
 */
export function epollWaitNow(epfd: number, buf: Buffer): number {
  const n = epollWaitFn(epfd, buf, Math.floor(buf.length / EPOLL_EVENT_SIZE), 0) as number;
  if (n < 0) {
    const e = koffi.errno();
    if (e === osConstants.errno.EINTR) return 0;
    throw new SyscallError('epoll_wait', e);
  }
  return n;
}

/** The ready mask of event i in an epoll_wait buffer. */
export function epollEventsAt(buf: Buffer, i: number): number {
  return buf.readUInt32LE(i * EPOLL_EVENT_SIZE);
}

/** The fd (data.u32) of event i in an epoll_wait buffer. */
export function epollFdAt(buf: Buffer, i: number): number {
  return buf.readUInt32LE(i * EPOLL_EVENT_SIZE + EPOLL_DATA_OFFSET);
}

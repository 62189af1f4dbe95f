// A TCP client socket that lives in another network namespace. libuv creates
// a socket's fd only when it connects, after control has left inNetns, so the
// fd is made here inside the namespace and handed to node:net.
import { isIPv4, Socket } from 'node:net';
import * as libc from '../../native/libc.js';
import { SOCK_STREAM } from './sock.js';
import { AF_INET, AF_INET6 } from './sockaddr.js';

export function connectInNetns(netns: string, host: string, port: number): Socket {
  const fd = libc.inNetns(netns, () => libc.socket(isIPv4(host) ? AF_INET : AF_INET6, SOCK_STREAM, 0));
  const s = new Socket({ fd, readable: true, writable: true });
  return s.connect(port, host);
}

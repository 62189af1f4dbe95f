// Who is on the other end of a unix socket: SO_PEERCRED, plus the peer's
// supplementary groups from /proc, read at accept time.
import { readFileSync } from 'node:fs';
import { getsockopt } from '../../native/libc.js';

const SOL_SOCKET = 1;
const SO_PEERCRED = 17;

export interface PeerCredentials {
  readonly pid: number;
  readonly uid: number;
  readonly gid: number;
  /** Primary and supplementary groups. */
  readonly groups: readonly number[];
}

export function peerCredentials(fd: number): PeerCredentials {
  const b = getsockopt(fd, SOL_SOCKET, SO_PEERCRED, 12);
  const pid = b.readInt32LE(0);
  const uid = b.readUInt32LE(4);
  const gid = b.readUInt32LE(8);
  const groups = new Set<number>([gid]);
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const line = status.split('\n').find((l) => l.startsWith('Groups:'));
    for (const g of line?.slice(7).trim().split(/\s+/) ?? []) if (g) groups.add(Number(g));
  } catch {
    // The peer may already have exited; its primary group still counts.
  }
  return { pid, uid, gid, groups: [...groups] };
}

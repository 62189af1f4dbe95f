// uid/gid lookup for MISC_CHECK and notify scripts: /etc/passwd and
// /etc/group first, `getent` for users from other NSS sources.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface Identity {
  uid: number;
  gid: number;
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
}

/** Parses passwd(5) text (name:pw:uid:gid:...). */
export function parsePasswd(text: string): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 4 || line.startsWith('#')) continue;
    const uid = Number(f[2]);
    const gid = Number(f[3]);
    if (Number.isInteger(uid) && Number.isInteger(gid)) out.push({ name: f[0]!, uid, gid });
  }
  return out;
}

/** Parses group(5) text (name:pw:gid:members) into name -> gid. */
export function parseGroup(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 3 || line.startsWith('#')) continue;
    const gid = Number(f[2]);
    if (Number.isInteger(gid)) out.set(f[0]!, gid);
  }
  return out;
}

function readOr(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function getent(db: string, key: string): string[] | null {
  try {
    return execFileSync('getent', [db, key], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .trim()
      .split(':');
  } catch {
    return null;
  }
}

/** Resolves a user (name or numeric id) and optional group to ids; throws when unknown. */
export function resolveIdentity(user: string, group?: string): Identity {
  let entry = parsePasswd(readOr('/etc/passwd')).find((e) => e.name === user || String(e.uid) === user);
  if (!entry) {
    const f = getent('passwd', user);
    if (f && f.length >= 4) entry = { name: f[0]!, uid: Number(f[2]), gid: Number(f[3]) };
  }
  if (!entry) throw new Error(`unknown user ${user}`);
  if (group === undefined) return { uid: entry.uid, gid: entry.gid };
  if (/^\d+$/.test(group)) return { uid: entry.uid, gid: Number(group) };
  let gid = parseGroup(readOr('/etc/group')).get(group);
  if (gid === undefined) {
    const f = getent('group', group);
    if (f && f.length >= 3) gid = Number(f[2]);
  }
  if (gid === undefined) throw new Error(`unknown group ${group}`);
  return { uid: entry.uid, gid };
}

// keepalived's enable_script_security rule: a script that would run as root
// is refused when a non-root user could change it, i.e. when the file or any
// directory on its (symlink-resolved) path is owned by a non-root user, is
// group-writable with a non-root group, or is world-writable. A world-writable
// directory with the sticky bit (like /tmp) is accepted when the entry below
// it is owned by root, since others can then neither rename nor replace it.
import { accessSync, constants, realpathSync, type Stats, statSync } from 'node:fs';
import { delimiter, dirname, isAbsolute, join } from 'node:path';

export type StatFn = (path: string) => Pick<Stats, 'uid' | 'gid' | 'mode'>;

const S_IWGRP = 0o020;
const S_IWOTH = 0o002;
const S_ISVTX = 0o1000;

/** The file and each ancestor directory, file first, root last. */
export function pathChain(path: string): string[] {
  const chain = [path];
  let p = path;
  while (dirname(p) !== p) {
    p = dirname(p);
    chain.push(p);
  }
  return chain;
}

/** Pure check over a resolved absolute path; returns the reason it is unsafe, or null. */
export function insecureReason(realPath: string, stat: StatFn): string | null {
  const chain = pathChain(realPath);
  let childRootOwned = false;
  for (let i = 0; i < chain.length; i++) {
    const p = chain[i]!;
    const st = stat(p);
    if (st.uid !== 0) return `${p} is owned by uid ${st.uid}`;
    if (st.mode & S_IWGRP && st.gid !== 0) return `${p} is writable by group ${st.gid}`;
    if (st.mode & S_IWOTH) {
      const stickyOk = i > 0 && (st.mode & S_ISVTX) !== 0 && childRootOwned;
      if (!stickyOk) return `${p} is world-writable`;
    }
    childRootOwned = st.uid === 0;
  }
  return null;
}

/** Finds the script's file: absolute or relative paths as given, bare names on PATH. */
export function locateScript(cmd: string, pathEnv = process.env.PATH ?? '/usr/bin:/bin'): string {
  if (isAbsolute(cmd) || cmd.includes('/')) return cmd;
  for (const dir of pathEnv.split(delimiter)) {
    const p = join(dir, cmd);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // try the next PATH entry
    }
  }
  throw new Error(`${cmd} not found on PATH`);
}

/** Full check against the real file system; returns a reason to refuse or null. */
export function checkScript(cmd: string, runAsUid: number, enforce: boolean): string | null {
  let real: string;
  try {
    real = realpathSync(locateScript(cmd));
    accessSync(real, constants.X_OK);
  } catch (e) {
    return `script ${cmd}: ${(e as Error).message}`;
  }
  if (!enforce || runAsUid !== 0) return null;
  const why = insecureReason(real, statSync);
  return why ? `script ${cmd} refused by script security: ${why}` : null;
}

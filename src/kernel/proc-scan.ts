// The running processes, read from /proc: the name (comm) and state from
// /proc/PID/stat in one read, and the command line only when asked for.
// Zombies are left out: they are not running.
import { readdir, readFile } from 'node:fs/promises';

export interface ProcEntry {
  readonly pid: number;
  /** /proc/PID/comm: the process name, at most 15 bytes. */
  readonly comm: string;
  /** /proc/PID/cmdline split on NUL; empty for kernel threads, or when not asked for. */
  readonly argv: readonly string[];
}

/** Parses /proc/PID/stat: "pid (comm) S ...": comm may hold spaces and parentheses. */
export function parseStat(text: string): { comm: string; state: string } | null {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return null;
  return { comm: text.slice(open + 1, close), state: text.slice(close + 2, close + 3) };
}

export function parseCmdline(raw: string): string[] {
  const parts = raw.split('\0');
  if (parts.at(-1) === '') parts.pop();
  return parts;
}

export async function scanProcesses(withCmdline: boolean, root = '/proc'): Promise<ProcEntry[]> {
  const names = await readdir(root);
  const out: ProcEntry[] = [];
  await Promise.all(
    names
      .filter((n) => /^[1-9]\d*$/.test(n))
      .map(async (n) => {
        // A process may exit between readdir and read: it is simply not counted.
        const stat = parseStat(await readFile(`${root}/${n}/stat`, 'utf8').catch(() => ''));
        if (!stat || stat.state === 'Z' || stat.state === 'X') return;
        const argv = withCmdline
          ? parseCmdline(await readFile(`${root}/${n}/cmdline`, 'utf8').catch(() => ''))
          : [];
        out.push({ pid: Number(n), comm: stat.comm, argv });
      }),
  );
  return out;
}

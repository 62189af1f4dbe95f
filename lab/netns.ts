// Network-namespace topology helpers for the lab and the tests. They shell
// out to iproute2 on purpose: the lab builds a world for floatlb to run in,
// it is not floatlb itself.
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

export function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export async function shAsync(cmd: string, args: string[]): Promise<string> {
  const { stdout } = await execFileP(cmd, args, { encoding: 'utf8' });
  return stdout;
}

export function listNetns(): string[] {
  const out = sh('ip', ['netns', 'list']);
  return out
    .split('\n')
    .map((l) => l.split(' ')[0]!)
    .filter(Boolean);
}

/** A namespace the caller owns; delete() removes it and every process in it. */
export class Netns {
  readonly name: string;
  private readonly children: ChildProcess[] = [];

  constructor(name: string) {
    this.name = name;
  }

  static create(name: string): Netns {
    if (listNetns().includes(name)) deleteNetns(name);
    sh('ip', ['netns', 'add', name]);
    const ns = new Netns(name);
    ns.ip('link', 'set', 'lo', 'up');
    return ns;
  }

  /** Runs a command in the namespace and returns its stdout. */
  exec(cmd: string, ...args: string[]): string {
    return sh('ip', ['netns', 'exec', this.name, cmd, ...args]);
  }

  async execAsync(cmd: string, ...args: string[]): Promise<string> {
    return shAsync('ip', ['netns', 'exec', this.name, cmd, ...args]);
  }

  ip(...args: string[]): string {
    return sh('ip', ['-n', this.name, ...args]);
  }

  sysctl(key: string, value: string | number): void {
    this.exec('sysctl', '-qw', `${key}=${value}`);
  }

  /** Starts a long-running process in the namespace; delete() kills it. */
  spawn(cmd: string, args: string[], opts: { stdio?: 'ignore' | 'pipe' | 'inherit' } = {}): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', this.name, cmd, ...args], {
      stdio: opts.stdio ?? 'ignore',
    });
    this.children.push(child);
    return child;
  }

  delete(): void {
    for (const c of this.children) if (c.exitCode === null) c.kill('SIGKILL');
    deleteNetns(this.name);
  }
}

/** Kills every process inside the namespace, then removes it. */
export function deleteNetns(name: string): void {
  try {
    const pids = sh('ip', ['netns', 'pids', name]).split('\n').filter(Boolean);
    for (const pid of pids) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // already gone
      }
    }
  } catch {
    // namespace already gone
  }
  try {
    sh('ip', ['netns', 'del', name]);
  } catch {
    // already gone
  }
}

/** Removes every namespace whose name starts with prefix. */
export function deleteNetnsByPrefix(prefix: string): string[] {
  const gone = listNetns().filter((n) => n.startsWith(prefix));
  for (const n of gone) deleteNetns(n);
  return gone;
}

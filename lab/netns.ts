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

/** A veth pair between two namespaces, each end with an address (CIDR). */
export function vethPair(
  a: Netns,
  aIf: string,
  aAddr: string | null,
  b: Netns,
  bIf: string,
  bAddr: string | null,
): void {
  const tmp = `v${process.pid % 10000}${Math.floor(Math.random() * 1e5)}`;
  sh('ip', ['link', 'add', `${tmp}a`, 'type', 'veth', 'peer', 'name', `${tmp}b`]);
  sh('ip', ['link', 'set', `${tmp}a`, 'netns', a.name, 'name', aIf]);
  sh('ip', ['link', 'set', `${tmp}b`, 'netns', b.name, 'name', bIf]);
  for (const [ns, ifname, addr] of [
    [a, aIf, aAddr],
    [b, bIf, bAddr],
  ] as const) {
    if (addr) ns.ip('addr', 'add', addr, 'dev', ifname, ...(addr.includes(':') ? ['nodad'] : []));
    ns.ip('link', 'set', ifname, 'up');
  }
}

/** A bridge inside `hub` that joins one veth per namespace in `members`. */
export function bridge(hub: Netns, name: string, members: Array<[Netns, string, string | null]>): void {
  hub.ip('link', 'add', name, 'type', 'bridge');
  hub.ip('link', 'set', name, 'up');
  members.forEach(([ns, ifname, addr], i) => {
    const port = `${name}p${i}`;
    vethPair(hub, port, null, ns, ifname, addr);
    hub.ip('link', 'set', port, 'master', name);
  });
}

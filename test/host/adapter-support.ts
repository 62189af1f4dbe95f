// Support for the adapter tests: throwaway users, an installed adapter under a
// temporary prefix, the scripts run as another user, and directors.
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createMetrics } from '../../src/api/metrics.js';
import { ApiServer } from '../../src/api/server.js';
import { parseConfigText } from '../../src/config/index.js';
import { Director } from '../../src/director/director.js';
import { HealthChecker } from '../../src/health/index.js';
import { directorReload } from '../support/api-context.js';
import { FakeDataPlane } from '../support/fake-dataplane.js';

export const ADAPTERS = resolve(import.meta.dirname, '../../adapters');
export const NOBODY = { uid: 65534, gid: 65534, name: 'nobody' };

export interface TestUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

function run(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Creates a system user with a group of the same name (removing a stale one first). */
export function createUser(name: string): TestUser {
  deleteUser(name);
  run('groupadd', ['--system', name]);
  run('useradd', ['--system', '--gid', name, '--no-create-home', '--shell', '/usr/sbin/nologin', name]);
  return { name, uid: Number(run('id', ['-u', name]).trim()), gid: Number(run('id', ['-g', name]).trim()) };
}

export function deleteUser(name: string): void {
  try {
    run('userdel', [name]);
  } catch {
    // not there
  }
  try {
    run('groupdel', [name]);
  } catch {
    // not there
  }
}

/** A world-traversable temporary directory (mkdtemp makes 0700). */
export function openTempDir(tag: string): string {
  const d = mkdtempSync(join(tmpdir(), `ad${tag}-`));
  chmodSync(d, 0o755);
  return d;
}

/** Runs adapters/install.sh (as root) and returns its stdout. */
export function install(args: string[]): string {
  return run('sh', [join(ADAPTERS, 'install.sh'), ...args]);
}

export interface ScriptResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs an installed script as uid/gid. Asynchronous on purpose: the
 * directors of these tests live in this process.
 */
export function runScript(
  prefix: string,
  script: string,
  args: readonly string[],
  who: { uid: number; gid: number } = { uid: 0, gid: 0 },
  env: Record<string, string> = {},
): Promise<ScriptResult> {
  return new Promise((resolvePromise, reject) => {
    const c = spawn(join(prefix, script), [...args], {
      uid: who.uid,
      gid: who.gid,
      cwd: '/',
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', ...env },
    });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (b: Buffer) => {
      stdout += b.toString();
    });
    c.stderr.on('data', (b: Buffer) => {
      stderr += b.toString();
    });
    c.on('error', reject);
    c.on('close', (code) => resolvePromise({ code: code ?? -1, stdout, stderr }));
  });
}

/** Lines of PREFIX/log/adapter.log. */
export function logLines(prefix: string, file = 'adapter.log'): string[] {
  return readFileSync(join(prefix, 'log', file), 'utf8')
    .split('\n')
    .filter(Boolean);
}

/** TCP listeners that stand for the MRS services the health checks probe. */
export async function listenAll(hosts: readonly string[]): Promise<{ port: number; close(): void }> {
  const servers: Server[] = [];
  const listen = (host: string, port: number) =>
    new Promise<Server>((res, rej) => {
      const s = createServer((c) => {
        c.on('error', () => undefined); // health probes reset their connections
        c.end();
      });
      s.once('error', rej).listen(port, host, () => res(s));
    });
  const first = await listen(hosts[0]!, 0);
  servers.push(first);
  const port = (first.address() as { port: number }).port;
  for (const h of hosts.slice(1)) servers.push(await listen(h, port));
  return {
    port,
    close() {
      for (const s of servers) s.close();
    },
  };
}

/**
 * A director (config, real health checks, admin state, control API) whose
 * kernel side is an in-memory plane. It stands in where the point is the
 * API the scripts talk to.
 */
export class TestDirector {
  director!: Director;
  private api: ApiServer | null = null;
  readonly plane = new FakeDataPlane();
  private readonly health = new HealthChecker();

  constructor(
    private readonly config: string,
    readonly socket: string,
    private readonly statePath: string,
    private readonly gid: number,
    private readonly tcp?: { token: string },
  ) {}

  async start(): Promise<void> {
    this.director = new Director({
      plane: this.plane,
      health: this.health,
      adminStatePath: this.statePath,
      loadConfig: async () => parseConfigText(this.config, { file: 'adapter.conf' }),
    });
    await this.director.start();
    await this.up();
  }

  /** Opens the control API (again). */
  async up(): Promise<void> {
    this.api = new ApiServer(
      {
        director: this.director,
        vrrp: () => [],
        startedAt: new Date(),
        configFile: 'adapter.conf',
        reload: directorReload(this.director),
      },
      {
        unix: { path: this.socket, gid: this.gid, mode: 0o660 },
        ...(this.tcp ? { tcp: { host: '127.0.0.1', port: 0, token: this.tcp.token } } : {}),
        metrics: createMetrics(() => this.plane).registry,
      },
    );
    await this.api.listen();
  }

  /** Closes the control API: the director is unreachable. */
  async down(): Promise<void> {
    await this.api?.close();
    this.api = null;
  }

  get tcpPort(): number | null {
    return this.api?.tcpPort() ?? null;
  }

  async stop(): Promise<void> {
    await this.down();
    await this.director?.stop();
  }

  /** The state memberVerdict gives, as the API would say it. */
  member(vip: string, node: string): { link: string; healthy: boolean } | undefined {
    const m = this.director
      .poolsForVip(vip)
      .flatMap((p) => p.members)
      .find((x) => x.node === node);
    return m ? { link: m.link, healthy: m.healthy } : undefined;
  }

  /** Waits until the health checks have settled on what the test expects. */
  async settled(vip: string, expect: Record<string, boolean>, deadlineMs = 20_000): Promise<void> {
    const until = Date.now() + deadlineMs;
    for (;;) {
      if (Object.entries(expect).every(([n, up]) => this.member(vip, n)?.healthy === up)) return;
      if (Date.now() > until) {
        throw new Error(`health did not settle on ${vip}: ${JSON.stringify(this.director.poolsForVip(vip))}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

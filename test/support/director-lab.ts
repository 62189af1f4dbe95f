// A one-director NAT topology for director tests, on either data plane:
//   client (10.80.0.10) — director (10.80.0.1, VIP 10.80.0.100 | 10.80.1.1) — rs1..rsN (10.80.1.1x)
// The director runs as `floatlb run` in its namespace, as an operator would.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Netns } from '../../lab/netns.js';
import { forwarding, type TopologySpec } from '../../lab/topology.js';
import { connectInNetns } from '../../src/kernel/netns-socket.js';
import { buildTestTopology } from './netns.js';

const ROOT = new URL('../..', import.meta.url).pathname;
export const VIP = '10.80.0.100';

export interface DirectorLab {
  readonly client: Netns;
  readonly director: Netns;
  readonly servers: Netns[];
  readonly dir: string;
  readonly configPath: string;
  /** Every log line the director printed, parsed. */
  readonly log: Array<Record<string, unknown>>;
  proc: ChildProcess | null;
  startDirector(): Promise<void>;
  writeConfig(text: string): void;
  startBackend(i: number): void;
  /** When backend i first accepts a connection (it takes a while to start under the VM's emulation). */
  backendListening(i: number, timeoutMs?: number): Promise<number>;
  stopBackend(i: number): void;
  cleanup(): void;
}

export function serverIp(i: number): string {
  return `10.80.1.${11 + i}`;
}

/** The director's network as data: the servers share one segment, a bridge in the director's namespace. */
export function directorTopology(nServers: number): TopologySpec {
  const rs = Array.from({ length: nServers }, (_, i) => `rs${i}`);
  return {
    nodes: ['client', 'director', ...rs],
    veths: [
      {
        a: { node: 'client', ifname: 'eth0', addrs: ['10.80.0.10/24'] },
        b: { node: 'director', ifname: 'eth0', addrs: ['10.80.0.1/24', `${VIP}/24`] },
      },
    ],
    bridges: [
      {
        name: 'br0',
        in: 'director',
        addrs: ['10.80.1.1/24'],
        ports: rs.map((node, i) => ({ node, ifname: 'eth0', addrs: [`${serverIp(i)}/24`] })),
      },
    ],
    routes: [
      { node: 'client', dst: 'default', via: '10.80.0.1' },
      ...rs.map((node) => ({ node, dst: 'default', via: '10.80.1.1' })),
    ],
    sysctls: forwarding(['director']),
  };
}

export async function buildDirectorLab(plane: 'ipvs' | 'nftables', nServers: number): Promise<DirectorLab> {
  const topo = await buildTestTopology('d', directorTopology(nServers));
  const client = topo.node('client');
  const director = topo.node('director');
  const servers = Array.from({ length: nServers }, (_, i) => topo.node(`rs${i}`));
  const dir = mkdtempSync(join(tmpdir(), 'floatlb-dlab-'));
  const backends = new Map<number, ChildProcess>();
  const lab: DirectorLab = {
    client,
    director,
    servers,
    dir,
    configPath: join(dir, 'keepalived.conf'),
    log: [],
    proc: null,
    writeConfig(text) {
      writeFileSync(lab.configPath, text);
    },
    async startDirector() {
      const run = spawnFloatlbRun(director, lab.configPath, dir, plane, lab.log);
      lab.proc = run.proc;
      await run.started;
    },
    startBackend(i) {
      backends.set(
        i,
        servers[i]!.spawn(process.execPath, [join(ROOT, 'test/support/backend.mjs'), `rs${i}`]),
      );
    },
    async backendListening(i, timeoutMs = 60_000) {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const ok = await new Promise<boolean>((resolve) => {
          try {
            const s = connectInNetns(servers[i]!.name, serverIp(i), 80);
            s.once('connect', () => {
              s.destroy();
              resolve(true);
            });
            s.once('error', () => resolve(false));
          } catch {
            resolve(false);
          }
        });
        if (ok) return Date.now();
        if (Date.now() > end) throw new Error(`backend ${i} never listened on port 80`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    stopBackend(i) {
      backends.get(i)?.kill('SIGKILL');
      backends.delete(i);
    },
    cleanup() {
      lab.proc?.kill('SIGKILL');
      topo.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return lab;
}

export interface FloatlbRun {
  readonly proc: ChildProcess;
  /** Resolves when the API socket is up; rejects if the process exits first. */
  readonly started: Promise<void>;
  /** Rejects when the process exits. */
  readonly exited: Promise<never>;
}

/**
 * `floatlb run -f configPath` in a namespace, as an operator starts it; its
 * JSON log lines are parsed into `log`. State, API socket and pid file live in dir.
 */
export function spawnFloatlbRun(
  ns: Netns,
  configPath: string,
  dir: string,
  plane: 'ipvs' | 'nftables',
  log: Array<Record<string, unknown>>,
  opts: {
    logLevel?: string;
    nodeArgs?: readonly string[];
    /**
     * The log goes straight to this file instead of a pipe (`log` stays empty
     * and `started` never resolves): a test that blocks in execSync for long
     * would otherwise fill the pipe and stall the director on its log writes.
     */
    logFile?: string;
  } = {},
): FloatlbRun {
  const p = spawn(
    'ip',
    [
      'netns',
      'exec',
      ns.name,
      process.execPath,
      ...(opts.nodeArgs ?? []),
      join(ROOT, 'dist/src/cli/main.js'),
      'run',
      '-f',
      configPath,
      '--plane',
      plane,
      '--state-dir',
      join(dir, 'state'),
      '--api-socket',
      join(dir, 'api.sock'),
      '--pid-file',
      join(dir, 'floatlb.pid'),
    ],
    {
      stdio: ['ignore', 'ignore', opts.logFile ? openSync(opts.logFile, 'a') : 'pipe'],
      env: {
        ...process.env,
        FLOATLB_LOG_LEVEL: opts.logLevel ?? 'info',
      },
    },
  );
  let buf = '';
  let ready: () => void;
  const started = new Promise<void>((r) => {
    ready = r;
  });
  p.stderr?.on('data', (b: Buffer) => {
    buf += b.toString();
    let nl = buf.indexOf('\n');
    while (nl >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      try {
        const j = JSON.parse(line) as Record<string, unknown>;
        log.push(j);
        if (j.msg === 'API on unix socket') ready();
      } catch {
        log.push({ raw: line });
      }
      nl = buf.indexOf('\n');
    }
  });
  p.once('exit', (code, signal) => log.push({ msg: 'director exited', code, signal }));
  const exited = new Promise<never>((_, reject) =>
    p.once('exit', (code) =>
      reject(new Error(`director exited with ${code}: ${JSON.stringify(log.slice(-5))}`)),
    ),
  );
  exited.catch(() => {});
  const startedOrExited = Promise.race([started, exited]);
  // Without a pipe nothing resolves `started`: its rejection at exit is not an error by itself.
  if (opts.logFile) startedOrExited.catch(() => {});
  return { proc: p, started: startedOrExited, exited };
}

/** One HTTP request on a new connection from the client namespace. */
export function httpFrom(client: Netns, url: string, timeoutMs = 2000): Promise<string | null> {
  return new Promise((resolve) => {
    const [host, port] = url.replace('http://', '').split(':');
    let sock: Socket;
    try {
      sock = connectInNetns(client.name, host!, Number(port ?? 80));
    } catch {
      // The namespace is gone (the lab is being torn down).
      resolve(null);
      return;
    }
    let data = '';
    const done = (v: string | null) => {
      clearTimeout(t);
      sock.destroy();
      resolve(v);
    };
    const t = setTimeout(() => done(null), timeoutMs);
    sock.on('connect', () => sock.write(`GET / HTTP/1.0\r\nHost: ${host}\r\n\r\n`));
    sock.on('data', (b) => {
      data += b.toString();
    });
    sock.on('end', () => done(data.split('\r\n\r\n')[1]?.trim() ?? null));
    sock.on('error', () => done(null));
  });
}

/** A long-lived TCP connection to the echo port through the VIP. */
export async function echoConnection(
  client: Netns,
): Promise<{ sock: Socket; roundTrip(msg: string): Promise<string>; resets: () => number }> {
  const sock = connectInNetns(client.name, VIP, 9000);
  let resets = 0;
  sock.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'ECONNRESET') resets++;
  });
  await new Promise<void>((resolve, reject) => {
    sock.once('connect', () => resolve());
    sock.once('error', reject);
  });
  return {
    sock,
    resets: () => resets,
    roundTrip: (msg) =>
      new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('echo timed out')), 5000);
        sock.once('data', (d) => {
          clearTimeout(t);
          resolve(d.toString());
        });
        sock.write(msg);
      }),
  };
}

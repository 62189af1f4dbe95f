// Shared helpers for the health host tests: a veth from this process's
// namespace into a test namespace, the fixture servers, a self-signed cert
// and a recorder that waits for state events.
import type { ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Netns } from '../../lab/netns.js';
import type { HealthChecker } from '../../src/health/checker.js';
import type { ProbeEvent, StateEvent } from '../../src/health/types.js';
import { requireTool } from '../support/require.js';

export const PORTS = { tcp: 7001, udp: 7002, dns: 5300, http: 8080, hang: 8081, https: 8443 } as const;
export type Service = keyof typeof PORTS;

export interface HttpBehaviour {
  status: number;
  body: string;
}

export type Command =
  | { n: number; stop: Service }
  | { n: number; start: Service }
  | { n: number; http: HttpBehaviour }
  | { n: number; dns: { rcode: number; answers: boolean } };

type CommandBody = Command extends infer C ? (C extends { n: number } ? Omit<C, 'n'> : never) : never;

let linkSeq = 0;

/**
 * Joins this process's namespace to `ns` with a veth /30 and returns both
 * addresses. Deleting the namespace removes the pair.
 */
export function linkToNetns(ns: Netns): { local: string; remote: string } {
  const k = (process.pid * 7 + linkSeq++) % 16000;
  const base = `10.${200 + (Math.floor(k / 64 / 4) % 50)}.${Math.floor(k / 4) % 256}`;
  const octet = (k % 4) * 64;
  const local = `${base}.${octet + 1}`;
  const remote = `${base}.${octet + 2}`;
  const ifname = `hc${process.pid % 100000}${linkSeq}`;
  execFileSync('ip', ['link', 'add', ifname, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns.name]);
  execFileSync('ip', ['addr', 'add', `${local}/30`, 'dev', ifname]);
  execFileSync('ip', ['link', 'set', ifname, 'up']);
  ns.ip('addr', 'add', `${remote}/30`, 'dev', 'eth0');
  ns.ip('link', 'set', 'eth0', 'up');
  return { local, remote };
}

/**
 * A self-signed certificate for CN hc.test, made with openssl now. `newkey`
 * 'ec' makes a P-256 key: an RSA key takes tens of seconds under the lab VM's emulation.
 */
export function makeCert(newkey: 'rsa' | 'ec' = 'rsa'): string {
  requireTool('openssl');
  const dir = mkdtempSync(join(tmpdir(), 'hc-cert-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      ...(newkey === 'rsa' ? ['rsa:2048'] : ['ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1']),
      '-nodes',
      '-keyout',
      `${dir}/key.pem`,
      '-out',
      `${dir}/cert.pem`,
    ].concat(['-days', '1', '-subj', '/CN=hc.test']),
    { stdio: 'ignore' },
  );
  return dir;
}

export interface Servers {
  send(cmd: CommandBody): Promise<void>;
  child: ChildProcess;
}

/** Starts the fixture servers inside `ns`, bound to `addr`. */
export async function startServers(ns: Netns, addr: string, certDir: string): Promise<Servers> {
  const root = new URL('../..', import.meta.url).pathname;
  const child = ns.spawn(
    'env',
    [
      `HC_ADDR=${addr}`,
      `HC_CERTDIR=${certDir}`,
      process.execPath,
      join(root, 'node_modules/vite-node/vite-node.mjs'),
      join(root, 'test/host/health-servers.ts'),
    ],
    { stdio: 'pipe' },
  );
  const waiters = new Map<number, () => void>();
  let readyResolve: () => void = () => {};
  const ready = new Promise<void>((r) => {
    readyResolve = r;
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  createInterface({ input: child.stdout! }).on('line', (line) => {
    let msg: { ready?: boolean; ack?: number };
    try {
      msg = JSON.parse(line) as typeof msg;
    } catch {
      return;
    }
    if (msg.ready) readyResolve();
    if (msg.ack !== undefined) waiters.get(msg.ack)?.();
  });
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`fixture servers exited (${code}): ${stderr}`))),
  );
  exited.catch(() => {});
  await Promise.race([ready, exited]);
  let n = 0;
  return {
    child,
    send: (cmd) => {
      const id = ++n;
      const acked = new Promise<void>((r) => waiters.set(id, r));
      child.stdin!.write(`${JSON.stringify({ ...cmd, n: id })}\n`);
      return Promise.race([acked, exited]);
    },
  };
}

/** Collects state and probe events and waits for the next matching state. */
export class Recorder {
  readonly states: StateEvent[] = [];
  readonly probes: ProbeEvent[] = [];
  private readonly cursor = new Map<string, number>();
  private wake: (() => void) | null = null;

  constructor(hc: HealthChecker) {
    hc.onState((e) => {
      this.states.push(e);
      this.wake?.();
    });
    hc.onProbe((e) => this.probes.push(e));
  }

  /** Waits for the next state event of `target` after the last one consumed. */
  async next(target: string, timeoutMs = 15_000): Promise<StateEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      let i = this.cursor.get(target) ?? 0;
      while (i < this.states.length) {
        const e = this.states[i++]!;
        this.cursor.set(target, i);
        if (e.target === target) return e;
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no state event for ${target} within ${timeoutMs} ms`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.wake = () => {
          clearTimeout(t);
          r();
        };
      });
    }
  }

  completed(target: string): number {
    return this.probes.filter((p) => p.target === target && !p.skipped).length;
  }
}

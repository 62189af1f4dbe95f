// Kernel tier (lab VM): connection sync across a director failover. Two
// `floatlb run` directors on the IPVS plane share a front VIP and a gateway
// VIP (one sync group, LVS-NAT); lvs_sync_daemon follows VI_INT, so the
// backup's IPVS holds the master's connections. A long-lived TCP connection
// through the VIP keeps echoing, with no reset, after the master node fails.
import { execFileSync } from 'node:child_process';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Netns } from '../../lab/netns.js';
import { connectInNetns } from '../../src/kernel/netns-socket.js';
import { buildHaLab, HA_VIP, type HaLab, haConfig, nodeIp } from '../support/ha-lab.js';
import { requireIpvs, requireRoot, requireTool } from '../support/require.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const CLIENT = '10.81.0.10';

const VS = `virtual_server ${HA_VIP} 9000 {
  delay_loop 2
  lb_algo rr
  lb_kind NAT
  protocol TCP
${[0, 1]
  .map(
    (i) => `  real_server ${nodeIp(i)} 9000 {
    weight 1
    TCP_CHECK {
      connect_timeout 2
    }
  }`,
  )
  .join('\n')}
}
`;

/** The shared HA config with the connection-sync daemon on the server-side link. */
function syncConfig(i: number): string {
  return haConfig(i, VS).replace(`router_id d${i}\n`, `router_id d${i}\n  lvs_sync_daemon eth1 VI_INT\n`);
}

const ipvsadm = (ns: Netns, ...args: string[]) => ns.exec('ipvsadm', ...args);

/**
 * Polls once a second: each check forks ip or ipvsadm, which under TCG on a
 * busy host is dear enough to starve the test runner itself.
 */
async function until(what: string, ok: () => boolean, timeoutMs: number, everyMs = 1000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** Writes `m<seq>;` every intervalMs and notes when each echo comes back. */
class EchoStream {
  readonly sock: Socket;
  readonly sent = new Map<number, number>();
  readonly echoed = new Map<number, number>();
  readonly servers = new Set<string>();
  resets = 0;
  errors: string[] = [];
  closed = false;
  private seq = 0;
  private raw = '';
  private timer: NodeJS.Timeout | null = null;

  constructor(ns: Netns) {
    this.sock = connectInNetns(ns.name, HA_VIP, 9000);
    this.sock.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ECONNRESET') this.resets++;
      this.errors.push(e.code ?? e.message);
    });
    this.sock.on('close', () => {
      this.closed = true;
    });
    // The echo server prefixes each chunk it reads with its name, and chunks
    // need not follow our writes (retransmissions coalesce): strip the
    // prefixes from everything received, then read the sequence numbers.
    this.sock.on('data', (d) => {
      this.raw += d.toString();
      for (const m of this.raw.matchAll(/(node\d+):/g)) this.servers.add(m[1]!);
      for (const m of this.raw.replace(/node\d+:/g, '').matchAll(/m(\d+);/g)) {
        if (!this.echoed.has(Number(m[1]))) this.echoed.set(Number(m[1]), Date.now());
      }
    });
  }

  connected(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.sock.once('connect', () => resolve());
      this.sock.once('error', reject);
    });
  }

  start(intervalMs: number): void {
    this.timer = setInterval(() => {
      const n = this.seq++;
      this.sent.set(n, Date.now());
      this.sock.write(`m${n};`);
    }, intervalMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  lastSeq(): number {
    return this.seq - 1;
  }
}

describe('connection sync across a director failover (IPVS NAT)', () => {
  let lab: HaLab;

  beforeAll(async () => {
    requireRoot();
    requireIpvs();
    requireTool('ipvsadm');
    requireTool('nft');
    lab = await buildHaLab(2);
    lab.startDirector(0, syncConfig(0), ['--plane', 'ipvs', '--log-level', 'info']);
    lab.startDirector(1, syncConfig(1), ['--plane', 'ipvs', '--log-level', 'info']);
    // Generous: under TCG on a busy host, `floatlb run` alone can take minutes to start.
    await until('d0 taking the VIP', () => lab.hasVip(0), 400_000);
    const [d0, d1] = lab.directors as [Netns, Netns];
    // The sync daemons follow the roles: master on d0, backup on d1.
    await until(
      'master sync daemon on d0',
      () => /master sync daemon/.test(ipvsadm(d0, '-L', '--daemon')),
      60_000,
    );
    await until(
      'backup sync daemon on d1',
      () => /backup sync daemon/.test(ipvsadm(d1, '-L', '--daemon')),
      60_000,
    );
    // Both directors have the service with both real servers (health checks passed).
    for (const d of [d0, d1])
      await until(
        `real servers on ${d.name}`,
        () => [0, 1].every((i) => ipvsadm(d, '-Ln').includes(`${nodeIp(i)}:9000`)),
        60_000,
      );
    execFileSync('ip', ['netns', 'exec', lab.client.name, 'nft', '-f', '-'], {
      input: `table inet rstwatch {
  chain in { type filter hook input priority 0; tcp flags & rst == rst counter; }
}`,
    });
  }, 900_000);

  afterAll(() => lab?.cleanup());

  /** What the directors looked like, for a failure report. */
  function state(): string {
    return lab.directors
      .map((d, i) =>
        [
          `--- d${i}`,
          d.ip('-4', '-br', 'addr'),
          ipvsadm(d, '-Ln'),
          ipvsadm(d, '-Lnc'),
          ...lab.logs[i]!.slice(-15),
        ].join('\n'),
      )
      .join('\n');
  }

  it('a long-lived connection keeps echoing through the new master, with zero resets', async () => {
    try {
      await failover();
    } catch (e) {
      console.log(state());
      throw e;
    }
  });

  async function failover(): Promise<void> {
    const [d0, d1] = lab.directors as [Netns, Netns];
    // Settled roles: d0 holds both VIPs, d1 neither.
    await until(
      'd0 alone holding both VIPs',
      () =>
        lab.hasVip(0) && !lab.hasVip(1) && !d1.ip('-4', 'addr', 'show', 'dev', 'eth1').includes('10.81.1.1/'),
      60_000,
    );
    expect(d0.ip('-4', 'addr', 'show', 'dev', 'eth1')).toContain('10.81.1.1/24');
    const s = new EchoStream(lab.client);
    await s.connected();
    s.start(100);
    await until('echoes before the failover', () => s.echoed.size >= 20, 30_000, 100);

    // The backup's IPVS learnt the connection from the sync daemon.
    const entry = (ns: Netns) =>
      ipvsadm(ns, '-Lnc')
        .split('\n')
        .find((l) => l.includes(`${CLIENT}:${s.sock.localPort}`) && l.includes(`${HA_VIP}:9000`));
    await until('the synced connection on d1', () => entry(d1) !== undefined, 30_000);
    console.log(`d0 (master) : ${entry(d0)}`);
    console.log(`d1 (backup) : ${entry(d1)}`);
    expect(entry(d1)).toMatch(/ESTABLISHED/);

    const before = s.lastSeq();
    const failedAt = Date.now();
    lab.failDirector(0);
    await lab.waitMaster(1, 60_000);
    const vipAt = Date.now();
    await until(
      'an echo after the failover',
      () => [...s.echoed.values()].some((t) => t > vipAt),
      60_000,
      100,
    );
    const resumedAt = Math.min(...[...s.echoed.values()].filter((t) => t > failedAt));
    await sleep(2000);
    s.stop();
    const last = s.lastSeq();
    await until('every message echoed', () => s.echoed.size === last + 1 || s.closed, 15_000, 100);

    console.log(
      `connection sync failover: VIP on d1 after ${((vipAt - failedAt) / 1000).toFixed(2)} s; ` +
        `first echo after the failure at ${((resumedAt - failedAt) / 1000).toFixed(2)} s; ` +
        `${before + 1} messages before, ${last - before} during and after; resets ${s.resets}`,
    );
    const rst = execFileSync('ip', [
      'netns',
      'exec',
      lab.client.name,
      'nft',
      'list',
      'table',
      'inet',
      'rstwatch',
    ]);
    expect(s.errors).toEqual([]);
    expect(s.resets).toBe(0);
    expect(s.closed).toBe(false);
    expect(/counter packets (\d+)/.exec(rst.toString())?.[1]).toBe('0');
    // Every message came back, from the same real server, through the new master.
    expect(s.echoed.size).toBe(last + 1);
    expect(s.servers.size).toBe(1);
    expect(entry(d1)).toMatch(/ESTABLISHED/);
    s.sock.destroy();
  }
});

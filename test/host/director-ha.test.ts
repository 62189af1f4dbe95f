// Host tier: two `floatlb run` directors sharing a front VIP and a gateway
// VIP over VRRP (a sync group), on the nftables plane, LVS-NAT style. The
// master fails as a node does (process killed, link down); the backup takes
// both VIPs and traffic continues.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bridge, type Netns } from '../../lab/netns.js';
import { httpFrom } from '../support/director-lab.js';
import { testNetns } from '../support/netns.js';
import { requireRoot, requireTool } from '../support/require.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const VIP = '10.81.0.100';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function conf(priority: number, state: 'MASTER' | 'BACKUP'): string {
  const inst = (name: string, dev: string, vrid: number, vip: string) => `
vrrp_instance ${name} {
  state ${state}
  interface ${dev}
  virtual_router_id ${vrid}
  priority ${priority}
  advert_int 1
  authentication {
    auth_type PASS
    auth_pass floatlb
  }
  virtual_ipaddress {
    ${vip}
  }
}`;
  return `global_defs {
  router_id d${priority}
}
vrrp_sync_group LVS {
  group {
    VI_EXT
    VI_INT
  }
}
${inst('VI_EXT', 'eth0', 51, `${VIP}/24`)}
${inst('VI_INT', 'eth1', 52, '10.81.1.1/24')}
virtual_server ${VIP} 80 {
  delay_loop 1
  lb_algo wrr
  lb_kind NAT
  protocol TCP
  real_server 10.81.1.11 80 {
    weight 1
    TCP_CHECK {
      connect_timeout 1
    }
  }
  real_server 10.81.1.12 80 {
    weight 1
    TCP_CHECK {
      connect_timeout 1
    }
  }
}
`;
}

describe('two directors under VRRP', () => {
  let hub: Netns;
  let client: Netns;
  const d: Netns[] = [];
  const rs: Netns[] = [];
  const procs: ChildProcess[] = [];
  let dir: string;
  const logs: string[][] = [[], []];

  function startDirector(i: number): ChildProcess {
    const p = spawn(
      'ip',
      [
        'netns',
        'exec',
        d[i]!.name,
        process.execPath,
        join(ROOT, 'dist/src/cli/main.js'),
        'run',
        '-f',
        join(dir, `d${i}.conf`),
        '--state-dir',
        join(dir, `state${i}`),
        '--api-socket',
        join(dir, `api${i}.sock`),
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    p.stderr!.on('data', (b: Buffer) => logs[i]!.push(...b.toString().split('\n').filter(Boolean)));
    procs.push(p);
    return p;
  }

  const hasVip = (ns: Netns) => ns.ip('-4', 'addr', 'show', 'dev', 'eth0').includes(`${VIP}/24`);

  beforeAll(async () => {
    requireRoot();
    requireTool('nft');
    dir = mkdtempSync(join(tmpdir(), 'floatlb-ha-'));
    hub = testNetns('hahub');
    client = testNetns('hacli');
    for (const i of [0, 1]) d.push(testNetns(`had${i}`));
    for (const i of [0, 1]) rs.push(testNetns(`hars${i}`));
    bridge(hub, 'lan', [
      [client, 'eth0', '10.81.0.10/24'],
      [d[0]!, 'eth0', '10.81.0.2/24'],
      [d[1]!, 'eth0', '10.81.0.3/24'],
    ]);
    bridge(hub, 'srv', [
      [d[0]!, 'eth1', '10.81.1.2/24'],
      [d[1]!, 'eth1', '10.81.1.3/24'],
      [rs[0]!, 'eth0', '10.81.1.11/24'],
      [rs[1]!, 'eth0', '10.81.1.12/24'],
    ]);
    for (const x of d) x.sysctl('net.ipv4.ip_forward', 1);
    rs.forEach((r, i) => {
      r.ip('route', 'add', 'default', 'via', '10.81.1.1');
      r.spawn(process.execPath, [join(ROOT, 'test/support/backend.mjs'), `rs${i}`]);
    });
    writeFileSync(join(dir, 'd0.conf'), conf(150, 'MASTER'));
    writeFileSync(join(dir, 'd1.conf'), conf(100, 'BACKUP'));
    startDirector(0);
    startDirector(1);
    const end = Date.now() + 20_000;
    while (!hasVip(d[0]!) && Date.now() < end) await sleep(100);
  });

  afterAll(() => {
    for (const p of procs) p.kill('SIGKILL');
    for (const ns of [client, ...d, ...rs, hub]) ns?.delete();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('elects the higher priority, which holds both VIPs and balances traffic', async () => {
    expect(hasVip(d[0]!)).toBe(true);
    expect(hasVip(d[1]!)).toBe(false);
    expect(d[0]!.ip('-4', 'addr', 'show', 'dev', 'eth1')).toContain('10.81.1.1/24');
    const seen = new Map<string, number>();
    for (let i = 0; i < 40; i++) {
      const who = (await httpFrom(client, `http://${VIP}:80`)) ?? 'failed';
      seen.set(who, (seen.get(who) ?? 0) + 1);
    }
    expect(seen.get('failed')).toBeUndefined();
    expect(seen.get('rs0')).toBe(20);
    expect(seen.get('rs1')).toBe(20);
  });

  it('moves both VIPs to the backup when the master node fails, and traffic continues', async () => {
    const results: Array<{ t: number; ok: boolean }> = [];
    let running = true;
    const loop = (async () => {
      while (running) {
        results.push({ t: Date.now(), ok: (await httpFrom(client, `http://${VIP}:80`, 500)) !== null });
        await sleep(20);
      }
    })();
    await sleep(500);
    const failedAt = Date.now();
    procs[0]!.kill('SIGKILL');
    d[0]!.ip('link', 'set', 'eth0', 'down');
    d[0]!.ip('link', 'set', 'eth1', 'down');
    const end = Date.now() + 15_000;
    while (!(hasVip(d[1]!) && results.some((r) => r.t > failedAt && r.ok)) && Date.now() < end)
      await sleep(50);
    await sleep(1000);
    running = false;
    await loop;
    expect(hasVip(d[1]!)).toBe(true);
    expect(d[1]!.ip('-4', 'addr', 'show', 'dev', 'eth1')).toContain('10.81.1.1/24');
    const firstOk = results.find((r) => r.t > failedAt && r.ok);
    expect(firstOk).toBeDefined();
    const failed = results.filter((r) => r.t > failedAt && !r.ok).length;
    const gap = firstOk!.t - failedAt;
    // advert_int 1: master down after 3 adverts plus skew (about 3.6 s).
    expect(gap).toBeLessThan(6000);
    expect(results.filter((r) => r.t > firstOk!.t && !r.ok)).toEqual([]);
    process.stdout.write(`[ha] master failure: first success after ${gap} ms, ${failed} failed requests\n`);
  });
});

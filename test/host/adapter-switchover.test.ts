// Host tier: the MRS switchover (shared/seeds/000) end to end. Two service
// nodes form an active/standby pool behind the VIP of two floatlb directors
// under VRRP; a client keeps connecting to the VIP. Each node calls the
// adapter scripts from its own namespace, over TCP with the installed
// token, exactly as the cluster manager does: unLinkToLB on the old active
// node, linkToLB on the new one, checkLB to verify. A director fails in
// between, and switchovers go on against the survivor.
import { spawn } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpFrom } from '../support/director-lab.js';
import { buildHaLab, directorSrvIp, HA_VIP, type HaLab, haConfig, nodeIp } from '../support/ha-lab.js';
import { requireRoot, requireTool } from '../support/require.js';
import { createUser, deleteUser, install, type TestUser } from './adapter-support.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const TOKEN = 'mrs-switchover-token';
const API_PORT = 7443;

const VS = `virtual_server ${HA_VIP} 80 {
  delay_loop 1
  lb_algo rr
  lb_kind NAT
  protocol TCP
  active_standby
${[0, 1]
  .map(
    (i) => `  real_server ${nodeIp(i)} 80 {
    weight 1
    inhibit_on_failure
    TCP_CHECK {
      connect_timeout 1
    }
  }`,
  )
  .join('\n')}
}
`;

describe('MRS switchover through the adapter scripts', () => {
  let lab: HaLab;
  let user: TestUser;
  let prefix: string;
  const samples: Array<{ t: number; who: string | null }> = [];
  let hammering = true;
  let hammer: Promise<void>;

  /** What a failed call said, with each director's last log lines, for the assertion message. */
  const why: string[] = [];
  const context = () =>
    [...why.slice(-4), ...[0, 1].map((d) => `director ${d}: ${lab.logs[d]!.slice(-6).join('\n  ')}`)].join(
      '\n',
    );

  /** Runs an adapter script in node i's namespace as the unprivileged user. */
  function script(i: number, name: string): Promise<number> {
    return new Promise((resolve) => {
      const c = spawn('ip', [
        ...['netns', 'exec', lab.nodes[i]!.name, 'setpriv', `--reuid=${user.uid}`, `--regid=${user.gid}`],
        ...['--init-groups', join(prefix, name), '-lb', HA_VIP, nodeIp(i)],
      ]);
      let err = '';
      c.stderr.on('data', (b: Buffer) => {
        err += b.toString();
      });
      c.on('close', (code) => {
        if (code !== 0) why.push(`${name} node${i} exit ${code}: ${err.trim()}`);
        resolve(code ?? -1);
      });
    });
  }

  const check = async () => [await script(0, 'checkLB.sh'), await script(1, 'checkLB.sh')];

  async function switchover(from: number, to: number): Promise<{ gapMs: number; failed: number }> {
    const start = Date.now();
    const [unlink, link] = await Promise.all([script(from, 'unLinkToLB.sh'), script(to, 'linkToLB.sh')]);
    expect([unlink, link], context()).toEqual([0, 0]);
    const end = Date.now() + 10_000;
    while (!samples.some((s) => s.t > start && s.who === `node${to}`) && Date.now() < end) await sleep(20);
    const first = samples.find((s) => s.t > start && s.who === `node${to}`);
    expect(first).toBeDefined();
    await sleep(300);
    const after = samples.filter((s) => s.t > first!.t);
    // Once the new node answers, nothing goes to the old one and nothing fails.
    expect(after.filter((s) => s.who !== `node${to}`)).toEqual([]);
    return {
      gapMs: first!.t - start,
      failed: samples.filter((s) => s.t > start && s.t < first!.t && s.who === null).length,
    };
  }

  beforeAll(async () => {
    requireRoot();
    for (const t of ['curl', 'flock', 'setpriv', 'nft']) requireTool(t);
    user = createUser('adsw');
    lab = await buildHaLab(2);
    chmodSync(lab.dir, 0o755); // the node user reaches the installed scripts below it
    const tokenFile = join(lab.dir, 'token');
    writeFileSync(tokenFile, `${TOKEN}\n`, { mode: 0o600 });
    prefix = join(lab.dir, 'loadBalanceAdapt');
    install([
      ...['--prefix', prefix, '--user', user.name, '--token-file', tokenFile],
      ...[
        '--director',
        `http://${directorSrvIp(0)}:${API_PORT}`,
        '--director',
        `http://${directorSrvIp(1)}:${API_PORT}`,
      ],
    ]);
    for (const i of [0, 1]) {
      lab.startDirector(i, haConfig(i, VS), [
        '--api-listen',
        `${directorSrvIp(i)}:${API_PORT}`,
        '--api-token-file',
        tokenFile,
      ]);
    }
    await lab.waitMaster(0);
    hammer = (async () => {
      while (hammering) {
        samples.push({ t: Date.now(), who: await httpFrom(lab.client, `http://${HA_VIP}:80`, 500) });
        await sleep(20);
      }
    })();
  });

  afterAll(async () => {
    hammering = false;
    await hammer;
    lab?.cleanup();
    if (user) deleteUser(user.name);
  });

  it('starts with nobody linked: both nodes report stopped (2)', async () => {
    const end = Date.now() + 15_000;
    let codes = await check();
    while (codes.some((c) => c === 3) && Date.now() < end) {
      await sleep(250);
      codes = await check();
    }
    expect(codes).toEqual([2, 2]);
  });

  it('links the first active node, then switches over back and forth, with one director failing in between', async () => {
    expect(await script(0, 'linkToLB.sh'), context()).toBe(0);
    expect(await script(0, 'linkToLB.sh'), context()).toBe(0); // linking twice succeeds
    expect(await check()).toEqual([0, 2]);
    const figures: string[] = [];
    let active = 0;
    for (let round = 0; round < 4; round++) {
      if (round === 2) {
        lab.failDirector(0);
        await lab.waitMaster(1, 15_000);
        await sleep(1500);
        figures.push('director 0 failed');
      }
      const to = 1 - active;
      const r = await switchover(active, to);
      expect(await check()).toEqual(to === 0 ? [0, 2] : [2, 0]);
      figures.push(
        `node${active}->node${to}: first success on node${to} after ${r.gapMs} ms, ${r.failed} failed requests`,
      );
      active = to;
    }
    process.stdout.write(`[mrs] ${figures.join('; ')}\n`);
  });

  it('reports abnormal (1) when the linked node fails its health check', async () => {
    // Stands on its own when the test before it failed: link node 0 first.
    if (!(await check()).includes(0)) expect(await script(0, 'linkToLB.sh'), context()).toBe(0);
    const active = (await check()).indexOf(0);
    expect(active, context()).toBeGreaterThanOrEqual(0);
    lab.nodes[active]!.ip('link', 'set', 'eth0', 'down');
    try {
      const end = Date.now() + 15_000;
      let code = await script(active === 0 ? 1 : 0, 'checkLB.sh');
      expect(code).toBe(2);
      // Ask through the other node's namespace: the failed one cannot reach the directors.
      const other = active === 0 ? 1 : 0;
      const probe = () =>
        new Promise<number>((resolve) => {
          const c = spawn('ip', [
            ...[
              'netns',
              'exec',
              lab.nodes[other]!.name,
              'setpriv',
              `--reuid=${user.uid}`,
              `--regid=${user.gid}`,
            ],
            ...['--init-groups', join(prefix, 'checkLB.sh'), '-lb', HA_VIP, nodeIp(active)],
          ]);
          c.on('close', (x) => resolve(x ?? -1));
        });
      code = await probe();
      while (code !== 1 && Date.now() < end) {
        await sleep(250);
        code = await probe();
      }
      expect(code).toBe(1);
    } finally {
      lab.nodes[active]!.ip('link', 'set', 'eth0', 'up');
      lab.nodes[active]!.ip('route', 'add', 'default', 'via', '10.81.1.1');
    }
  });
});

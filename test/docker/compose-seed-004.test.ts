// docker-compose.yml on a real Docker engine, brought up by testcontainers:
// two floatlb directors (the Debian package, --plane auto) share the VIP over
// VRRP in front of three web servers weighted 40/30/30; d1 is killed as the
// README says (`docker-compose kill d1`) and the client carries on through d2.

import { type StartedDockerComposeEnvironment, Wait } from 'testcontainers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  clientRecovered,
  compose,
  composeEnvironment,
  DOCKER,
  holdsVip as holds,
  leftovers,
  run,
  summary,
  waitFor,
} from './support.js';

const FILE = 'docker-compose.yml';
const VIP = '172.20.46.222';
const project = `fltc${process.pid}s4`;
const name = (service: string) => `${project}_${service}_1`;

let env: StartedDockerComposeEnvironment | undefined;

const holdsVip = (service: string) => holds(env, name(service), VIP);

describe('docker-compose.yml (seed 004) on the Docker engine', () => {
  beforeAll(async () => {
    env = await composeEnvironment(FILE, project)
      .withWaitStrategy(name('d1'), Wait.forLogMessage('(VI_1) entering MASTER state'))
      .withWaitStrategy(name('d2'), Wait.forLogMessage('(VI_1) entering BACKUP state'))
      .withWaitStrategy(name('client'), Wait.forLogMessage('split over'))
      .withStartupTimeout(180_000)
      .up();
  });

  afterAll(async () => {
    // A failed test still leaves nothing behind.
    if ((await leftovers(project)).length) await compose(project, FILE, ['down', '-v', '--timeout', '0']);
  });

  it('runs the directors on the data plane --plane auto picks for this kernel', async () => {
    const d1 = env?.getContainer(name('d1'));
    const r = await d1?.exec(['floatlb', 'status']);
    expect(r?.exitCode, r?.output).toBe(0);
    expect(r?.output).toContain(`${VIP}:80`);
    const plane = (await run('test', ['-e', '/proc/net/ip_vs'])).code === 0 ? 'ipvs' : 'nftables';
    const logs = await run(DOCKER, ['logs', name('d1')]);
    expect(logs.stdout + logs.stderr).toContain(`"plane":"${plane}"`);
  });

  it('splits 1000 new connections 40/30/30 across the three web servers', async () => {
    const client = env?.getContainer(name('client'));
    const r = await client?.exec([
      'node',
      'servers/client.mjs',
      '--target',
      `${VIP}:80`,
      '--proto',
      'http',
      '--count',
      '1000',
    ]);
    expect(r?.exitCode, r?.output).toBe(0);
    const s = summary(r?.output ?? '');
    expect(s.failed).toBe(0);
    expect(s.ok).toBe(1000);
    // lb_algo wrr with weights 40/30/30 (vnode-01 .78, vnode-03 .79, vnode-02 .80).
    expect(Math.abs((s.byServer['vnode-01'] ?? 0) - 400)).toBeLessThanOrEqual(50);
    expect(Math.abs((s.byServer['vnode-03'] ?? 0) - 300)).toBeLessThanOrEqual(50);
    expect(Math.abs((s.byServer['vnode-02'] ?? 0) - 300)).toBeLessThanOrEqual(50);
  });

  it('moves the VIP to d2 when d1 is killed (docker-compose kill d1), and the client continues', async () => {
    expect(await holdsVip('d1')).toBe(true);
    expect(await holdsVip('d2')).toBe(false);
    const killedAt = Date.now();
    const kill = await compose(project, FILE, ['kill', 'd1']);
    expect(kill.code, kill.stderr).toBe(0);
    await waitFor('the VIP on d2', () => holdsVip('d2'), 30_000);

    // The client's own loop (lab/docker/client.sh): answers from all three
    // servers again after the takeover.
    const after = await clientRecovered(name('client'), killedAt, 3, 30);
    const ok = after.filter((a) => a.ok);
    const failed = after.filter((a) => !a.ok);
    const gap = failed.length ? Math.max(...failed.map((a) => a.t)) - Math.min(...failed.map((a) => a.t)) : 0;
    console.log(
      `failover: ${failed.length} attempts failed over ${gap} ms, ${ok.length} answered since the kill`,
    );
  });

  it('docker-compose down leaves no container, network or volume behind', async () => {
    expect(await leftovers(project)).not.toEqual([]);
    await env?.down({ removeVolumes: true, timeout: 0 });
    env = undefined;
    expect(await leftovers(project)).toEqual([]);
  });
});

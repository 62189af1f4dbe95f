// docker-compose.seed-003.yml on a real Docker engine, one profile after the
// other on the same topology: floatlb (the Debian package) and the seed's own
// HAProxy 2.6 + keepalived 2.2.7. Each balances the two MyCat nodes evenly,
// and when the director holding the VIP is killed the other takes it and the
// client carries on.
import { type StartedDockerComposeEnvironment, Wait } from 'testcontainers';
import { afterAll, describe, expect, it } from 'vitest';
import {
  clientRecovered,
  compose,
  composeEnvironment,
  holdsVip as holds,
  leftovers,
  summary,
  waitFor,
} from './support.js';

const FILE = 'docker-compose.seed-003.yml';
const VIP = '192.168.175.220';

describe.each(['floatlb', 'haproxy'])('docker-compose.seed-003.yml, profile %s', (profile) => {
  const project = `fltc${process.pid}s3${profile[0]}`;
  const name = (service: string) => `${project}_${service}_1`;
  const directors = [`${profile}-d1`, `${profile}-d2`];
  let env: StartedDockerComposeEnvironment | undefined;

  const holdsVip = (service: string) => holds(env, name(service), VIP);

  afterAll(async () => {
    if ((await leftovers(project)).length) {
      await compose(project, FILE, ['--profile', profile, 'down', '-v', '--timeout', '0']);
    }
  });

  it('comes up and balances 400 new connections evenly over the two MyCat nodes', async () => {
    env = await composeEnvironment(FILE, project)
      .withProfiles(profile)
      .withWaitStrategy(name('client'), Wait.forLogMessage('split over'))
      .withStartupTimeout(180_000)
      .up();
    const r = await env
      .getContainer(name('client'))
      .exec(['node', 'servers/client.mjs', '--target', `${VIP}:8066`, '--proto', 'http', '--count', '400']);
    expect(r.exitCode, r.output).toBe(0);
    const s = summary(r.output);
    expect(s.failed).toBe(0);
    expect(Math.abs((s.byServer.huachao ?? 0) - 200)).toBeLessThanOrEqual(30);
    expect(Math.abs((s.byServer.mini1 ?? 0) - 200)).toBeLessThanOrEqual(30);
  });

  it('moves the VIP when the director holding it is killed, and the client continues', async () => {
    let holder = '';
    await waitFor(
      'one director holding the VIP',
      async () => {
        const held = [];
        for (const d of directors) if (await holdsVip(d)) held.push(d);
        holder = held.length === 1 ? (held[0] ?? '') : '';
        return holder !== '';
      },
      30_000,
    );
    const other = directors.find((d) => d !== holder) ?? '';
    const killedAt = Date.now();
    const kill = await compose(project, FILE, ['--profile', profile, 'kill', holder]);
    expect(kill.code, kill.stderr).toBe(0);
    await waitFor(`the VIP on ${other}`, () => holdsVip(other), 30_000);
    const after = await clientRecovered(name('client'), killedAt, 2, 20);
    const failed = after.filter((a) => !a.ok);
    console.log(
      `seed 003 ${profile}: ${holder} killed, ${failed.length} attempts failed before ${other} answered`,
    );
  });

  it('down leaves no container, network or volume behind', async () => {
    await env?.down({ removeVolumes: true, timeout: 0 });
    env = undefined;
    expect(await leftovers(project)).toEqual([]);
  });
});

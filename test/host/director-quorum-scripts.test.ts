// keepalived's quorum machinery with real scripts and a real health checker:
// MISC_CHECK runs as global_defs script_user, quorum_down (no user) as
// script_user too, quorum_up as the user and group it names; losing quorum
// puts the sorry server in place of every live real server; omega runs
// quorum_down at shutdown. The data plane is the in-memory fake: the kernel
// side is covered by the data plane suites.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/index.js';
import { Director } from '../../src/director/director.js';
import { HealthChecker } from '../../src/health/checker.js';
import { resolveIdentity } from '../../src/health/users.js';
import { FakeDataPlane } from '../support/fake-dataplane.js';
import { requireRoot } from '../support/require.js';

let dir: string;
const lines = () => {
  try {
    return readFileSync(join(dir, 'out', 'log'), 'utf8')
      .trim()
      .split('\n')
      .filter(Boolean);
  } catch {
    return [];
  }
};

async function until(what: string, ok: () => boolean): Promise<void> {
  const end = Date.now() + 30_000;
  while (!ok()) {
    if (Date.now() > end)
      throw new Error(`timed out waiting for ${what}; last lines: ${JSON.stringify(lines().slice(-6))}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(() => {
  requireRoot();
  dir = mkdtempSync(join(tmpdir(), 'floatlb-quorum-'));
  chmodSync(dir, 0o755);
  const out = join(dir, 'out');
  mkdirSync(out);
  chmodSync(out, 0o777);
  // Scripts run as three different users append to one log.
  writeFileSync(join(out, 'log'), '');
  chmodSync(join(out, 'log'), 0o666);
  // Each script logs what it is, its argument and who runs it.
  const s = (name: string, body: string) => {
    writeFileSync(join(dir, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(dir, name), 0o755);
  };
  s('quorum.sh', `echo "quorum $1 $(id -u):$(id -g)" >> ${out}/log`);
  s('misc.sh', `echo "misc $1 $(id -u):$(id -g)" >> ${out}/log\nexit $(cat ${dir}/flag-$1)`);
  writeFileSync(join(dir, 'flag-a'), '0');
  writeFileSync(join(dir, 'flag-b'), '0');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('quorum scripts, sorry server and script_user', () => {
  it('runs each script as the right user and swaps in the sorry server while quorum is lost', async () => {
    const nobody = resolveIdentity('nobody', 'nogroup');
    const daemon = resolveIdentity('daemon', 'daemon');
    const rs = (ip: string, flag: string) =>
      `  real_server ${ip} 80 {\n    weight 1\n    MISC_CHECK {\n      misc_path "${dir}/misc.sh ${flag}"\n      misc_timeout 10\n      delay_loop 0.2\n      warmup 0\n    }\n  }`;
    const text = `global_defs {
  script_user nobody nogroup
}
virtual_server 10.7.0.1 80 {
  lb_algo rr
  lb_kind NAT
  protocol TCP
  quorum 2
  omega
  quorum_up "${dir}/quorum.sh up" daemon daemon
  quorum_down "${dir}/quorum.sh down"
  sorry_server 10.7.9.9 80
${rs('10.7.1.1', 'a')}
${rs('10.7.1.2', 'b')}
}
`;
    const plane = new FakeDataPlane();
    const health = new HealthChecker();
    const d = new Director({
      plane,
      health,
      adminStatePath: join(dir, 'admin.json'),
      loadConfig: async () => parseConfigText(text, { file: 'q.conf' }),
    });
    const dests = async () =>
      (await plane.list()).flatMap((s) => s.dests.map((x) => `${x.address}=${x.weight}`));
    try {
      await d.start();
      await until('both checks ran', () => lines().some((l) => l.startsWith('misc b')));
      // MISC_CHECK names no user: it runs as script_user.
      expect(lines().filter((l) => l.startsWith('misc'))[0]).toMatch(
        new RegExp(` ${nobody.uid}:${nobody.gid}$`),
      );
      expect(await dests()).toEqual(['10.7.1.1=1', '10.7.1.2=1']);

      writeFileSync(join(dir, 'flag-b'), '1');
      await until('quorum_down', () => lines().some((l) => l.startsWith('quorum down')));
      expect(lines().find((l) => l.startsWith('quorum down'))).toBe(
        `quorum down ${nobody.uid}:${nobody.gid}`,
      );
      await until('sorry server alone', () => d.poolsStatus()[0]?.sorryServerInUse === true);
      await d.reconcile();
      expect(await dests()).toEqual(['10.7.9.9=1']);

      writeFileSync(join(dir, 'flag-b'), '0');
      await until('quorum_up', () => lines().some((l) => l.startsWith('quorum up')));
      expect(lines().find((l) => l.startsWith('quorum up'))).toBe(`quorum up ${daemon.uid}:${daemon.gid}`);
      await d.reconcile();
      expect((await dests()).sort()).toEqual(['10.7.1.1=1', '10.7.1.2=1']);
    } finally {
      await d.stop();
    }
    // omega: stopping with quorum held runs quorum_down once more.
    expect(lines().filter((l) => l.startsWith('quorum down'))).toHaveLength(2);
  });
});

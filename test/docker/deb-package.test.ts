// The Debian package (npm run package, as lab/docker/images.sh builds it),
// installed with dpkg into a clean Debian 13 root (floatlb-base: Debian's own
// packages, no floatlb), used the way an operator would, and removed again.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GenericContainer, type StartedTestContainer } from 'testcontainers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PID_LABEL } from './stale.js';
import { root, run, waitFor } from './support.js';

const DEB = join(root, 'dist/docker/floatlb.deb');
const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
const CONF = 'lab/scenarios/seed-004/keepalived.conf';
const VIP = '172.20.46.222';

let box: StartedTestContainer;

async function sh(script: string, workingDir = '/'): Promise<{ exitCode: number; output: string }> {
  const r = await box.exec(['sh', '-c', script], { workingDir });
  return { exitCode: r.exitCode, output: r.output };
}

async function start(image: string): Promise<StartedTestContainer> {
  return new GenericContainer(image)
    .withCommand(['sleep', 'infinity'])
    .withNetworkMode('none')
    .withLabels({ [PID_LABEL]: String(process.pid) })
    .withAddedCapabilities('NET_ADMIN', 'NET_RAW')
    .withBindMounts([
      { source: DEB, target: '/tmp/floatlb.deb', mode: 'ro' },
      { source: join(root, CONF), target: '/tmp/keepalived.conf', mode: 'ro' },
    ])
    .start();
}

describe('the Debian package in a clean Debian root', () => {
  beforeAll(async () => {
    box = await start('floatlb-base:latest');
  });
  afterAll(async () => {
    await box?.stop();
  });

  it('declares nodejs (>= engines.node) and installs with dpkg -i where Debian provides it', async () => {
    const deps = await run('dpkg-deb', ['-f', DEB, 'Depends']);
    expect(deps.stdout).toContain('nodejs (>= 20.19)');
    expect((await sh('dpkg-query -W floatlb')).exitCode).not.toBe(0);
    const node = await sh('dpkg --compare-versions "$(dpkg-query -W nodejs | cut -f2)" ge 20.19');
    expect(node.exitCode).toBe(0);
    const r = await sh('dpkg -i /tmp/floatlb.deb');
    expect(r.exitCode, r.output).toBe(0);
  });

  it('floatlb --version prints the package version', async () => {
    const r = await sh('floatlb --version');
    expect(r.exitCode, r.output).toBe(0);
    expect(r.output.trim()).toBe(version);
  });

  it('floatlb config check reads a keepalived.conf from / and names file:line:column on an error', async () => {
    expect(
      (await sh('mkdir -p /etc/keepalived && cp /tmp/keepalived.conf /etc/keepalived/keepalived.conf'))
        .exitCode,
    ).toBe(0);
    const ok = await sh('floatlb config check -f /etc/keepalived/keepalived.conf -i d1 --dump json');
    expect(ok.exitCode, ok.output).toBe(0);
    expect(ok.output).toContain(VIP);
    // Every `weight` without its value: keepalived 2.2.7 refuses such a file too
    // (an unknown lb_algo it only warns about).
    const bad = await sh(
      "sed 's/\\(weight\\) [0-9]*/\\1/' /etc/keepalived/keepalived.conf >/tmp/bad.conf && floatlb config check -f /tmp/bad.conf -i d1",
    );
    expect(bad.exitCode, bad.output).toBe(1);
    expect(bad.output).toContain('weight needs an integer');
    expect(bad.output).toMatch(/\/tmp\/bad\.conf:\d+:\d+/);
    expect(bad.output).not.toMatch(/\n\s+at /);
  });

  it('ships the unit, its state directory and floatlb(8) generated from the help', async () => {
    const files = await sh('dpkg -L floatlb');
    for (const f of [
      '/usr/bin/floatlb',
      '/usr/lib/floatlb/main.js',
      '/usr/lib/systemd/system/floatlb.service',
      '/usr/share/man/man8/floatlb.8.gz',
      '/var/lib/floatlb',
      '/etc/default/floatlb',
    ]) {
      expect(files.output.split('\n')).toContain(f);
    }
    // koffi's binary for this architecture only.
    const koffi = files.output.split('\n').filter((f) => f.endsWith('koffi.node'));
    expect(koffi).toHaveLength(1);
    const man = await sh('zcat /usr/share/man/man8/floatlb.8.gz');
    for (const cmd of ['run', 'status', 'reload', 'config check'])
      expect(man.output).toContain(`.SS floatlb ${cmd}\n`);
    const unit = await sh('cat /usr/lib/systemd/system/floatlb.service');
    expect(unit.output).toMatch(/^ExecReload=\/bin\/kill -HUP \$MAINPID$/m);
  });

  it("runs the unit's ExecStart line in the container's namespace: VIP up, SIGHUP reloads, SIGTERM releases", async () => {
    // What systemd would do: EnvironmentFile, RuntimeDirectory, then ExecStart.
    const unit = await sh('cat /usr/lib/systemd/system/floatlb.service');
    const execStart = /^ExecStart=(.*)$/m.exec(unit.output)?.[1];
    expect(execStart).toMatch(/^\/usr\/bin\/floatlb run /);
    const setup = await sh(
      [
        'set -e',
        // seed 004's d1: its two interfaces, as veth pairs in this namespace
        'ip link add eth0 type veth peer name eth0-peer',
        'ip link add eth1 type veth peer name eth1-peer',
        'ip addr add 172.20.46.78/24 dev eth0',
        'ip addr add 172.20.47.2/24 dev eth1',
        'for l in eth0 eth0-peer eth1 eth1-peer; do ip link set $l up; done',
        `echo 'FLOATLB_OPTS="-i d1"' >>/etc/default/floatlb`,
        'mkdir -p /run/floatlb',
      ].join('\n'),
    );
    expect(setup.exitCode, setup.output).toBe(0);
    const launch = await sh(
      `set -a; . /etc/default/floatlb; set +a; FLOATLB_LOG_LEVEL=info; export FLOATLB_LOG_LEVEL; nohup sh -c 'exec ${execStart}' >/var/log/floatlb.log 2>&1 &`,
    );
    expect(launch.exitCode, launch.output).toBe(0);
    const log = async () => (await sh('cat /var/log/floatlb.log')).output;
    const hasVip = async () =>
      (await sh(`ip -4 -o addr show dev eth0 | grep -q ' ${VIP}/32 '`)).exitCode === 0;
    await waitFor('the VIP on eth0 (d1 alone becomes MASTER)', hasVip, 30_000);
    const status = await sh('floatlb status');
    expect(status.exitCode, status.output).toBe(0);
    expect(status.output).toContain(`${VIP}:80`);

    const pid = (await sh('cat /run/floatlb/floatlb.pid')).output.trim();
    expect(pid).toMatch(/^\d+$/);
    expect(await log()).not.toContain('"msg":"reloaded"');
    expect((await sh(`kill -HUP ${pid}`)).exitCode).toBe(0);
    await waitFor('the reload in the log', async () => (await log()).includes('"msg":"reloaded"'), 20_000);
    // Same config: nothing to apply, and the VIP stays.
    expect(await log()).toMatch(/"operations":0,[^\n]*"msg":"reloaded"/);
    expect(await hasVip()).toBe(true);
    // Running, not a zombie (PID 1 here is `sleep`, which reaps nobody).
    const running = async () => (await sh(`grep -q '^State:.*[RS]' /proc/${pid}/status`)).exitCode === 0;
    expect(await running()).toBe(true);

    expect((await sh(`kill -TERM ${pid}`)).exitCode).toBe(0);
    await waitFor('floatlb to exit', async () => !(await running()), 20_000);
    expect(await hasVip()).toBe(false);
    expect(await log()).not.toMatch(/"level":[56]0/);
  });

  it('dpkg --purge removes the package and its files without warnings', async () => {
    const r = await sh('dpkg --purge floatlb 2>&1');
    expect(r.exitCode, r.output).toBe(0);
    expect(r.output).not.toMatch(/warning/i);
    expect((await sh('dpkg-query -W floatlb')).exitCode).not.toBe(0);
    const left = await sh(
      'for f in /usr/bin/floatlb /usr/lib/floatlb /var/lib/floatlb /etc/default/floatlb /usr/lib/systemd/system/floatlb.service; do [ ! -e $f ] || echo $f; done',
    );
    expect(left.output.trim()).toBe('');
  });
});

describe('the Debian package where nodejs is too old or missing', () => {
  it('dpkg -i refuses it in a Debian 12 root without a nodejs >= 20.19, naming the dependency', async () => {
    box = await start('floatlb-peer-base:latest');
    try {
      const r = await sh('dpkg -i /tmp/floatlb.deb 2>&1');
      expect(r.exitCode).not.toBe(0);
      expect(r.output).toMatch(/depends on nodejs \(>= 20\.19\)/);
    } finally {
      await box.stop();
    }
  });
});

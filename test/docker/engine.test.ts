// lab/docker/engine.sh on a private engine of its own (FLOATLB_ENGINE: its
// own socket, roots and no default bridge), so the tier's engine is never
// touched: it starts dockerd when none answers, recovers from a dockerd that
// died without stopping, and stops only an engine it started.
import { readFileSync, rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { removeStale } from './stale.js';
import { DOCKER, run } from './support.js';

const NAME = `fltt${process.pid}`;
const env = { FLOATLB_ENGINE: NAME };
const state = `/run/floatlb-lab/${NAME}.dockerd.pid`;
const engine = (action: string) => run('bash', ['lab/docker/engine.sh', action], env);
const ours = async () => (await run('pgrep', ['-f', `/run/floatlb-lab/${NAME}`])).stdout.trim();

describe('lab/docker/engine.sh', () => {
  afterAll(async () => {
    await engine('stop');
    // dockerd bind-mounts its data root onto itself and leaves it mounted.
    await run('umount', [`/var/lib/floatlb-lab/${NAME}`]);
    rmSync(`/var/lib/floatlb-lab/${NAME}`, { recursive: true, force: true });
    rmSync(`/run/floatlb-lab/${NAME}`, { recursive: true, force: true });
  });

  it('starts dockerd when no engine answers, and reuses one that does', async () => {
    expect((await engine('status')).code).not.toBe(0);
    const first = await engine('start');
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout.trim()).toBe('started');
    const v = await run(DOCKER, [
      '-H',
      `unix:///run/floatlb-lab/${NAME}.sock`,
      'version',
      '--format',
      '{{.Server.Version}}',
    ]);
    expect(v.code, v.stderr).toBe(0);
    expect(v.stdout).toMatch(/^20\.10\./);
    const again = await engine('start');
    expect(again.stdout.trim()).toBe('running');
  });

  it('recovers when the dockerd it started died without stopping', async () => {
    const pid = Number(readFileSync(state, 'utf8'));
    process.kill(pid, 'SIGKILL');
    const r = await engine('start');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('started');
    expect(r.stderr).toContain('restarting it');
    expect((await engine('status')).code).toBe(0);
  });

  it('stop leaves alone an engine it did not start, and stops the one it did with its containerd', async () => {
    const saved = readFileSync(state, 'utf8');
    rmSync(state);
    expect((await engine('stop')).code).toBe(0);
    expect((await engine('status')).code).toBe(0);
    await run('sh', ['-c', `echo ${saved.trim()} > ${state}`]);
    expect((await engine('stop')).code).toBe(0);
    expect((await engine('status')).code).not.toBe(0);
    expect(await ours()).toBe('');
  });
});

describe('what a crashed run left behind', () => {
  it("a network of a dead test process is removed, a live run's network is not", async () => {
    const deadPid = Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8')) + 1;
    const mk = (name: string, project: string, subnet: string) =>
      run(DOCKER, [
        'network',
        'create',
        '--label',
        `com.docker.compose.project=${project}`,
        '--subnet',
        subnet,
        name,
      ]);
    expect((await mk(`${NAME}-stale`, `fltc${deadPid}s4`, '10.251.0.0/24')).code).toBe(0);
    expect((await mk(`${NAME}-live`, `fltc${process.pid}s4`, '10.251.1.0/24')).code).toBe(0);
    try {
      const removed = removeStale();
      expect(removed.length).toBeGreaterThanOrEqual(1);
      const names = (await run(DOCKER, ['network', 'ls', '--format', '{{.Name}}'])).stdout.split('\n');
      expect(names).not.toContain(`${NAME}-stale`);
      expect(names).toContain(`${NAME}-live`);
      expect(removeStale()).toEqual([]);
    } finally {
      await run(DOCKER, ['network', 'rm', `${NAME}-stale`, `${NAME}-live`]);
    }
  });
});

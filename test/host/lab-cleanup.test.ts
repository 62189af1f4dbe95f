// `lab down` after a kill -9 of the lab: no namespace, interface or process
// it created is left, and nothing it did not create is touched.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sleep, waitFor } from '../../lab/lab.js';
import { listNetns, sh } from '../../lab/netns.js';
import { hostInterfaces, LabState, labStateDir, procAlive } from '../../lab/state.js';
import { requireRoot } from '../support/require.js';
import { REPO_ROOT } from '../support/root.js';

const lab = (args: string[]) =>
  execFileSync(process.execPath, [join(REPO_ROOT, 'dist/lab/cli.js'), ...args], { encoding: 'utf8' });

describe('lab down after kill -9 of the lab', () => {
  it('removes every namespace and process the lab recorded, and nothing else', async () => {
    requireRoot();
    const id = `t${process.pid}-k9`;
    const file = join(labStateDir(), `${id}.json`);
    const ifacesBefore = hostInterfaces().sort();
    // Not the lab's: a namespace with the same prefix that no record names.
    const intruder = `lab-${id}-intruder`;
    sh('ip', ['netns', 'add', intruder]);
    try {
      const run = spawn(
        process.execPath,
        [join(REPO_ROOT, 'dist/lab/cli.js'), 'test', 'seed-004', '--id', id],
        {
          stdio: 'ignore',
          detached: true,
        },
      );
      await waitFor(
        'both directors started',
        () => existsSync(file) && LabState.load(file).record.procs.some((p) => p.what === 'floatlb-d2'),
        60_000,
      );
      await sleep(1000);
      process.kill(run.pid!, 'SIGKILL');
      await sleep(300);
      const rec = LabState.load(file).record;
      const running = rec.procs.filter(procAlive);
      expect(running.length, 'servers and directors outlive the killed lab').toBeGreaterThan(3);
      expect(listNetns().filter((n) => rec.netns.includes(n)).length).toBe(rec.netns.length);

      const out = lab(['down', id]);
      expect(out).toMatch(new RegExp(`down ${id}: ${rec.netns.length} namespaces`));
      expect(listNetns().filter((n) => rec.netns.includes(n))).toEqual([]);
      expect(rec.procs.filter(procAlive)).toEqual([]);
      expect(existsSync(file)).toBe(false);
      expect(existsSync(join(labStateDir(), id))).toBe(false);
      expect(hostInterfaces().sort()).toEqual(ifacesBefore);
      expect(listNetns()).toContain(intruder);
      // A second down finds nothing to do.
      expect(lab(['down', id])).toContain(`no lab ${id} is up`);
    } finally {
      sh('ip', ['netns', 'del', intruder]);
    }
  }, 120_000);
});

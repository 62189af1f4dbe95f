// The README's main command, as a new user runs it: `npm run demo` reaches
// its summary within about a minute and leaves nothing behind.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listNetns } from '../../lab/netns.js';
import { requireRoot } from '../support/require.js';
import { REPO_ROOT } from '../support/root.js';

describe('npm run demo', () => {
  it('runs to its summary with the split, the VIP move and failed requests, and cleans up', () => {
    requireRoot();
    const before = listNetns().filter((n) => n.startsWith('lab-demo-'));
    const t0 = Date.now();
    const r = spawnSync(process.execPath, [join(REPO_ROOT, 'dist/lab/cli.js'), 'demo'], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    console.log(`${r.stdout}\n(demo took ${Date.now() - t0} ms)`);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/traffic split over 300 requests: +vnode-01 4\d\.\d%/);
    expect(r.stdout).toMatch(/VIP move after the master was killed: +\d+\.\d\d s/);
    expect(r.stdout).toMatch(/failed requests \(new connection\/20 ms\): \d+ of \d+/);
    expect(r.stdout).toMatch(/left behind: +nothing/);
    expect(listNetns().filter((n) => n.startsWith('lab-demo-'))).toEqual(before);
  }, 150_000);
});

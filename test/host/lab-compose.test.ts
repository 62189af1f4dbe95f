// docker-compose.yml describes the demo as containers. No Docker engine runs
// here, so CI checks that the file is valid with `docker-compose config`.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { requireTool } from '../support/require.js';
import { REPO_ROOT } from '../support/root.js';

describe('docker-compose.yml', () => {
  it('passes docker-compose config -q', () => {
    requireTool('docker-compose');
    const r = spawnSync('docker-compose', ['-f', 'docker-compose.yml', 'config', '-q'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('uses the seed-004 config and the lab servers that exist in the repository', () => {
    const r = spawnSync('docker-compose', ['-f', 'docker-compose.yml', 'config'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('lab/scenarios/seed-004/keepalived.conf');
    expect(r.stdout).toContain('NET_ADMIN');
  });
});

// The lab VM harness, driven from the host: exit codes and output come back,
// a hanging command is killed at its timeout, and nothing is left behind:
// no qemu, no job directory, also after a run that crashed.
import { execFileSync, spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { jobsDir } from '../../lab/vm/config.js';
import { cleanVms, runInKernelVm } from '../../lab/vm/index.js';
import { requireRoot, requireTool } from '../support/require.js';

const BOOT_BUDGET_MS = 600_000;

function qemuFor(jobId: string): string[] {
  try {
    return execFileSync('pgrep', ['-f', `floatlb-lab-${jobId}`], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

function requireLab(): void {
  requireRoot();
  requireTool('qemu-system-x86_64');
}

describe('lab VM from the host', () => {
  afterAll(() => {
    cleanVms();
  });

  it(
    'returns the command’s exit code and its stdout and stderr',
    { timeout: BOOT_BUDGET_MS + 60_000 },
    async () => {
      requireLab();
      const chunks: string[] = [];
      // The two streams travel on separate serial lines and may interleave byte by
      // byte: a pause keeps them apart so each line can be found whole.
      const r = await runInKernelVm('echo hi; sleep 1; echo oops >&2; sleep 1; uname -r; exit 7', {
        timeoutMs: BOOT_BUDGET_MS,
        onOutput: (c) => chunks.push(c),
      });
      expect(r.timedOut).toBe(false);
      expect(r.code).toBe(7);
      expect(r.output).toContain('hi\n');
      expect(r.output).toContain('oops\n');
      expect(r.output).toMatch(/^6\.1\.\d+-\d+-amd64$/m);
      expect(chunks.join('')).toBe(r.output);
      expect(existsSync(join(jobsDir(), r.jobId))).toBe(false);
      expect(qemuFor(r.jobId)).toEqual([]);
    },
  );

  it(
    'runs from a checkout under /tmp, which the guest otherwise has as its own tmpfs',
    { timeout: BOOT_BUDGET_MS + 60_000 },
    async () => {
      requireLab();
      const dir = mkdtempSync('/tmp/floatlb-vm-cwd-');
      try {
        writeFileSync(join(dir, 'marker'), 'from the host\n');
        const r = await runInKernelVm('cat marker; echo made >made-in-guest; ls /tmp', {
          timeoutMs: BOOT_BUDGET_MS,
          cwd: dir,
        });
        expect(r.code).toBe(0);
        expect(r.output).toContain('from the host\n');
        expect(readFileSync(join(dir, 'made-in-guest'), 'utf8')).toBe('made\n');
        // Only the checkout's directory shows through, not the rest of the host's /tmp.
        expect(r.output.trim().split('\n').slice(1)).toEqual([dir.slice('/tmp/'.length)]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  it('kills a hanging command at its timeout and leaves no qemu behind', { timeout: 120_000 }, async () => {
    requireLab();
    const r = await runInKernelVm(['sleep', '1000'], { timeoutMs: 15_000 });
    expect(r.timedOut).toBe(true);
    expect(r.code).toBe(124);
    expect(qemuFor(r.jobId)).toEqual([]);
    expect(existsSync(join(jobsDir(), r.jobId))).toBe(false);
  });

  it('clean kills the VM of a crashed run and removes its job directory', async () => {
    requireRoot();
    const saved = process.env.FLOATLB_LAB_CACHE;
    const cache = mkdtempSync('/var/tmp/floatlb-vm-test-');
    process.env.FLOATLB_LAB_CACHE = cache;
    const jobId = `stale-${process.pid}`;
    // A stand-in for an orphaned qemu: its command line names the job.
    const orphan = spawn('sh', ['-c', 'sleep 1000', `floatlb-lab-${jobId}`], {
      stdio: 'ignore',
      detached: true,
    });
    try {
      // A pid that is certainly dead: a child that already exited.
      const dead = execFileSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' }).trim();
      mkdirSync(join(jobsDir(), jobId), { recursive: true });
      writeFileSync(
        join(jobsDir(), jobId, 'owner.json'),
        JSON.stringify({ owner: Number(dead), qemu: orphan.pid }),
      );
      const live = `live-${process.pid}`;
      mkdirSync(join(jobsDir(), live));
      writeFileSync(join(jobsDir(), live, 'owner.json'), JSON.stringify({ owner: process.pid, qemu: 0 }));

      const exited = new Promise<NodeJS.Signals | null>((res) => orphan.once('exit', (_c, sig) => res(sig)));
      expect(cleanVms()).toEqual([jobId]);
      expect(readdirSync(jobsDir())).toEqual([live]);
      expect(await exited).toBe('SIGKILL');
      expect(qemuFor(jobId)).toEqual([]);
      expect(cleanVms({ all: true })).toEqual([live]);
    } finally {
      if (orphan.exitCode === null) orphan.kill('SIGKILL');
      if (saved === undefined) delete process.env.FLOATLB_LAB_CACHE;
      else process.env.FLOATLB_LAB_CACHE = saved;
      rmSync(cache, { recursive: true, force: true });
    }
  });
});

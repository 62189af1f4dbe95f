// MISC_CHECK and notify scripts with real processes: exit codes, timeouts
// that kill the whole process group, misc_dynamic weights, running as
// another user, and script security.
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HealthChecker } from '../../src/health/checker.js';
import { probe } from '../../src/health/probes/index.js';
import type { MiscCheck } from '../../src/health/types.js';
import { resolveIdentity } from '../../src/health/users.js';
import { requireRoot } from '../support/require.js';
import { Recorder } from './health-support.js';

let dir: string;
const signal = new AbortController().signal;
const nobody = () => resolveIdentity('nobody');

function script(name: string, body: string, mode = 0o755): string {
  const p = join(dir, name);
  writeFileSync(p, `#!/bin/sh\n${body}\n`);
  chmodSync(p, mode);
  return p;
}

function misc(miscPath: string, extra: Partial<MiscCheck> = {}) {
  return {
    type: 'MISC_CHECK' as const,
    miscPath,
    delayLoop: 200,
    warmup: 0,
    miscTimeout: 800,
    host: '127.0.0.1',
    port: 0,
    ...extra,
  };
}

/** Alive and not a zombie waiting for its (re)parent to reap it. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

beforeAll(() => {
  requireRoot();
  dir = mkdtempSync(join(tmpdir(), 'hc-misc-'));
  chmodSync(dir, 0o755);
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('MISC_CHECK', () => {
  it('follows the exit code: up, down on exit 1, down on a hang (group killed), up again', async () => {
    const state = join(dir, 'state');
    const pidfile = join(dir, 'grandchild.pid');
    writeFileSync(state, '0');
    const p = script(
      'check.sh',
      `s=$(cat ${state})\nif [ "$s" = hang ]; then sleep 1000 & echo $! >> ${pidfile}; wait; fi\nexit "$s"`,
    );
    const hc = new HealthChecker();
    const rec = new Recorder(hc);
    await hc.setTargets([{ id: 'misc', host: '127.0.0.1', port: 0, checks: [misc(p)], alpha: true }]);
    hc.start();
    try {
      expect(await rec.next('misc')).toMatchObject({ up: true });
      writeFileSync(state, '1');
      expect(await rec.next('misc')).toEqual({ target: 'misc', up: false, reason: `misc ${p}: exit 1` });
      writeFileSync(state, '0');
      expect(await rec.next('misc')).toMatchObject({ up: true });
      writeFileSync(state, 'hang');
      expect(await rec.next('misc')).toEqual({ target: 'misc', up: false, reason: `misc ${p}: timeout` });
      // The timed-out run's own child (sleep) died with its process group.
      // (Later runs may have appended more pids while the state stays "hang".)
      const grandchild = Number(readFileSync(pidfile, 'utf8').split('\n')[0]);
      expect(grandchild).toBeGreaterThan(1);
      // The kill is sent when the timeout fires; the process may take a moment to go.
      for (let i = 0; alive(grandchild) && i < 40; i++) await new Promise((r) => setTimeout(r, 50));
      expect(alive(grandchild)).toBe(false);
      writeFileSync(state, '0');
      expect(await rec.next('misc')).toMatchObject({ up: true });
    } finally {
      await hc.stop();
    }
  });

  it('misc_dynamic: exit 2..255 sets the weight to code-2', async () => {
    const p = script('dyn.sh', 'exit 12');
    expect(await probe(misc(p, { miscDynamic: true }), signal)).toMatchObject({ ok: true, weight: 10 });
    expect(await probe(misc(p), signal)).toMatchObject({ ok: false, reason: `misc ${p}: exit 12` });
  });

  it('runs as the configured user', async () => {
    const p = script('who.sh', `[ "$(id -u)" = ${nobody().uid} ] && [ "$(id -g)" = ${nobody().gid} ]`);
    expect(await probe(misc(p, { user: 'nobody' }), signal)).toMatchObject({ ok: true });
    expect(await probe(misc(p), signal)).toMatchObject({ ok: false, reason: `misc ${p}: exit 1` });
    expect(await probe(misc(p, { user: 'no-such-user-hc' }), signal)).toMatchObject({
      ok: false,
      reason: 'unknown user no-such-user-hc',
    });
  });

  it('script security refuses scripts a non-root user could change when running as root', async () => {
    const open = join(dir, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    const inOpen = join(open, 'ok.sh');
    writeFileSync(inOpen, '#!/bin/sh\nexit 0\n');
    chmodSync(inOpen, 0o755);
    expect(await probe(misc(inOpen, { enableScriptSecurity: true }), signal)).toMatchObject({
      ok: false,
      reason: `script ${inOpen} refused by script security: ${open} is world-writable`,
    });
    expect(await probe(misc(inOpen), signal)).toMatchObject({ ok: true });

    const owned = script('owned.sh', 'exit 0');
    chownSync(owned, nobody().uid, nobody().gid);
    expect(await probe(misc(owned, { enableScriptSecurity: true }), signal)).toMatchObject({
      ok: false,
      reason: `script ${owned} refused by script security: ${owned} is owned by uid ${nobody().uid}`,
    });
    // Run as that user instead, the rule does not apply.
    expect(await probe(misc(owned, { enableScriptSecurity: true, user: 'nobody' }), signal)).toMatchObject({
      ok: true,
    });
  });
});

describe('notify scripts', () => {
  it('run notify_down and notify_up on state changes', async () => {
    const log = join(dir, 'notify.log');
    const state = join(dir, 'nstate');
    writeFileSync(state, '0');
    const check = script('n-check.sh', `exit $(cat ${state})`);
    const notify = script('notify.sh', `echo "$1 $2" >> ${log}`);
    const hc = new HealthChecker({ enableScriptSecurity: true });
    const rec = new Recorder(hc);
    await hc.setTargets([
      {
        id: 'n',
        host: '127.0.0.1',
        port: 0,
        checks: [misc(check)],
        notifyUp: { command: `${notify} rs1 UP` },
        notifyDown: { command: `${notify} rs1 DOWN` },
      },
    ]);
    hc.start();
    try {
      writeFileSync(state, '1');
      expect(await rec.next('n')).toMatchObject({ up: false });
      writeFileSync(state, '0');
      expect(await rec.next('n')).toMatchObject({ up: true });
    } finally {
      await hc.stop();
    }
    expect(existsSync(log)).toBe(true);
    expect(readFileSync(log, 'utf8')).toBe('rs1 DOWN\nrs1 UP\n');
  });
});

// Host tier (root): adapters/install.sh (layout, ownership, modes,
// idempotence, uninstall) and the adapter's log (one readable line per call,
// size-based rotation that loses nothing under concurrent calls).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MRS_POOL_CONF } from '../support/mrs-pool.js';
import { requireRoot, requireTool } from '../support/require.js';
import {
  ADAPTERS,
  deleteUser,
  install,
  logLines,
  NOBODY,
  openTempDir,
  runScript,
  TestDirector,
} from './adapter-support.js';

const USER = 'adinst';
let dir: string;
let prefix: string;
let uid: number;
let gid: number;

function mode(path: string): string {
  return (statSync(path).mode & 0o7777).toString(8);
}
function owner(path: string): string {
  const s = statSync(path);
  return `${s.uid}:${s.gid}`;
}
/** Every path under the prefix with its mode, owner and content hash. */
function snapshot(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n);
      const s = statSync(p);
      out.push(`${p.slice(root.length)} ${mode(p)} ${owner(p)} ${s.isFile() ? readFileSync(p, 'utf8') : ''}`);
      if (s.isDirectory()) walk(p);
    }
  };
  walk(root);
  return out;
}

beforeAll(() => {
  requireRoot();
  requireTool('curl');
  requireTool('flock');
  deleteUser(USER);
  dir = openTempDir('install');
  prefix = join(dir, 'opt', 'loadBalanceAdapt');
});

afterAll(() => {
  deleteUser(USER);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('install.sh', () => {
  it('refuses a missing user unless asked to create it', () => {
    const r = spawnSync('sh', [join(ADAPTERS, 'install.sh'), '--prefix', prefix, '--user', USER], {
      encoding: 'utf8',
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(`user ${USER} does not exist (create it, or pass --create-user)`);
    expect(existsSync(prefix)).toBe(false);
  });

  it('refuses malformed options', () => {
    for (const args of [
      ['--director', 'localhost:80'],
      ['--prefix', 'relative'],
      ['--bogus'],
      ['--prefix'],
    ]) {
      const r = spawnSync('sh', [join(ADAPTERS, 'install.sh'), ...args], { encoding: 'utf8' });
      expect({ args, status: r.status }).toEqual({ args, status: 1 });
      expect(r.stderr).toMatch(/install\.sh: /);
    }
  });

  it('installs with the user created, ownership and modes for omm, the token hidden from others', () => {
    const tokenFile = join(dir, 'token.in');
    writeFileSync(tokenFile, 'abc123\n', { mode: 0o600 });
    install([
      '--prefix',
      prefix,
      '--user',
      USER,
      '--create-user',
      '--director',
      '/run/floatlb/api.sock',
      '--director',
      'http://[::1]:9001',
      '--token-file',
      tokenFile,
    ]);
    uid = Number(execFileSync('id', ['-u', USER], { encoding: 'utf8' }));
    gid = Number(execFileSync('id', ['-g', USER], { encoding: 'utf8' }));
    const g = `0:${gid}`;
    expect([mode(prefix), owner(prefix)]).toEqual(['755', '0:0']);
    for (const s of ['linkToLB.sh', 'unLinkToLB.sh', 'checkLB.sh']) {
      expect([mode(join(prefix, s)), owner(join(prefix, s))]).toEqual(['755', '0:0']);
    }
    expect(mode(join(prefix, 'lib/common.sh'))).toBe('644');
    expect([mode(join(prefix, 'etc/directors.conf')), owner(join(prefix, 'etc/directors.conf'))]).toEqual([
      '644',
      g,
    ]);
    expect([mode(join(prefix, 'etc/token')), owner(join(prefix, 'etc/token'))]).toEqual(['640', g]);
    expect(readFileSync(join(prefix, 'etc/token'), 'utf8')).toBe('abc123\n');
    expect([mode(join(prefix, 'log')), owner(join(prefix, 'log'))]).toEqual(['2770', g]);
    expect([mode(join(prefix, 'log/adapter.log')), owner(join(prefix, 'log/adapter.log'))]).toEqual([
      '660',
      g,
    ]);
    const conf = readFileSync(join(prefix, 'etc/directors.conf'), 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'));
    expect(conf).toEqual(['/run/floatlb/api.sock', 'http://[::1]:9001']);
    // nobody cannot read the token; the user can.
    expect(spawnSync('cat', [join(prefix, 'etc/token')], { uid: NOBODY.uid, gid: NOBODY.gid }).status).toBe(
      1,
    );
    expect(spawnSync('cat', [join(prefix, 'etc/token')], { uid, gid, encoding: 'utf8' }).stdout).toBe(
      'abc123\n',
    );
  });

  it('is idempotent and keeps the directors list when none is given', () => {
    const before = snapshot(prefix);
    install(['--prefix', prefix, '--user', USER]);
    install(['--prefix', prefix, '--user', USER, '--create-user']);
    expect(snapshot(prefix)).toEqual(before);
  });

  it('lets the user run the scripts and write the log; nobody runs them but cannot log', async () => {
    const r = await runScript(prefix, 'checkLB.sh', ['-lb', '192.168.0.50', '192.168.1.2'], { uid, gid });
    expect(r.code).toBe(3); // nothing listens on the configured endpoints
    const last = logLines(prefix).at(-1)!;
    expect(last).toContain(`uid=${uid} user=${USER}`);
    const n = await runScript(prefix, 'checkLB.sh', ['-lb', '192.168.0.50', '192.168.1.2'], NOBODY);
    expect(n.code).toBe(3);
    expect(n.stderr).toMatch(/cannot write .*adapter\.log/);
    expect(logLines(prefix).at(-1)).toBe(last);
  });

  it('uninstalls, keeping the logs unless --purge, and is idempotent', () => {
    install(['--uninstall', '--prefix', prefix]);
    expect(readdirSync(prefix)).toEqual(['log']);
    expect(logLines(prefix).length).toBeGreaterThan(0);
    install(['--uninstall', '--prefix', prefix]);
    install(['--uninstall', '--prefix', prefix, '--purge']);
    expect(existsSync(prefix)).toBe(false);
    expect(install(['--uninstall', '--prefix', prefix])).toMatch(/nothing installed/);
  });
});

describe('the adapter log', () => {
  let d: TestDirector;
  let lp: string;

  beforeAll(async () => {
    lp = join(dir, 'logged');
    const g = Number(execFileSync('getent', ['group', USER], { encoding: 'utf8' }).split(':')[2]);
    d = new TestDirector(MRS_POOL_CONF, join(dir, 'log-director.sock'), join(dir, 'log-director.json'), g);
    await d.start();
    install(['--prefix', lp, '--user', USER, '--director', join(dir, 'log-director.sock')]);
  });

  afterAll(async () => {
    await d?.stop();
  });

  it('writes who, when, arguments, result, latency and the director answer on one line', async () => {
    const r = await runScript(lp, 'linkToLB.sh', ['-lb', '192.168.0.50', '192.168.1.2'], { uid, gid });
    expect(r.code).toBe(0);
    const line = logLines(lp).at(-1)!;
    const m =
      /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d{4}) script=linkToLB\.sh pid=(\d+) uid=(\d+) user=(\S+) caller=(\S+) args="(.*?)" exit=(\d) ms=(\d+) (.*?) result="(.*?)" d1=(\S+) d1\.http=(\d{3}) d1\.curl=(\d+) d1\.answer="(.*)"$/.exec(
        line,
      );
    expect(m, line).not.toBeNull();
    const [, time, , u, name, caller, args, code, , summary, result, ep, http, , answer] = m!;
    expect(Math.abs(Date.parse(time!) - Date.now())).toBeLessThan(60_000);
    expect([u, name, args, code, ep, http]).toEqual([
      String(uid),
      USER,
      '-lb 192.168.0.50 192.168.1.2',
      '0',
      join(dir, 'log-director.sock'),
      '200',
    ]);
    expect(caller).toMatch(/^\S+\(\d+\)$/);
    expect(summary).toBe('ok=1 refused=0 unreachable=0');
    expect(result).toMatch(/linked on 1 director/);
    expect(answer).toBe('running');
  });

  it('rotates by size under concurrent calls without losing or tearing a line', async () => {
    const env = { ADAPT_LOG_MAX_BYTES: '3000', ADAPT_LOG_KEEP: '40' };
    const before = logLines(lp).length;
    const calls = 48;
    for (let i = 0; i < calls; i += 12) {
      await Promise.all(
        Array.from({ length: 12 }, (_, j) =>
          runScript(
            lp,
            'checkLB.sh',
            ['-lb', '192.168.0.50', `192.168.1.${2 + ((i + j) % 2)}`],
            { uid, gid },
            env,
          ),
        ),
      );
    }
    const files = readdirSync(join(lp, 'log')).filter((f) => /^adapter\.log(\.\d+)?$/.test(f));
    expect(files.length).toBeGreaterThan(3);
    const lines = files.flatMap((f) => logLines(lp, f));
    expect(lines).toHaveLength(before + calls);
    for (const l of lines) expect(l).toMatch(/^\d{4}-\S+ script=\S+ pid=\d+ .* d1\.answer=".*"$/);
    for (const f of files) {
      // At most one over the limit: a file is rotated after the write that crosses it.
      const sz = statSync(join(lp, 'log', f)).size;
      const longest = Math.max(0, ...logLines(lp, f).map((l) => l.length + 1)); // a fresh log may be empty
      expect(sz).toBeLessThanOrEqual(3000 + longest * 12);
      expect(owner(join(lp, 'log', f))).toMatch(new RegExp(`:${gid}$`));
      expect(mode(join(lp, 'log', f))).toBe('660');
    }
  });

  it('keeps only ADAPT_LOG_KEEP rotated files', async () => {
    const env = { ADAPT_LOG_MAX_BYTES: '600', ADAPT_LOG_KEEP: '2' };
    for (let i = 0; i < 8; i++) {
      await runScript(lp, 'checkLB.sh', ['-lb', '192.168.0.50', '192.168.1.2'], { uid, gid }, env);
    }
    const files = readdirSync(join(lp, 'log'))
      .filter((f) => /^adapter\.log(\.\d+)?$/.test(f))
      .sort();
    expect(files).toEqual(['adapter.log', 'adapter.log.1', 'adapter.log.2']);
  });
});

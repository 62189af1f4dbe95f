// Host tier (root, a namespace): the adapter scripts against a real
// `floatlb run` process on the nftables plane. The scripts, run as a member
// of the API group, decide which node gets new connections to the VIP, and
// the link state outlives a restart of the director.
//
//   one namespace: VIP 10.61.0.50 and the nodes 10.61.1.2/.3 on lo; .4 is
//   configured but nothing listens there (its TCP_CHECK fails).
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Netns } from '../../lab/netns.js';
import { testNetns } from '../support/netns.js';
import { requireRoot, requireTool } from '../support/require.js';
import {
  createUser,
  deleteUser,
  install,
  NOBODY,
  openTempDir,
  runScript,
  type TestUser,
} from './adapter-support.js';

const ROOT = resolve(import.meta.dirname, '../..');
const VIP = '10.61.0.50';
const N2 = '10.61.1.2';
const N3 = '10.61.1.3';
const SICK = '10.61.1.4';
const PORT = 20026;

const CONFIG = `virtual_server ${VIP} ${PORT} {
  delay_loop 1
  lb_algo rr
  lb_kind NAT
  protocol TCP
  alpha
  active_standby
${[N2, N3, SICK]
  .map(
    (n) => `  real_server ${n} ${PORT} {
    weight 1
    inhibit_on_failure
    TCP_CHECK {
      connect_timeout 1
    }
  }`,
  )
  .join('\n')}
}
`;

let ns: Netns;
let user: TestUser;
let dir: string;
let prefix: string;
let director: ChildProcess | null = null;
const sock = () => join(dir, 'api.sock');

async function startDirector(): Promise<void> {
  rmSync(sock(), { force: true });
  const p = spawn(
    'ip',
    [
      ...['netns', 'exec', ns.name, process.execPath, join(ROOT, 'dist/src/cli/main.js'), 'run'],
      ...['-f', join(dir, 'keepalived.conf'), '--plane', 'nftables', '--state-dir', join(dir, 'state')],
      ...['--api-socket', sock(), '--api-group', user.name, '--api-mode', '660'],
    ],
    { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, FLOATLB_LOG_LEVEL: 'warn' } },
  );
  let err = '';
  p.stderr!.on('data', (b: Buffer) => {
    err += b.toString();
  });
  director = p;
  const until = Date.now() + 30_000;
  while (!existsSync(sock())) {
    if (p.exitCode !== null) throw new Error(`floatlb run exited ${p.exitCode}: ${err}`);
    if (Date.now() > until) throw new Error(`floatlb run did not open its socket: ${err}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function stopDirector(): Promise<void> {
  const p = director;
  director = null;
  if (!p || p.exitCode !== null) return;
  const exited = new Promise((r) => p.once('exit', r));
  p.kill('SIGTERM');
  await exited;
}

const as = () => ({ uid: user.uid, gid: user.gid });
const run = (script: string, node: string, who = as()) => runScript(prefix, script, ['-lb', VIP, node], who);

/** Which node answers a new connection to the VIP (null: none). */
async function whoServes(): Promise<string | null> {
  try {
    const out = await ns.execAsync('socat', '-T', '15', '-', `TCP:${VIP}:${PORT},connect-timeout=10`);
    return out.trim() || null;
  } catch {
    return null;
  }
}

/** Waits until the health checks see the nodes as the test expects (checkLB as the observer). */
async function waitCheck(node: string, code: number): Promise<void> {
  const until = Date.now() + 30_000;
  for (;;) {
    if ((await run('checkLB.sh', node)).code === code) return;
    if (Date.now() > until) throw new Error(`checkLB ${node} never gave ${code}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

beforeAll(async () => {
  requireRoot();
  for (const t of ['curl', 'flock', 'socat', 'nft']) requireTool(t);
  if (!existsSync(join(ROOT, 'dist/src/cli/main.js'))) throw new Error('run npm run build first');
  user = createUser('addir');
  dir = openTempDir('director');
  writeFileSync(join(dir, 'keepalived.conf'), CONFIG);
  ns = testNetns('ad');
  for (const a of [VIP, N2, N3, SICK]) ns.ip('addr', 'add', `${a}/32`, 'dev', 'lo');
  for (const [n, name] of [
    [N2, 'n2'],
    [N3, 'n3'],
  ] as const) {
    ns.spawn('socat', [`TCP-LISTEN:${PORT},bind=${n},reuseaddr,fork`, `SYSTEM:echo ${name}`]);
  }
  prefix = join(dir, 'loadBalanceAdapt');
  install(['--prefix', prefix, '--user', user.name, '--director', sock()]);
  await startDirector();
});

afterAll(async () => {
  await stopDirector();
  ns?.delete();
  if (user) deleteUser(user.name);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the scripts against floatlb run (nftables)', () => {
  it('starts with nobody linked: every node stopped, no node serves the VIP', async () => {
    await waitCheck(N2, 2);
    expect((await run('checkLB.sh', N3)).code).toBe(2);
    expect(await whoServes()).toBeNull();
  });

  it('linkToLB makes the node the one that gets new connections', async () => {
    expect((await run('linkToLB.sh', N2)).code).toBe(0);
    await waitCheck(N2, 0);
    expect(await whoServes()).toBe('n2');
    expect((await run('linkToLB.sh', N2)).code).toBe(0); // twice
    expect(await whoServes()).toBe('n2');
  });

  it('a switchover (unlink old + link new at once) moves new connections to the new node', async () => {
    const r = await Promise.all([run('unLinkToLB.sh', N2), run('linkToLB.sh', N3)]);
    expect(r.map((x) => x.code)).toEqual([0, 0]);
    expect((await run('checkLB.sh', N2)).code).toBe(2);
    await waitCheck(N3, 0);
    // A client retries a failed connect; what matters is who serves, never n2.
    const settled = async () => (await whoServes()) ?? (await whoServes()) ?? (await whoServes());
    for (let i = 0; i < 5; i++) expect(await settled()).toBe('n3');
  });

  it('reports a linked node that fails its health check as abnormal (1)', async () => {
    expect((await run('linkToLB.sh', SICK)).code).toBe(0);
    await waitCheck(SICK, 1);
    expect((await run('checkLB.sh', N3)).code).toBe(2);
  });

  it('refuses a caller without access (nobody) and changes nothing', async () => {
    expect((await run('linkToLB.sh', N3, NOBODY)).code).toBe(1);
    expect((await run('checkLB.sh', N3, NOBODY)).code).toBe(3);
    expect((await run('checkLB.sh', SICK)).code).toBe(1);
  });

  it('an unknown LB IP is 3 for check and 1 for link', async () => {
    expect((await runScript(prefix, 'checkLB.sh', ['-lb', '10.61.0.99', N2], as())).code).toBe(3);
    expect((await runScript(prefix, 'linkToLB.sh', ['-lb', '10.61.0.99', N2], as())).code).toBe(1);
  });

  it('director down: 3 and 1; after a restart the link state is still there', async () => {
    expect((await run('linkToLB.sh', N2)).code).toBe(0);
    await waitCheck(N2, 0);
    await stopDirector();
    expect((await run('checkLB.sh', N2)).code).toBe(3);
    expect((await run('linkToLB.sh', N3)).code).toBe(1);
    expect((await run('unLinkToLB.sh', N2)).code).toBe(1);
    await startDirector();
    await waitCheck(N2, 0);
    expect((await run('checkLB.sh', N3)).code).toBe(2);
    expect(await whoServes()).toBe('n2');
  });
});

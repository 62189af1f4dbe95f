// Host tier (root: the scripts run as other users). The contract of
// linkToLB.sh / unLinkToLB.sh / checkLB.sh as a table: each script in each
// situation gives the asserted exit code, and link/unlink leave the asserted
// state on the directors. The scripts are installed with adapters/install.sh
// and run as a user of the socket's group, as root, and as nobody. Every call
// goes through a symlink to the installed script, from the working directory
// /, as a cluster manager calls them from its own bin directory.
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireRoot, requireTool } from '../support/require.js';
import {
  ADAPTERS,
  createUser,
  deleteUser,
  install,
  listenAll,
  logLines,
  NOBODY,
  openTempDir,
  runScript as runInstalled,
  type ScriptResult,
  TestDirector,
  type TestUser,
} from './adapter-support.js';

const LB = '192.168.0.50';
const LB2 = '192.168.0.60'; // a second floating IP with the same nodes
const LB6 = '2001:db8::50';
const UNKNOWN_LB = '192.168.0.99';
const ACTIVE = '127.0.0.2';
const STANDBY = '127.0.0.3';
const SICK = '127.0.0.4'; // nothing listens there: its TCP_CHECK fails
const STRANGER = '127.0.0.9'; // not a real server of any pool
const NODE6 = '::1';
const TOKEN = 'adapter-test-token-0123456789abcdef';

function config(port: number): string {
  const rs = (a: string) => `  real_server ${a} ${port} {
    weight 1
    inhibit_on_failure
    TCP_CHECK {
      connect_timeout 1
    }
  }`;
  const vs = (vip: string, nodes: string[], activeStandby = true) => `virtual_server ${vip} ${port} {
  delay_loop 1
  lb_algo rr
  lb_kind NAT
  protocol TCP
  alpha
${activeStandby ? '  active_standby\n' : ''}${nodes.map(rs).join('\n')}
}`;
  return [vs(LB, [ACTIVE, STANDBY, SICK]), vs(LB2, [ACTIVE, STANDBY], false), vs(LB6, [NODE6])].join('\n');
}

let user: TestUser;
let dir: string;
let a: TestDirector;
let b: TestDirector;
let servers: { port: number; close(): void };
/** Installed prefixes: one director, the pair, TCP, and a director that is down. */
const pfx = { one: '', pair: '', tcp: '', down: '', tcpDown: '' };

beforeAll(async () => {
  requireRoot();
  requireTool('curl');
  requireTool('flock');
  user = createUser('adomm');
  dir = openTempDir('contract');
  servers = await listenAll([ACTIVE, STANDBY, NODE6]);
  const conf = config(servers.port);
  a = new TestDirector(conf, join(dir, 'a.sock'), join(dir, 'a.json'), user.gid, { token: TOKEN });
  b = new TestDirector(conf, join(dir, 'b.sock'), join(dir, 'b.json'), user.gid);
  await a.start();
  await b.start();
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, `${TOKEN}\n`, { mode: 0o600 });
  const inst = (name: keyof typeof pfx, directors: string[], extra: string[] = []) => {
    pfx[name] = join(dir, name);
    install([
      '--prefix',
      pfx[name],
      '--user',
      user.name,
      ...directors.flatMap((d) => ['--director', d]),
      ...extra,
    ]);
  };
  // The symlinks the calls go through: PREFIX's scripts seen from another directory.
  const linked = (name: keyof typeof pfx) => {
    const bin = join(dir, `bin-${name}`);
    mkdirSync(bin, { mode: 0o755 });
    for (const f of SCRIPTS) symlinkSync(join(pfx[name], f), join(bin, f));
    links.set(pfx[name], bin);
  };
  inst('one', [a.socket]);
  inst('pair', [a.socket, b.socket]);
  inst('tcp', [`http://127.0.0.1:${a.tcpPort}`], ['--token-file', tokenFile]);
  inst('down', [join(dir, 'gone.sock')]);
  inst('tcpDown', ['http://127.0.0.1:1'], ['--token-file', tokenFile]);
  for (const name of Object.keys(pfx) as Array<keyof typeof pfx>) linked(name);
  for (const d of [a, b]) await d.settled(LB, { [ACTIVE]: true, [STANDBY]: true, [SICK]: false });
  for (const d of [a, b]) await d.settled(LB6, { [NODE6]: true });
});

afterAll(async () => {
  await a?.stop();
  await b?.stop();
  servers?.close();
  if (user) deleteUser(user.name);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

type Script = 'linkToLB.sh' | 'unLinkToLB.sh' | 'checkLB.sh';
const SCRIPTS: readonly Script[] = ['linkToLB.sh', 'unLinkToLB.sh', 'checkLB.sh'];
/** Installed prefix -> the directory of symlinks to its scripts. */
const links = new Map<string, string>();

/** Runs an installed script through its symlink, with / as the working directory. */
function runScript(
  prefix: string,
  script: Script,
  args: readonly string[],
  who?: { uid: number; gid: number },
): Promise<ScriptResult> {
  return runInstalled(links.get(prefix)!, script, args, who);
}
const asUser = () => ({ uid: user.uid, gid: user.gid });

/** Sets the link state on the given directors directly (not through the scripts). */
async function setLinks(ds: TestDirector[], vip: string, links: Record<string, 'linked' | 'unlinked'>) {
  for (const d of ds) for (const [n, s] of Object.entries(links)) await d.director.setLink(vip, n, s);
}

function linkOf(d: TestDirector, vip: string, node: string): string | undefined {
  return d.member(vip, node)?.link;
}

describe('contract table: one director on the unix socket, caller in the socket group', () => {
  // [script, situation, setup links, LB IP, target, exit code, link state after (or null: unchanged/none)]
  type Row = [Script, string, Record<string, 'linked' | 'unlinked'>, string, string, number, string | null];
  const rows: Row[] = [
    ['checkLB.sh', 'node linked and healthy', { [ACTIVE]: 'linked' }, LB, ACTIVE, 0, 'linked'],
    ['checkLB.sh', 'node unlinked', { [ACTIVE]: 'linked' }, LB, STANDBY, 2, 'unlinked'],
    ['checkLB.sh', 'node linked but unhealthy', { [SICK]: 'linked' }, LB, SICK, 1, 'linked'],
    ['checkLB.sh', 'LB IP unknown', {}, UNKNOWN_LB, ACTIVE, 3, null],
    ['checkLB.sh', 'target not behind the LB IP', {}, LB, STRANGER, 3, null],
    ['linkToLB.sh', 'node unlinked', { [ACTIVE]: 'unlinked' }, LB, ACTIVE, 0, 'linked'],
    ['linkToLB.sh', 'node already linked (link twice)', { [ACTIVE]: 'linked' }, LB, ACTIVE, 0, 'linked'],
    [
      'linkToLB.sh',
      'node unhealthy (linked, check reports it)',
      { [ACTIVE]: 'linked' },
      LB,
      SICK,
      0,
      'linked',
    ],
    ['linkToLB.sh', 'LB IP unknown', {}, UNKNOWN_LB, ACTIVE, 1, null],
    ['linkToLB.sh', 'target not behind the LB IP', {}, LB, STRANGER, 1, null],
    ['unLinkToLB.sh', 'node linked', { [ACTIVE]: 'linked' }, LB, ACTIVE, 0, 'unlinked'],
    [
      'unLinkToLB.sh',
      'node already unlinked (unlink twice)',
      { [ACTIVE]: 'unlinked' },
      LB,
      ACTIVE,
      0,
      'unlinked',
    ],
    ['unLinkToLB.sh', 'node unhealthy', { [SICK]: 'linked' }, LB, SICK, 0, 'unlinked'],
    ['unLinkToLB.sh', 'LB IP unknown', {}, UNKNOWN_LB, ACTIVE, 1, null],
    ['unLinkToLB.sh', 'target not behind the LB IP', {}, LB, STRANGER, 1, null],
  ];
  it.each(rows)('%s, %s', async (script, _what, setup, lb, target, code, after) => {
    await setLinks([a], LB, setup);
    const r = await runScript(pfx.one, script, ['-lb', lb, target], asUser());
    expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code });
    if (after) expect(linkOf(a, lb, target)).toBe(after);
    const last = logLines(pfx.one).at(-1)!;
    expect(last).toContain(`script=${script}`);
    expect(last).toContain(`user=${user.name}`);
    expect(last).toContain(`args="-lb ${lb} ${target}"`);
    expect(last).toContain(`exit=${code}`);
    expect(last).toMatch(/ ms=\d+ /);
    expect(last).toContain(
      `d1=${a.socket} d1.http=${code === 3 || (code === 1 && script !== 'checkLB.sh') ? 404 : 200}`,
    );
  });
});

describe('contract table: IPv6 and several floating IPs per host', () => {
  it('links, checks and unlinks an IPv6 LB IP and node', async () => {
    await setLinks([a], LB6, { [NODE6]: 'unlinked' });
    const as = asUser();
    expect((await runScript(pfx.one, 'checkLB.sh', ['-lb', LB6, NODE6], as)).code).toBe(2);
    expect((await runScript(pfx.one, 'linkToLB.sh', ['-lb', LB6, NODE6], as)).code).toBe(0);
    expect((await runScript(pfx.one, 'checkLB.sh', ['-lb', LB6, NODE6], as)).code).toBe(0);
    expect((await runScript(pfx.one, 'unLinkToLB.sh', ['-lb', LB6, NODE6], as)).code).toBe(0);
    expect((await runScript(pfx.one, 'checkLB.sh', ['-lb', LB6, NODE6], as)).code).toBe(2);
  });

  it('finds an IPv6 pool and node however the literal is written', async () => {
    await setLinks([a], LB6, { [NODE6]: 'unlinked' });
    const as = asUser();
    expect(
      (await runScript(pfx.one, 'linkToLB.sh', ['-lb', '2001:DB8:0:0::50', '0:0:0:0:0:0:0:1'], as)).code,
    ).toBe(0);
    expect(linkOf(a, LB6, NODE6)).toBe('linked');
    expect((await runScript(pfx.one, 'checkLB.sh', ['-lb', '2001:db8:0000::0050', '::0001'], as)).code).toBe(
      0,
    );
    expect((await runScript(pfx.one, 'unLinkToLB.sh', ['-lb', '2001:db8::50', '::1'], as)).code).toBe(0);
    expect((await runScript(pfx.one, 'checkLB.sh', ['-lb', '2001:DB8::50', '::1'], as)).code).toBe(2);
  });

  it('keeps each LB IP its own pool: one node active on one and standby on another', async () => {
    await setLinks([a], LB, { [ACTIVE]: 'unlinked', [STANDBY]: 'unlinked' });
    await setLinks([a], LB2, { [ACTIVE]: 'unlinked', [STANDBY]: 'unlinked' });
    const as = asUser();
    expect((await runScript(pfx.one, 'linkToLB.sh', ['-lb', LB, ACTIVE], as)).code).toBe(0);
    expect((await runScript(pfx.one, 'linkToLB.sh', ['-lb', LB2, STANDBY], as)).code).toBe(0);
    const checks = await Promise.all(
      [
        [LB, ACTIVE],
        [LB, STANDBY],
        [LB2, ACTIVE],
        [LB2, STANDBY],
      ].map(([lb, n]) => runScript(pfx.one, 'checkLB.sh', ['-lb', lb!, n!], as)),
    );
    expect(checks.map((c) => c.code)).toEqual([0, 2, 2, 0]);
  });
});

describe('contract table: malformed arguments', () => {
  const bad: string[][] = [
    [],
    ['-lb'],
    ['-lb', LB],
    ['-lb', LB, ACTIVE, 'extra'],
    ['--lb', LB, ACTIVE],
    ['-LB', LB, ACTIVE],
    ['-lb', '192.168.0.256', ACTIVE],
    ['-lb', '192.168.00.50', ACTIVE],
    ['-lb', LB, 'node1.example'],
    ['-lb', LB, ''],
    ['-lb', '2001:db8::50::1', ACTIVE],
    ['-lb', 'fe80::1%eth0', ACTIVE],
    ['-lb', '[2001:db8::50]', ACTIVE],
    ['-lb', `${LB}/32`, ACTIVE],
    ['-lb', `${LB}; touch /tmp/adpwned`, ACTIVE],
  ];
  const scripts: Array<[Script, number]> = [
    ['linkToLB.sh', 1],
    ['unLinkToLB.sh', 1],
    // No code in the seed; 3 "unknown": a malformed call says nothing about
    // the node, and 1 would make the cluster manager repair it (docs/adapters.md).
    ['checkLB.sh', 3],
  ];
  it.each(
    scripts,
  )('%s exits %i with a message on stderr and in the log, changing nothing', async (script, code) => {
    await setLinks([a], LB, { [ACTIVE]: 'linked' });
    const before = JSON.stringify(a.director.adminState.links);
    for (const args of bad) {
      const r = await runScript(pfx.one, script, args, asUser());
      expect({ args, code: r.code }).toEqual({ args, code });
      expect(r.stderr).toMatch(/malformed arguments: .+/);
      expect(r.stderr).toContain(`usage: ${script} -lb <LB IP> <target IP>`);
      const last = logLines(pfx.one).at(-1)!;
      expect(last).toContain(`script=${script}`);
      expect(last).toContain(`exit=${code}`);
      expect(last).toContain('result="malformed arguments:');
      expect(last.split('\n')).toHaveLength(1);
    }
    expect(JSON.stringify(a.director.adminState.links)).toBe(before);
  });
});

describe('contract table: the director cannot be reached', () => {
  const cases: Array<[Script, number]> = [
    ['linkToLB.sh', 1],
    ['unLinkToLB.sh', 1],
    ['checkLB.sh', 3],
  ];
  it.each(cases)('%s exits %i when the unix socket is gone or TCP is refused', async (script, code) => {
    for (const p of [pfx.down, pfx.tcpDown]) {
      const r = await runScript(p, script, ['-lb', LB, ACTIVE], asUser());
      expect(r.code).toBe(code);
      expect(r.stderr).toMatch(/unreachable \(curl 7\)/);
      expect(logLines(p).at(-1)).toMatch(/d1\.http=000 d1\.curl=7/);
    }
  });
});

describe('contract table: TCP with the installed token', () => {
  it('links, checks and unlinks over TCP', async () => {
    await setLinks([a], LB, { [ACTIVE]: 'unlinked', [STANDBY]: 'unlinked' });
    const as = asUser();
    expect((await runScript(pfx.tcp, 'linkToLB.sh', ['-lb', LB, STANDBY], as)).code).toBe(0);
    expect((await runScript(pfx.tcp, 'checkLB.sh', ['-lb', LB, STANDBY], as)).code).toBe(0);
    expect((await runScript(pfx.tcp, 'checkLB.sh', ['-lb', LB, SICK], as)).code).toBe(2);
    expect((await runScript(pfx.tcp, 'checkLB.sh', ['-lb', UNKNOWN_LB, STANDBY], as)).code).toBe(3);
    expect((await runScript(pfx.tcp, 'unLinkToLB.sh', ['-lb', LB, STANDBY], as)).code).toBe(0);
    expect(linkOf(a, LB, STANDBY)).toBe('unlinked');
  });
});

describe('contract table: callers', () => {
  it('root may call', async () => {
    await setLinks([a], LB, { [ACTIVE]: 'linked' });
    expect((await runScript(pfx.one, 'checkLB.sh', ['-lb', LB, ACTIVE])).code).toBe(0);
  });

  const cases: Array<[Script, number]> = [
    ['linkToLB.sh', 1],
    ['unLinkToLB.sh', 1],
    ['checkLB.sh', 3],
  ];
  it.each(cases)('%s as nobody (no group, no token) exits %i and changes nothing', async (script, code) => {
    await setLinks([a], LB, { [ACTIVE]: 'linked', [STANDBY]: 'unlinked' });
    const before = JSON.stringify(a.director.adminState.links);
    for (const p of [pfx.one, pfx.tcp]) {
      const r = await runScript(p, script, ['-lb', LB, script === 'linkToLB.sh' ? STANDBY : ACTIVE], NOBODY);
      expect(r.code).toBe(code);
      // The log directory is the group's: nobody cannot write it, and says so.
      expect(r.stderr).toMatch(/cannot write .*adapter\.log/);
    }
    expect(JSON.stringify(a.director.adminState.links)).toBe(before);
  });
});

describe('the pair of directors', () => {
  it('applies link and unlink on both directors', async () => {
    await setLinks([a, b], LB, { [ACTIVE]: 'unlinked', [STANDBY]: 'unlinked' });
    expect((await runScript(pfx.pair, 'linkToLB.sh', ['-lb', LB, ACTIVE], asUser())).code).toBe(0);
    expect([linkOf(a, LB, ACTIVE), linkOf(b, LB, ACTIVE)]).toEqual(['linked', 'linked']);
    expect((await runScript(pfx.pair, 'checkLB.sh', ['-lb', LB, ACTIVE], asUser())).code).toBe(0);
    const last = logLines(pfx.pair).at(-1)!;
    expect(last).toContain(`d1=${a.socket} d1.http=200`);
    expect(last).toContain(`d2=${b.socket} d2.http=200`);
  });

  it('checkLB says abnormal (1) when the directors disagree', async () => {
    await setLinks([a], LB, { [ACTIVE]: 'linked' });
    await setLinks([b], LB, { [ACTIVE]: 'unlinked' });
    const r = await runScript(pfx.pair, 'checkLB.sh', ['-lb', LB, ACTIVE], asUser());
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/directors disagree/);
  });

  it('survives one director down, and the repair after it returns converges', async () => {
    await setLinks([a, b], LB, { [ACTIVE]: 'linked', [STANDBY]: 'unlinked' });
    await b.down();
    try {
      // Switchover while b is down: a alone takes it.
      expect((await runScript(pfx.pair, 'unLinkToLB.sh', ['-lb', LB, ACTIVE], asUser())).code).toBe(0);
      expect((await runScript(pfx.pair, 'linkToLB.sh', ['-lb', LB, STANDBY], asUser())).code).toBe(0);
      expect((await runScript(pfx.pair, 'checkLB.sh', ['-lb', LB, STANDBY], asUser())).code).toBe(0);
      expect((await runScript(pfx.pair, 'checkLB.sh', ['-lb', LB, ACTIVE], asUser())).code).toBe(2);
    } finally {
      await b.up();
    }
    // b comes back with the state it had: the check sees the disagreement...
    expect((await runScript(pfx.pair, 'checkLB.sh', ['-lb', LB, STANDBY], asUser())).code).toBe(1);
    expect((await runScript(pfx.pair, 'checkLB.sh', ['-lb', LB, ACTIVE], asUser())).code).toBe(1);
    // ...and the cluster manager's repair (link the active node again) fixes both directors.
    expect((await runScript(pfx.pair, 'linkToLB.sh', ['-lb', LB, STANDBY], asUser())).code).toBe(0);
    expect((await runScript(pfx.pair, 'checkLB.sh', ['-lb', LB, STANDBY], asUser())).code).toBe(0);
    expect((await runScript(pfx.pair, 'checkLB.sh', ['-lb', LB, ACTIVE], asUser())).code).toBe(2);
  });

  it('fails link and check (1, 3) when both directors are down', async () => {
    await a.down();
    await b.down();
    try {
      expect((await runScript(pfx.pair, 'linkToLB.sh', ['-lb', LB, ACTIVE], asUser())).code).toBe(1);
      expect((await runScript(pfx.pair, 'unLinkToLB.sh', ['-lb', LB, ACTIVE], asUser())).code).toBe(1);
      expect((await runScript(pfx.pair, 'checkLB.sh', ['-lb', LB, ACTIVE], asUser())).code).toBe(3);
    } finally {
      await a.up();
      await b.up();
    }
  });

  it('a simultaneous unlink(old) + link(new) leaves exactly one active node, the new one', async () => {
    await setLinks([a, b], LB, { [ACTIVE]: 'linked', [STANDBY]: 'unlinked' });
    let [oldNode, newNode] = [ACTIVE, STANDBY];
    for (let round = 0; round < 6; round++) {
      // Alternate which call starts first.
      const calls = [
        runScript(pfx.pair, 'unLinkToLB.sh', ['-lb', LB, oldNode], asUser()),
        runScript(pfx.pair, 'linkToLB.sh', ['-lb', LB, newNode], asUser()),
      ];
      if (round % 2) calls.reverse();
      expect((await Promise.all(calls)).map((r) => r.code)).toEqual([0, 0]);
      for (const d of [a, b]) {
        const linked = d.director
          .poolsForVip(LB)
          .flatMap((p) => p.members)
          .filter((m) => m.link === 'linked')
          .map((m) => m.node);
        expect(linked).toEqual([newNode]);
      }
      const [cNew, cOld] = await Promise.all([
        runScript(pfx.pair, 'checkLB.sh', ['-lb', LB, newNode], asUser()),
        runScript(pfx.pair, 'checkLB.sh', ['-lb', LB, oldNode], asUser()),
      ]);
      expect([cNew.code, cOld.code]).toEqual([0, 2]);
      [oldNode, newNode] = [newNode, oldNode];
    }
  });
});

describe('how the scripts are called', () => {
  it('finds its library through a chain of symlinks, a relative path from /, and PATH', async () => {
    await setLinks([a], LB, { [ACTIVE]: 'linked' });
    const bin = links.get(pfx.one)!;
    const chain = join(dir, 'chain');
    mkdirSync(chain, { mode: 0o755 });
    symlinkSync(join(bin, 'checkLB.sh'), join(chain, 'checkLB.sh'));
    const as = asUser();
    // A relative path, resolved against /.
    expect((await runInstalled(chain.slice(1), 'checkLB.sh', ['-lb', LB, ACTIVE], as)).code).toBe(0);
    // A bare name found on PATH: the shell sees whatever path PATH gave.
    const viaPath = await runInstalled('', 'checkLB.sh', ['-lb', LB, ACTIVE], as, {
      PATH: `${chain}:/usr/sbin:/usr/bin:/sbin:/bin`,
    });
    expect(viaPath.code).toBe(0);
    expect(logLines(pfx.one).at(-1)).toContain(`user=${user.name}`);
  });

  it("exits with the contract code, not the shell's 2, when its library is missing", async () => {
    const copy = join(dir, 'nolib');
    mkdirSync(copy, { mode: 0o755 });
    const missing = join(dir, 'missing-prefix');
    // A script whose written-in prefix has no lib/: checkLB says unknown, link/unlink failed.
    for (const [f, code] of [
      ['checkLB.sh', 3],
      ['linkToLB.sh', 1],
      ['unLinkToLB.sh', 1],
    ] as const) {
      const text = readFileSync(join(ADAPTERS, f), 'utf8').replace(
        /^ADAPT_PREFIX=$/m,
        `ADAPT_PREFIX='${missing}'`,
      );
      writeFileSync(join(copy, `broken-${f}`), text, { mode: 0o755 });
      const r = await runInstalled(copy, `broken-${f}`, ['-lb', LB, ACTIVE], asUser());
      expect({ f, code: r.code }).toEqual({ f, code });
      expect(r.stderr).toContain(`cannot read ${missing}/lib/common.sh`);
    }
  });
});

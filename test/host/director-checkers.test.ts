// PING_CHECK, SMTP_CHECK and FILE_CHECK through the real director (`floatlb
// run`) on this kernel's nftables plane, against real hosts in namespaces:
// a failing server leaves the data plane, a passing one stays with its
// weight, and each moves when its fault comes or goes. BFD_CHECK is refused.
import { type ChildProcess, execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listNftablesPlane } from '../../src/kernel/nftables/index.js';
import { buildDirectorLab, type DirectorLab, serverIp, VIP } from '../support/director-lab.js';
import { requireRoot, requireTool } from '../support/require.js';

const execFileP = promisify(execFile);
const ROOT = new URL('../..', import.meta.url).pathname;
const SMTP = join(ROOT, 'test/support/smtp-server.mjs');
const VIP6 = 'fd80::100';
const RS6 = 'fd80:1::11';
const ABSENT4 = '10.80.1.99';
const ABSENT6 = 'fd80:1::99';
const HELO = 'probe.floatlb.test';

let lab: DirectorLab;
const helos: string[] = [];
let smtp0: ChildProcess | null = null;

function file(name: string, value: string): void {
  writeFileSync(join(lab.dir, name), value);
}

function config(): string {
  const d = lab.dir;
  const vs = (vip: string, port: number, body: string) => `
virtual_server ${vip} ${port} {
  delay_loop 1
  lb_algo wrr
  lb_kind NAT
  protocol TCP
${body}
}`;
  const rs = (ip: string, port: number, weight: number, check: string) =>
    `  real_server ${ip} ${port} {\n    weight ${weight}\n    ${check}\n  }`;
  const ping = 'PING_CHECK {\n      connect_timeout 1\n      retry 0\n    }';
  const smtp = `SMTP_CHECK {\n      connect_timeout 1\n      retry 0\n      helo_name ${HELO}\n    }`;
  const fcheck = (tf: string) => `FILE_CHECK {\n      track_file ${tf}\n    }`;
  return `global_defs {
  router_id checkers
}
track_file tf_zero {
  file ${d}/zero
  weight 0
}
track_file tf_one {
  file ${d}/one
  weight 0
}
track_file tf_dyn {
  file ${d}/dyn
  weight 3
}
${vs(VIP, 80, [rs(serverIp(0), 80, 3, ping), rs(ABSENT4, 80, 2, ping)].join('\n'))}
${vs(VIP, 25, [rs(serverIp(0), 25, 4, smtp), rs(serverIp(1), 25, 1, smtp), rs(serverIp(2), 25, 1, smtp)].join('\n'))}
${vs(VIP, 81, [rs(serverIp(0), 81, 5, fcheck('tf_zero')), rs(serverIp(1), 81, 1, fcheck('tf_one')), rs(serverIp(2), 81, 2, fcheck('tf_dyn'))].join('\n'))}
${vs(VIP6, 80, [rs(RS6, 80, 1, ping), rs(ABSENT6, 80, 1, ping)].join('\n'))}
`;
}

type Table = Record<string, Record<string, number>>;

/** What the kernel's nftables table holds: service -> real server -> weight. */
async function table(): Promise<Table> {
  const out: Table = {};
  for (const s of await listNftablesPlane({ netns: lab.director.name })) {
    const k = s.key;
    const id =
      k.kind === 'ip' ? `${k.family === 'inet6' ? `[${k.address}]` : k.address}:${k.port}` : 'fwmark';
    out[id] = Object.fromEntries(s.dests.map((x) => [x.address, x.weight]));
  }
  return out;
}

async function settles(what: string, want: (t: Table) => boolean): Promise<Table> {
  const end = Date.now() + 60_000;
  let t: Table = {};
  while (Date.now() < end) {
    t = await table();
    if (want(t)) return t;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what}: the data plane never got there; it holds ${JSON.stringify(t)}`);
}

function startSmtp(i: number, mode: string): ChildProcess {
  const p = lab.servers[i]!.spawn(process.execPath, [SMTP, serverIp(i), '25', mode], { stdio: 'pipe' });
  createInterface({ input: p.stdout! }).on('line', (l) => helos.push(l));
  return p;
}

beforeAll(async () => {
  requireRoot();
  requireTool('nft');
  lab = await buildDirectorLab('nftables', 3);
  lab.director.ip('addr', 'add', `${VIP6}/64`, 'dev', 'eth0', 'nodad');
  lab.director.ip('addr', 'add', 'fd80:1::1/64', 'dev', 'br0', 'nodad');
  lab.servers[0]!.ip('addr', 'add', `${RS6}/64`, 'dev', 'eth0', 'nodad');
  smtp0 = startSmtp(0, 'ok');
  startSmtp(2, 'bad-greeting');
  file('zero', '0\n');
  file('one', '1\n');
  file('dyn', '2\n');
  lab.writeConfig(config());
  await lab.startDirector();
});

afterAll(() => lab?.cleanup());

describe('the checkers keepalived has, through the director', () => {
  it('first pass: failing servers leave the data plane, passing ones keep their weight', async () => {
    const t = await settles(
      'steady state',
      (t) =>
        JSON.stringify(t[`${VIP}:80`]) === JSON.stringify({ [serverIp(0)]: 3 }) &&
        JSON.stringify(t[`${VIP}:25`]) === JSON.stringify({ [serverIp(0)]: 4 }) &&
        Object.keys(t[`${VIP}:81`] ?? {}).length === 2 &&
        JSON.stringify(t[`[${VIP6}]:80`]) === JSON.stringify({ [RS6]: 1 }),
    );
    // PING: the host that answers stays with weight 3, the address nobody holds leaves (IPv4 and IPv6).
    expect(t[`${VIP}:80`]).toEqual({ [serverIp(0)]: 3 });
    expect(t[`[${VIP6}]:80`]).toEqual({ [RS6]: 1 });
    // SMTP: a server that talks SMTP stays; nothing listening, or a 554 greeting, leaves.
    expect(t[`${VIP}:25`]).toEqual({ [serverIp(0)]: 4 });
    expect(helos).toContain(HELO);
    // FILE: 0 with weight 0 passes (weight 5 kept); 1 with weight 0 fails; 2 x weight 3 adds 6 to weight 2.
    expect(t[`${VIP}:81`]).toEqual({ [serverIp(0)]: 5, [serverIp(2)]: 8 });
  });

  it('each checker follows its fault: gone, then back', async () => {
    // PING: the missing address appears on a host.
    lab.servers[2]!.ip('addr', 'add', `${ABSENT4}/24`, 'dev', 'eth0');
    await settles('pinged host joins', (t) => t[`${VIP}:80`]?.[ABSENT4] === 2);
    lab.servers[2]!.ip('addr', 'del', `${ABSENT4}/24`, 'dev', 'eth0');
    await settles('pinged host leaves', (t) => t[`${VIP}:80`]?.[ABSENT4] === undefined);

    // SMTP: the good server stops, then comes back; one with a bad HELO reply never joins.
    smtp0!.kill('SIGKILL');
    await settles('SMTP server leaves', (t) => t[`${VIP}:25`]?.[serverIp(0)] === undefined);
    startSmtp(1, 'bad-helo');
    smtp0 = startSmtp(0, 'multiline');
    const t = await settles('SMTP server back', (t) => t[`${VIP}:25`]?.[serverIp(0)] === 4);
    expect(t[`${VIP}:25`]).toEqual({ [serverIp(0)]: 4 });

    // FILE: the failing file turns 0, the passing one turns non-zero, the weighted one goes negative.
    file('one', '0\n');
    file('zero', '7\n');
    file('dyn', '-5\n');
    const f = await settles(
      'files re-read',
      (t) =>
        t[`${VIP}:81`]?.[serverIp(1)] === 1 &&
        t[`${VIP}:81`]?.[serverIp(0)] === undefined &&
        t[`${VIP}:81`]?.[serverIp(2)] === 0,
    );
    // 2 + (-5 x 3) is below zero: the server stays, at weight 0, as keepalived clamps it.
    expect(f[`${VIP}:81`]).toEqual({ [serverIp(1)]: 1, [serverIp(2)]: 0 });
  });

  it('BFD_CHECK is refused with the reason and where it is', async () => {
    const conf = join(lab.dir, 'bfd.conf');
    writeFileSync(
      conf,
      `virtual_server ${VIP} 80 {\n  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n  real_server ${serverIp(0)} 80 {\n    BFD_CHECK {\n      name b1\n    }\n  }\n}\n`,
    );
    const r = await execFileP(process.execPath, [
      join(ROOT, 'dist/src/cli/main.js'),
      'config',
      'check',
      '-f',
      conf,
    ]).then(
      () => null,
      (e: { code: number; stdout: string; stderr: string }) => e,
    );
    expect(r).not.toBeNull();
    expect(r!.code).not.toBe(0);
    expect(`${r!.stdout}${r!.stderr}`).toMatch(
      /bfd\.conf:6:5: error: BFD_CHECK is not supported: floatlb has no BFD/,
    );
  });
});

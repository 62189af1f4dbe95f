// The nftables plane degrades per service: a config that mixes services it
// cannot do (wlc, DR) with plain rr/wrr NAT services gets the plain ones
// programmed and serving, and the others refused one by one, each with the
// service, the reason and the nearest supported setting, in `floatlb status`
// and in /metrics.
import { execFile } from 'node:child_process';
import http from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listNftablesPlane } from '../../src/kernel/nftables/index.js';
import { buildDirectorLab, type DirectorLab, httpFrom, serverIp, VIP } from '../support/director-lab.js';
import { requireRoot, requireTool } from '../support/require.js';

const execFileP = promisify(execFile);
const ROOT = new URL('../..', import.meta.url).pathname;
let lab: DirectorLab;

const vs = (port: number, algo: string, kind = 'NAT') => `
virtual_server ${VIP} ${port} {
  lb_algo ${algo}
  lb_kind ${kind}
  protocol TCP
  real_server ${serverIp(0)} 80 {
    weight 1
  }
  real_server ${serverIp(1)} 80 {
    weight 1
  }
}`;

function metrics(): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get({ socketPath: join(lab.dir, 'api.sock'), path: '/metrics' }, (res) => {
        let body = '';
        res.on('data', (d) => {
          body += d;
        });
        res.on('end', () => resolve(body));
      })
      .on('error', reject);
  });
}

beforeAll(async () => {
  requireRoot();
  requireTool('nft');
  lab = await buildDirectorLab('nftables', 2);
  lab.startBackend(0);
  lab.startBackend(1);
  lab.writeConfig(`${vs(80, 'rr')}\n${vs(81, 'wlc')}\n${vs(82, 'rr', 'DR')}\n${vs(83, 'wrr')}\n`);
  await lab.startDirector();
  await lab.backendListening(0);
  await lab.backendListening(1);
});

afterAll(() => lab?.cleanup());

describe('nftables plane: one service it cannot do is refused alone', () => {
  it('programs the rr and wrr services and reports the wlc and DR ones as refused', async () => {
    const table = await listNftablesPlane({ netns: lab.director.name });
    const ports = table.map((s) => (s.key.kind === 'ip' ? s.key.port : 0)).sort();
    expect(ports).toEqual([80, 83]);
    for (const s of table) expect(s.dests.map((d) => d.address).sort()).toEqual([serverIp(0), serverIp(1)]);

    const seen = new Set<string | null>();
    for (let i = 0; i < 10; i++) seen.add(await httpFrom(lab.client, `http://${VIP}:80`));
    expect([...seen].sort()).toEqual(['rs0', 'rs1']);

    const { stdout } = await execFileP(process.execPath, [
      join(ROOT, 'dist/src/cli/main.js'),
      'status',
      '--json',
      '--api-socket',
      join(lab.dir, 'api.sock'),
    ]);
    const st = JSON.parse(stdout) as { refusedServices: Array<{ service: string; reason: string }> };
    expect(st.refusedServices.map((r) => r.service).sort()).toEqual([`tcp/${VIP}:81`, `tcp/${VIP}:82`]);
    const why = Object.fromEntries(st.refusedServices.map((r) => [r.service, r.reason]));
    expect(why[`tcp/${VIP}:81`]).toMatch(
      /^service tcp\/10\.80\.0\.100:81: scheduler wlc .*cannot read; nearest supported: lb_algo wrr/,
    );
    expect(why[`tcp/${VIP}:82`]).toMatch(
      /lb_kind DR, which the nftables NAT plane cannot forward; nearest supported: lb_kind NAT/,
    );

    const text = await execFileP(process.execPath, [
      join(ROOT, 'dist/src/cli/main.js'),
      'status',
      '--api-socket',
      join(lab.dir, 'api.sock'),
    ]);
    expect(text.stdout).toContain(`REFUSED service tcp/${VIP}:81: scheduler wlc`);

    const m = await metrics();
    expect(m).toMatch(
      new RegExp(
        `floatlb_service_refused\\{service="tcp/${VIP.replace(/\./g, '\\.')}:81",reason="[^"]*lb_algo wrr[^"]*"\\} 1`,
      ),
    );
    expect(m.match(/^floatlb_service_refused\{/gm)).toHaveLength(2);
  });
});

// VRRP keywords that act on the kernel or the wire, through `floatlb run` beside keepalived 2.2.7.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ArpListener, sleep } from './vrrp-lab.js';
import { runLab } from './vrrp-run-lab.js';

const ROOT = new URL('../../', import.meta.url).pathname;

const conf = (o: { router: string; prio: number; excluded?: string; auth?: string }) => `global_defs {
  router_id ${o.router}
}
vrrp_instance VI_A {
  state BACKUP
  interface eth0
  virtual_router_id 61
  priority ${o.prio}
  advert_int 1${o.auth ? `\n  authentication {\n    auth_type ${o.auth}\n    auth_pass secret\n  }` : ''}
  virtual_ipaddress {
    10.7.0.100/32
  }${o.excluded ? `\n  virtual_ipaddress_excluded {\n    ${o.excluded}\n  }` : ''}
}
`;

const lab = runLab();

describe('VRRP features on the kernel and the wire', () => {
  it('virtual_ipaddress_excluded: on the master with a GARP, and out of the adverts keepalived checks', async () => {
    const { d1, d2, client } = await lab.lan();
    const arp = new ArpListener(client);
    lab.defer(() => arp.close());
    const sampler = lab.sampler(d1, d2);
    lab.floatlb(d1, conf({ router: 'fl', prio: 150, excluded: '10.7.0.150/32' }));
    await sampler.until(
      'both addresses on floatlb',
      (s) => s.subject.has('10.7.0.100') && s.subject.has('10.7.0.150'),
      20_000,
    );
    // keepalived checks the address list of every advert (no vrrp_skip_check_adv_addr): had
    // floatlb named the excluded address, keepalived would drop its adverts and take over.
    const ka = lab.keepalived(d2, conf({ router: 'ka', prio: 100 }));
    const from = sampler.samples.length;
    await sleep(6000); // well past keepalived's Master_Down_Interval (3.6 s)
    const seen = sampler.samples.slice(from);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.filter((s) => s.peer.size > 0)).toEqual([]);
    expect(seen.every((s) => s.subject.has('10.7.0.150') && s.subject.has('10.7.0.100'))).toBe(true);
    expect(arp.frames.some((f) => f.senderIp === '10.7.0.150' && f.targetIp === '10.7.0.150')).toBe(true);
    expect(ka.output()).not.toMatch(/Entering MASTER STATE/);
  });

  it('auth_type AH: floatlb run refuses the config, naming file:line:column, and sends nothing', async () => {
    const net = await lab.lan();
    const tmp = lab.tempDir();
    const c = tmp.write('ah.conf', conf({ router: 'fl', prio: 150, auth: 'AH' }));
    const r = spawnSync(
      'ip',
      [
        ...[
          'netns',
          'exec',
          net.d1.name,
          process.execPath,
          join(ROOT, 'dist/src/cli/main.js'),
          'run',
          '-f',
          c,
        ],
        ...[
          '--plane',
          'nftables',
          '--state-dir',
          join(tmp.dir, 'state'),
          '--api-socket',
          join(tmp.dir, 'api.sock'),
        ],
      ],
      { encoding: 'utf8', timeout: 60_000 },
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${c}:11:15: auth_type AH is not supported`);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(net.d1.ip('-4', 'addr', 'show', 'dev', 'eth0')).not.toContain('10.7.0.100');
  });
});

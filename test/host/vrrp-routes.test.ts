// virtual_routes and virtual_rules through `floatlb run`, read back from the
// kernel with ip route / ip rule, beside keepalived 2.2.7 on the same config:
// floatlb master installs them; keepalived (higher priority) takes over, and
// they leave floatlb's kernel and appear in keepalived's, line for line the
// same; keepalived stops, floatlb is master again and they are back; floatlb
// stops and they are gone.
import { describe, expect, it } from 'vitest';
import type { Netns } from '../../lab/netns.js';
import { runLab } from './vrrp-run-lab.js';

const VIP = '10.7.0.100';

const conf = (router: string, prio: number) => `global_defs {
  router_id ${router}
}
vrrp_instance VI_R {
  state BACKUP
  interface eth0
  virtual_router_id 81
  priority ${prio}
  advert_int 1
  virtual_ipaddress {
    ${VIP}/32
  }
  virtual_routes {
    src ${VIP} to 10.9.1.0/24 via 10.7.0.254 dev eth0
    10.9.2.0/24 dev eth0 table 100 metric 7
    blackhole 10.9.3.0/24 table 100
    0.0.0.0/0 via 10.7.0.254 dev eth0 table 101
  }
  virtual_rules {
    from ${VIP}/32 table 100 priority 100
    to 10.9.4.0/24 fwmark 0x21/0xff table 101 priority 101
    from 10.9.5.0/24 iif eth0 prohibit priority 102
  }
}
`;

/** What the config programs, as ip shows it: routes of tables main/100/101 naming 10.9. or table 101, and rules 100-102. */
function programmed(ns: Netns): { routes: string[]; rules: string[] } {
  const routes = ns
    .ip('-4', 'route', 'show', 'table', 'all')
    .split('\n')
    .filter((l) => /10\.9\.|table 101/.test(l))
    .sort();
  const rules = ns
    .ip('-4', 'rule', 'show')
    .split('\n')
    .filter((l) => /^10[0-2]:/.test(l));
  return { routes, rules };
}

const lab = runLab();

describe('virtual_routes and virtual_rules against keepalived', () => {
  it('installed on MASTER, removed on BACKUP and on stop, exactly as keepalived programs them', async () => {
    const { d1, d2 } = await lab.lan();
    const sampler = lab.sampler(d1, d2);
    const none = { routes: [], rules: [] };
    expect(programmed(d1)).toEqual(none);

    const fl = lab.floatlb(d1, conf('fl', 150));
    await sampler
      .until('floatlb master', (s) => s.subject.has(VIP), 20_000)
      .catch((e: Error) => {
        throw new Error(`${e.message}\n${fl.output()}`);
      });
    // Routes follow the VIP through one queue: wait for them, then read once.
    const deadline = Date.now() + 10_000;
    while (programmed(d1).rules.length < 3 && Date.now() < deadline)
      await sampler.until('tick', () => true, 1000);
    const fromFloatlb = programmed(d1);
    expect(fromFloatlb.routes).toHaveLength(4);
    expect(fromFloatlb.rules).toHaveLength(3);
    expect(fromFloatlb.routes).toContain(`10.9.1.0/24 via 10.7.0.254 dev eth0 proto keepalived src ${VIP} `);

    // keepalived with the higher priority takes over: floatlb leaves MASTER and takes them out.
    const ka = lab.keepalived(d2, conf('ka', 200));
    await sampler.until('keepalived master', (s) => s.peer.has(VIP) && !s.subject.has(VIP), 20_000);
    const until = async (what: string, ok: () => boolean) => {
      const end = Date.now() + 10_000;
      while (!ok()) {
        if (Date.now() > end)
          throw new Error(`timed out waiting for ${what}\n${fl.output()}\n${ka.output()}`);
        await sampler.until('tick', () => true, 1000);
      }
    };
    await until(
      'routes off floatlb',
      () => programmed(d1).routes.length === 0 && programmed(d1).rules.length === 0,
    );
    await until('routes on keepalived', () => programmed(d2).rules.length === 3);
    // Same config, same interface names and addresses: the kernel holds the same lines.
    expect(programmed(d2)).toEqual(fromFloatlb);

    // keepalived stops (priority 0): floatlb is master again, and they are back.
    await ka.stop();
    await sampler.until('floatlb master again', (s) => s.subject.has(VIP), 20_000);
    await until('routes back on floatlb', () => programmed(d1).rules.length === 3);
    expect(programmed(d1)).toEqual(fromFloatlb);
    expect(programmed(d2)).toEqual(none);

    await fl.stop();
    expect(programmed(d1)).toEqual(none);
  });
});

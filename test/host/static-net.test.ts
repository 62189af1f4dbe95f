// static_ipaddress, static_routes and static_rules through `floatlb run`,
// beside keepalived 2.2.7 on the same config: both hold them while their VRRP
// instance is BACKUP (keepalived installs them whatever the state), the kernel
// shows the same lines on both sides, a reload applies the new list, and a
// stop takes them out.
import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Netns } from '../../lab/netns.js';
import { runLab } from './vrrp-run-lab.js';

const VIP = '10.7.0.100';

interface Statics {
  readonly addresses: readonly string[];
  readonly routes: readonly string[];
  readonly rules: readonly string[];
}

const FIRST: Statics = {
  addresses: ['10.8.0.1/32 dev eth0', '10.8.1.1/24'],
  routes: [
    '10.50.0.0/16 via 10.7.0.254 dev eth0',
    '10.51.0.0/16 dev eth0 table 100',
    'blackhole 10.60.0.0/16',
  ],
  rules: ['from 10.8.0.1 table 100 priority 50', 'to 10.52.0.0/16 table 100 priority 51'],
};

const SECOND: Statics = {
  addresses: ['10.8.0.1/32 dev eth0', '10.8.2.1/32 dev eth0'],
  routes: ['10.50.0.0/16 via 10.7.0.254 dev eth0', '10.70.0.0/16 dev eth0'],
  rules: ['from 10.8.0.1 table 100 priority 50'],
};

const block = (name: string, lines: readonly string[]) =>
  `${name} {\n${lines.map((l) => `  ${l}`).join('\n')}\n}\n`;

const conf = (prio: number, s: Statics) =>
  block('static_ipaddress', s.addresses) +
  block('static_routes', s.routes) +
  block('static_rules', s.rules) +
  `vrrp_instance VI_S {
  interface eth0
  virtual_router_id 91
  priority ${prio}
  advert_int 1
  virtual_ipaddress {
    ${VIP}/32
  }
}
`;

/** What the statics program, as ip shows it. */
function programmed(ns: Netns): { addresses: string[]; routes: string[]; rules: string[] } {
  const addresses = ns
    .ip('-4', '-o', 'addr', 'show', 'dev', 'eth0')
    .split('\n')
    .map((l) => l.match(/inet (10\.8\.\S+)/)?.[1])
    .filter((a): a is string => !!a)
    .sort();
  const routes = ns
    .ip('-4', 'route', 'show', 'table', 'all')
    .split('\n')
    .filter((l) => /proto keepalived/.test(l))
    .sort();
  const rules = ns
    .ip('-4', 'rule', 'show')
    .split('\n')
    .filter((l) => /^5[01]:/.test(l));
  return { addresses, routes, rules };
}

const lab = runLab();

describe('static_ipaddress, static_routes and static_rules against keepalived', () => {
  it('held whatever the VRRP state, the same lines as keepalived, the new list on reload, gone at stop', async () => {
    const { d1, d2 } = await lab.lan();
    const sampler = lab.sampler(d1, d2);
    const none = { addresses: [], routes: [], rules: [] };
    expect(programmed(d1)).toEqual(none);
    const until = async (what: string, ok: () => boolean, log: () => string) => {
      const end = Date.now() + 20_000;
      while (!ok()) {
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n${log()}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };

    // keepalived has the higher priority: floatlb stays BACKUP and still holds the statics.
    const ka = lab.keepalived(d2, conf(200, FIRST));
    await sampler.until('keepalived master', (s) => s.peer.has(VIP), 20_000);
    const fl = lab.floatlb(d1, conf(100, FIRST));
    await until(
      'floatlb statics',
      () => programmed(d1).rules.length === 2,
      () => fl.output(),
    );
    const fromFloatlb = programmed(d1);
    expect(fromFloatlb.addresses).toEqual(['10.8.0.1/32', '10.8.1.1/24']);
    expect(fromFloatlb.routes).toHaveLength(3);
    expect(programmed(d2)).toEqual(fromFloatlb);
    // floatlb is BACKUP all along: the VIP stays with keepalived.
    expect(sampler.samples.every((s) => !s.subject.has(VIP))).toBe(true);

    writeFileSync(fl.conf, conf(100, SECOND));
    fl.reload();
    await until(
      'statics reloaded',
      () => programmed(d1).rules.length === 1,
      () => fl.output(),
    );
    await until(
      'routes reloaded',
      () => programmed(d1).routes.some((r) => r.includes('10.70.')),
      () => fl.output(),
    );
    const reloaded = programmed(d1);
    expect(reloaded.addresses).toEqual(['10.8.0.1/32', '10.8.2.1/32']);
    expect(reloaded.routes.map((r) => r.split(' ')[0])).toEqual(['10.50.0.0/16', '10.70.0.0/16']);

    await fl.stop();
    expect(programmed(d1)).toEqual(none);
    await ka.stop();
    expect(programmed(d2)).toEqual(none);
  });
});

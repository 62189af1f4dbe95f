// static_* entries held by difference over the route table and address
// fakes: a reload adds and removes only what changed, removals go rules,
// routes, addresses, and a stop takes everything out.
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/config/index.js';
import { StaticNetwork, staticFromConfig } from '../../../src/daemon/static-net.js';
import { FakeRouteTable } from '../../../src/kernel/routes.js';
import type { Vip } from '../../../src/vrrp/settings.js';
import { noFiles } from '../../support/no-files.js';

const statics = (addrs: string, routes: string, rules: string) =>
  staticFromConfig(
    parseConfigText(
      `global_defs {\n default_interface eth1\n}\nstatic_ipaddress {\n${addrs}\n}\nstatic_routes {\n${routes}\n}\nstatic_rules {\n${rules}\n}\n`,
      { file: 'k.conf', configId: 'x', ...noFiles },
    ).config!,
  );

function fakes() {
  const table = new FakeRouteTable();
  const addrs = new Map<string, Vip>();
  const log = table.log;
  const vips = {
    add: async (v: Vip) => {
      log.push(`add address ${v.address} dev ${v.ifname}`);
      addrs.set(v.address, v);
    },
    remove: async (v: Vip) => {
      log.push(`delete address ${v.address} dev ${v.ifname}`);
      addrs.delete(v.address);
    },
    list: async () => [...addrs.values()],
  };
  return { table, addrs, log, net: new StaticNetwork(vips, table) };
}

describe('StaticNetwork', () => {
  it('installs, applies a reload by difference, and releases in keepalived’s order', async () => {
    const f = fakes();
    await f.net.apply(
      statics(
        ' 10.9.9.9/32 dev eth0\n 10.9.9.10/24',
        ' 10.50.0.0/16 dev eth0\n 10.51.0.0/16 dev eth0',
        ' from 10.9.9.9 table 100',
      ),
    );
    expect([...f.addrs.values()].map((v) => `${v.address} ${v.ifname}`)).toEqual([
      '10.9.9.9 eth0',
      '10.9.9.10 eth1',
    ]);
    expect(f.table.routes.size).toBe(2);
    expect(f.table.rules.size).toBe(1);

    f.log.length = 0;
    await f.net.apply(statics(' 10.9.9.9/32 dev eth0', ' 10.50.0.0/16 dev eth0', ' from 10.9.9.9 table 100'));
    expect(f.log).toEqual(['delete route 10.51.0.0/16 dev eth0', 'delete address 10.9.9.10 dev eth1']);

    f.log.length = 0;
    await f.net.release();
    expect(f.log.map((l) => l.split(' ').slice(0, 2).join(' '))).toEqual([
      'delete rule',
      'delete route',
      'delete address',
    ]);
    expect(f.addrs.size + f.table.routes.size + f.table.rules.size).toBe(0);
  });
});

// virtual_routes / virtual_rules: the config words, the rtnetlink payloads,
// and the speaker installing them on MASTER and removing them on leaving it.
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/config/index.js';
import { decodeAttrs } from '../../../src/kernel/netlink/codec.js';
import { encodeRoute, encodeRule, FakeRouteTable } from '../../../src/kernel/routes.js';
import { applyRoutes, diffRoutes } from '../../../src/vrrp/virtual-routes.js';

const conf = (routes: string, rules = '') => `vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  virtual_ipaddress {
    10.7.0.100/32
  }
  virtual_routes {
${routes}
  }
  virtual_rules {
${rules}
  }
}
`;

function parse(routes: string, rules = '') {
  const r = parseConfigText(conf(routes, rules), { file: 'r.conf' });
  if (!r.config) throw new Error('no config');
  return {
    inst: r.config.vrrpInstances[0]!,
    diags: r.diagnostics.map((d) => `${d.line}:${d.column} ${d.severity} ${d.message}`),
  };
}

describe('virtual_routes words', () => {
  it('reads keepalived’s forms: src/to, via and gw, dev, scope, table, metric, route types', () => {
    const { inst, diags } = parse(
      [
        '    src 10.7.0.100 to 10.9.0.0/24 via 10.7.0.254 dev eth0',
        '    10.9.1.0/24 dev eth0 scope link table 100 metric 7',
        '    blackhole 10.9.2.0/24 table main',
        '    0.0.0.0/0 gw 10.7.0.254 table 100',
        '    inet6 unreachable 2001:db8::/64',
      ].join('\n'),
    );
    // keepalived -t's own warnings about untracked and deprecated forms, nothing else.
    expect(diags.filter((d) => !/keepalived cannot track it|deprecated/.test(d))).toEqual([]);
    expect(inst.virtualRoutes).toEqual([
      {
        family: 4,
        type: 'unicast',
        dst: { address: '10.9.0.0', prefix: 24 },
        src: '10.7.0.100',
        via: '10.7.0.254',
        dev: 'eth0',
      },
      {
        family: 4,
        type: 'unicast',
        dst: { address: '10.9.1.0', prefix: 24 },
        dev: 'eth0',
        scope: 253,
        table: 100,
        metric: 7,
      },
      { family: 4, type: 'blackhole', dst: { address: '10.9.2.0', prefix: 24 }, table: 254 },
      { family: 4, type: 'unicast', dst: { address: '0.0.0.0', prefix: 0 }, via: '10.7.0.254', table: 100 },
      { family: 6, type: 'unreachable', dst: { address: '2001:db8::', prefix: 64 } },
    ]);
  });

  it('warns at the token for an option floatlb cannot program, and installs the route without it', () => {
    const { inst, diags } = parse('    10.9.0.0/24 via 10.7.0.254 mtu 1400 onlink');
    expect(diags).toEqual([
      '8:5 warning route has no dev: keepalived cannot track it',
      '8:32 warning route option mtu 1400 is not supported by floatlb: the route is installed without it',
      '8:41 warning route option onlink is not supported by floatlb: the route is installed without it',
    ]);
    expect(inst.virtualRoutes).toHaveLength(1);
  });

  it('drops a route without a destination or mixing families, saying so', () => {
    const { inst, diags } = parse('    via 10.7.0.254\n    2001:db8::/64 via 10.7.0.1');
    expect(inst.virtualRoutes).toEqual([]);
    expect(diags).toEqual([
      '8:5 warning virtual route without a destination: dropped, as keepalived does',
      '8:5 warning route has no dev: keepalived cannot track it',
      '9:5 warning virtual route mixes IPv4 and IPv6 addresses: dropped',
      '9:5 warning route has no dev: keepalived cannot track it',
    ]);
  });
});

describe('virtual_rules words', () => {
  it('reads from, to, table, priority, iif, oif, fwmark/mask and actions; warns what it cannot program', () => {
    const { inst, diags } = parse(
      '',
      [
        '    from 10.7.0.100/32 table 100 priority 100',
        '    to 10.9.0.0/24 iif eth0 oif eth0 fwmark 0x21/0xff lookup 101 preference 101',
        '    from all to 10.9.9.0/24 prohibit pref 102 tos 4',
        '    priority 103',
      ].join('\n'),
    );
    expect(inst.virtualRules).toEqual([
      { family: 4, action: 'table', from: { address: '10.7.0.100', prefix: 32 }, table: 100, priority: 100 },
      {
        family: 4,
        action: 'table',
        to: { address: '10.9.0.0', prefix: 24 },
        iif: 'eth0',
        oif: 'eth0',
        fwmark: 0x21,
        fwmask: 0xff,
        table: 101,
        priority: 101,
      },
      { family: 4, action: 'prohibit', to: { address: '10.9.9.0', prefix: 24 }, priority: 102 },
    ]);
    expect(diags).toEqual([
      '13:47 warning rule option tos 4 is not supported by floatlb: the rule is installed without it',
      '14:5 warning virtual rule without a table or an action: dropped, as keepalived does',
    ]);
  });
});

describe('rtnetlink payloads', () => {
  it('a route: rtmsg with keepalived’s protocol, global scope unless given, table > 255 in RTA_TABLE', () => {
    const b = encodeRoute(
      { family: 4, type: 'unicast', dst: { address: '10.9.1.0', prefix: 24 }, dev: 'eth0', table: 1000 },
      7,
    );
    expect([...b.subarray(0, 8)]).toEqual([2, 24, 0, 0, 0, 18, 0, 1]);
    const attrs = new Map(decodeAttrs(b.subarray(12)).map((a) => [a.type, a.value]));
    expect(attrs.get(15)!.readUInt32LE(0)).toBe(1000); // RTA_TABLE
    expect([...attrs.get(1)!]).toEqual([10, 9, 1, 0]); // RTA_DST
    expect(attrs.get(4)!.readUInt32LE(0)).toBe(7); // RTA_OIF
  });

  it('a rule: fib_rule_hdr lengths and action, FRA_* attributes', () => {
    const b = encodeRule({
      family: 4,
      action: 'table',
      from: { address: '10.7.0.100', prefix: 32 },
      table: 100,
      priority: 100,
      fwmark: 5,
    });
    expect([...b.subarray(0, 8)]).toEqual([2, 0, 32, 0, 100, 0, 0, 1]);
    const attrs = new Map(decodeAttrs(b.subarray(12)).map((a) => [a.type, a.value]));
    expect([...attrs.get(2)!]).toEqual([10, 7, 0, 100]); // FRA_SRC
    expect(attrs.get(6)!.readUInt32LE(0)).toBe(100); // FRA_PRIORITY
    expect(attrs.get(10)!.readUInt32LE(0)).toBe(5); // FRA_FWMARK
    expect(attrs.get(21)![0]).toBe(18); // FRA_PROTOCOL
  });
});

describe('holding routes', () => {
  const route = (n: number) => ({
    family: 4 as const,
    type: 'unicast' as const,
    dst: { address: `10.9.${n}.0`, prefix: 24 },
  });
  const rule = { family: 4 as const, action: 'table' as const, table: 100, priority: 100 };

  it('routes go in before rules and come out after them', async () => {
    const t = new FakeRouteTable();
    await applyRoutes(t, 'add', { routes: [route(1)], rules: [rule] }, 'VI');
    await applyRoutes(t, 'remove', { routes: [route(1)], rules: [rule] }, 'VI');
    expect(t.log).toEqual([
      'add route 10.9.1.0/24',
      'add rule priority 100 table 100',
      'delete rule priority 100 table 100',
      'delete route 10.9.1.0/24',
    ]);
    expect(t.routes.size + t.rules.size).toBe(0);
  });

  it('a reload adds and removes only the difference', () => {
    const d = diffRoutes(
      { routes: [route(1), route(2)], rules: [rule] },
      { routes: [route(2), route(3)], rules: [rule] },
    );
    expect(d.added).toEqual({ routes: [route(3)], rules: [] });
    expect(d.removed).toEqual({ routes: [route(1)], rules: [] });
  });
});

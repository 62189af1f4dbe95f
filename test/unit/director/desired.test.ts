import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/config/index.js';
import type { FloatlbConfig } from '../../../src/config/model.js';
import { EMPTY_ADMIN_STATE, withLink, withOverride } from '../../../src/director/admin-state.js';
import { computeDesired, type DesiredInputs, realServerKey } from '../../../src/director/desired.js';

function cfg(text: string): FloatlbConfig {
  const r = parseConfigText(text, { file: 'test.conf' });
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return r.config!;
}

const wrrDr = cfg(`
virtual_server 10.0.0.200 8090 {
  delay_loop 1
  lb_algo wrr
  lb_kind DR
  protocol TCP
  real_server 10.0.0.11 8090 {
    weight 3
    TCP_CHECK { connect_timeout 10 }
  }
  real_server 10.0.0.12 8090 {
    weight 3
    inhibit_on_failure
    TCP_CHECK { connect_timeout 10 }
  }
}
`);

const mrs = cfg(`
virtual_server 192.168.0.50 20026 {
  lb_algo rr
  lb_kind NAT
  protocol TCP
  active_standby
  quorum 1
  sorry_server 192.168.1.9 20026
  real_server 192.168.1.2 20026 { weight 1 }
  real_server 192.168.1.3 20026 { weight 1 }
}
`);

/** Every real server that has checkers, reported up (what the checker says at start without alpha). */
function allUp(config: FloatlbConfig): Map<string, { up: boolean }> {
  const m = new Map<string, { up: boolean }>();
  for (const vs of config.virtualServers)
    for (const rs of vs.realServers) if (rs.checkers.length) m.set(realServerKey(vs, rs), { up: true });
  return m;
}

function inputs(config: FloatlbConfig, over: Partial<DesiredInputs> = {}): DesiredInputs {
  return {
    config,
    health: allUp(config),
    roles: new Map(),
    admin: EMPTY_ADMIN_STATE,
    quorum: new Map(),
    ...over,
  };
}

describe('computeDesired', () => {
  it('programs a seed-001 style DR service with its configured weights', () => {
    const d = computeDesired(inputs(wrrDr));
    expect(d.services).toHaveLength(1);
    const s = d.services[0]!;
    expect(s.spec).toEqual({
      key: { kind: 'ip', family: 'inet', protocol: 'tcp', address: '10.0.0.200', port: 8090 },
      scheduler: 'wrr',
      flags: 0,
      persistence: null,
    });
    expect(s.dests.map((x) => [x.address, x.forwarding, x.weight])).toEqual([
      ['10.0.0.11', 'dr', 3],
      ['10.0.0.12', 'dr', 3],
    ]);
  });

  it('removes a failed server, or holds it at weight 0 with inhibit_on_failure', () => {
    const vs = wrrDr.virtualServers[0]!;
    const health = new Map([
      [realServerKey(vs, vs.realServers[0]!), { up: false }],
      [realServerKey(vs, vs.realServers[1]!), { up: false }],
    ]);
    const d = computeDesired(inputs(wrrDr, { health }));
    expect(d.services[0]!.dests.map((x) => [x.address, x.weight])).toEqual([['10.0.0.12', 0]]);
  });

  it('applies drain and weight overrides', () => {
    const vs = wrrDr.virtualServers[0]!;
    let admin = withOverride(EMPTY_ADMIN_STATE, realServerKey(vs, vs.realServers[0]!), { drain: true });
    admin = withOverride(admin, realServerKey(vs, vs.realServers[1]!), { weight: 7 });
    const d = computeDesired(inputs(wrrDr, { admin }));
    expect(d.services[0]!.dests.map((x) => x.weight)).toEqual([0, 7]);
  });

  it('holds an active/standby pool with nobody linked at weight 0 and uses the sorry server', () => {
    const d = computeDesired(inputs(mrs));
    expect(d.services[0]!.dests.map((x) => [x.address, x.weight])).toEqual([
      ['192.168.1.2', 0],
      ['192.168.1.3', 0],
      ['192.168.1.9', 1],
    ]);
    expect(d.pools[0]).toMatchObject({
      activeStandby: true,
      active: null,
      quorumUp: false,
      sorryServerInUse: true,
    });
  });

  it('gives weight only to the linked member, and a new link replaces the old', () => {
    let admin = withLink(EMPTY_ADMIN_STATE, '192.168.0.50', '192.168.1.2', 'linked', true);
    let d = computeDesired(inputs(mrs, { admin }));
    expect(d.services[0]!.dests.map((x) => [x.address, x.weight])).toEqual([
      ['192.168.1.2', 1],
      ['192.168.1.3', 0],
    ]);
    expect(d.pools[0]!.active).toBe('192.168.1.2');
    // Switchover: the new node links before the old one unlinks.
    admin = withLink(admin, '192.168.0.50', '192.168.1.3', 'linked', true);
    admin = withLink(admin, '192.168.0.50', '192.168.1.2', 'unlinked', true);
    d = computeDesired(inputs(mrs, { admin, quorum: d.quorum }));
    expect(d.services[0]!.dests.map((x) => [x.address, x.weight])).toEqual([
      ['192.168.1.2', 0],
      ['192.168.1.3', 1],
    ]);
  });

  it('keeps the admin choice when the role probe disagrees, and says so', () => {
    const vs = mrs.virtualServers[0]!;
    const admin = withLink(EMPTY_ADMIN_STATE, '192.168.0.50', '192.168.1.2', 'linked', true);
    const roles = new Map([
      [realServerKey(vs, vs.realServers[0]!), false],
      [realServerKey(vs, vs.realServers[1]!), true],
    ]);
    const d = computeDesired(inputs(mrs, { admin, roles }));
    expect(d.pools[0]!.active).toBe('192.168.1.2');
    expect(d.pools[0]!.disagreement).toMatch(/192\.168\.1\.2 fails its role probe; 192\.168\.1\.3 passes/);
  });

  it('lets the role probe choose when nobody has ever linked', () => {
    const vs = mrs.virtualServers[0]!;
    const roles = new Map([
      [realServerKey(vs, vs.realServers[0]!), false],
      [realServerKey(vs, vs.realServers[1]!), true],
    ]);
    const d = computeDesired(inputs(mrs, { roles }));
    expect(d.pools[0]!.active).toBe('192.168.1.3');
  });

  it('applies quorum hysteresis', () => {
    const c = cfg(`
virtual_server 10.1.0.1 80 {
  quorum 4
  hysteresis 1
  sorry_server 10.1.9.9 80
  real_server 10.1.1.1 80 {
    weight 2
    TCP_CHECK {}
  }
  real_server 10.1.1.2 80 {
    weight 2
    TCP_CHECK {}
  }
  real_server 10.1.1.3 80 {
    weight 2
    TCP_CHECK {}
  }
}`);
    const vs = c.virtualServers[0]!;
    const keys = vs.realServers.map((r) => realServerKey(vs, r));
    const health = (ups: boolean[]) => new Map(keys.map((k, i) => [k, { up: ups[i]! }]));
    // At start every server counts up: 6 >= 4 + 1.
    let d = computeDesired(inputs(c, { health: health([true, true, true]) }));
    expect(d.pools[0]!.quorumUp).toBe(true);
    // 4 of quorum 4: still up (down only below 3).
    d = computeDesired(inputs(c, { health: health([true, true, false]), quorum: d.quorum }));
    expect(d.pools[0]!.quorumUp).toBe(true);
    // 2 < 3: down, sorry server in.
    d = computeDesired(inputs(c, { health: health([true, false, false]), quorum: d.quorum }));
    expect(d.pools[0]!.quorumUp).toBe(false);
    expect(d.services[0]!.dests.at(-1)).toMatchObject({ address: '10.1.9.9', weight: 1 });
    // Back to 4: not yet up (needs 5).
    d = computeDesired(inputs(c, { health: health([true, true, false]), quorum: d.quorum }));
    expect(d.pools[0]!.quorumUp).toBe(false);
    d = computeDesired(inputs(c, { health: health([true, true, true]), quorum: d.quorum }));
    expect(d.pools[0]!.quorumUp).toBe(true);
    expect(d.services[0]!.dests.map((x) => x.address)).not.toContain('10.1.9.9');
  });

  describe('quorum and the sorry server, as keepalived 2.2.7', () => {
    const c = cfg(`
virtual_server 10.2.0.1 80 {
  quorum 3
  sorry_server 10.2.9.9 80
  real_server 10.2.1.1 80 {
    weight 2
    TCP_CHECK {}
  }
  real_server 10.2.1.2 80 {
    weight 1
    TCP_CHECK {}
  }
  real_server 10.2.1.3 80 {
    weight 1
    inhibit_on_failure
    TCP_CHECK {}
  }
}
virtual_server 10.2.0.2 80 {
  quorum 3
  sorry_server 10.2.9.9 80
  sorry_server_inhibit
  real_server 10.2.1.1 80 {
    weight 2
    TCP_CHECK {}
  }
  real_server 10.2.1.2 80 {
    weight 2
    TCP_CHECK {}
  }
}
virtual_server 10.2.0.3 80 {
  quorum 3
  real_server 10.2.1.1 80 {
    weight 2
    TCP_CHECK {}
  }
  real_server 10.2.1.2 80 {
    weight 2
    TCP_CHECK {}
  }
}`);
    const health = (ups: boolean[][]) => {
      const m = new Map<string, { up: boolean }>();
      c.virtualServers.forEach((vs, i) => {
        vs.realServers.forEach((rs, j) => {
          m.set(realServerKey(vs, rs), { up: ups[i][j]! });
        });
      });
      return m;
    };
    const table = (d: ReturnType<typeof computeDesired>) =>
      d.services.map((s) => s.dests.map((x) => `${x.address}=${x.weight}`).join(' '));

    it('replaces every live real server with the sorry server when quorum is lost, and back', () => {
      let d = computeDesired(
        inputs(c, {
          health: health([
            [true, true, true],
            [true, true],
            [true, true],
          ]),
        }),
      );
      expect(table(d)).toEqual([
        '10.2.1.1=2 10.2.1.2=1 10.2.1.3=1',
        '10.2.1.1=2 10.2.1.2=2 10.2.9.9=0',
        '10.2.1.1=2 10.2.1.2=2',
      ]);
      // 10.2.1.1 fails: live weight 2 < 3 everywhere.
      d = computeDesired(
        inputs(c, {
          health: health([
            [false, true, false],
            [false, true],
            [false, true],
          ]),
          quorum: d.quorum,
        }),
      );
      expect(d.pools.map((p) => p.quorumUp)).toEqual([false, false, false]);
      expect(table(d)).toEqual([
        // the live 10.2.1.2 leaves, the failed inhibited 10.2.1.3 stays at 0, the sorry server comes in
        '10.2.1.3=0 10.2.9.9=1',
        // sorry_server_inhibit: the sorry server, held at 0 while quorum held, now carries weight 1
        '10.2.9.9=1',
        // no sorry server: the live real servers stay
        '10.2.1.2=2',
      ]);
      expect(d.pools[0]!.members.map((m) => m.weight)).toEqual([null, null, 0]);
      d = computeDesired(
        inputs(c, {
          health: health([
            [true, true, true],
            [true, true],
            [true, true],
          ]),
          quorum: d.quorum,
        }),
      );
      expect(table(d)).toEqual([
        '10.2.1.1=2 10.2.1.2=1 10.2.1.3=1',
        '10.2.1.1=2 10.2.1.2=2 10.2.9.9=0',
        '10.2.1.1=2 10.2.1.2=2',
      ]);
    });

    it('starts with quorum down, the sorry server in, when the start weight is short', () => {
      const d = computeDesired(
        inputs(c, {
          health: health([
            [false, true, true],
            [true, false],
            [true, false],
          ]),
        }),
      );
      expect(d.pools.map((p) => [p.quorumUp, p.sorryServerInUse])).toEqual([
        [false, true],
        [false, true],
        [false, false],
      ]);
      expect(table(d)[0]).toBe('10.2.9.9=1');
    });
  });
});

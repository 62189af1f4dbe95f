// vrrp_strict / strict_mode and accept/no_accept in the model, and the
// static_* blocks. Each strict consequence is also checked against
// keepalived -t itself in test/host/config-strict-agreement.test.ts.
import { describe, expect, test } from 'vitest';
import { type ConfigResult, parseConfigText } from '../../../src/config/index.js';
import { instancesFromConfig } from '../../../src/vrrp/from-config.js';
import { noFiles } from '../../support/no-files.js';

const parse = (text: string): ConfigResult =>
  parseConfigText(text, { file: 'k.conf', configId: 'x', ...noFiles });
const VIP = ' virtual_ipaddress {\n  10.0.0.1/24\n }';
const instance = (body: string) => `vrrp_instance V {\n interface eth0\n virtual_router_id 1\n${body}\n}\n`;
const strict = (body: string, global = ' vrrp_strict\n') =>
  parse(`global_defs {\n${global}}\n${instance(body)}`);
function inst(r: ConfigResult) {
  const v = r.config?.vrrpInstances[0];
  if (!v) throw new Error(`no instance: ${JSON.stringify(r.diagnostics)}`);
  return v;
}

describe('accept and no_accept', () => {
  test('outside strict mode an instance accepts unless no_accept is written, as keepalived', () => {
    expect(inst(parse(instance(` priority 100\n${VIP}`))).accept).toBe(true);
    expect(inst(parse(instance(` priority 100\n no_accept\n${VIP}`))).accept).toBe(false);
  });

  test('strict mode implies no_accept except for the owner; version 3 may still accept', () => {
    expect(inst(strict(` priority 100\n${VIP}`)).accept).toBe(false);
    expect(inst(strict(` priority 255\n${VIP}`)).accept).toBe(true);
    expect(inst(strict(` priority 100\n version 3\n accept\n${VIP}`)).accept).toBe(true);
    const v2 = strict(` priority 100\n accept\n${VIP}`);
    expect(inst(v2).accept).toBe(false);
    expect(v2.diagnostics.map((d) => `${d.line}:${d.column}`)).toEqual(['8:2']);
  });
});

describe('strict mode', () => {
  test('settings it forbids are warned at their line and reset', () => {
    const r = strict(
      ` priority 100\n state MASTER\n preempt_delay 3\n use_vmac\n vmac_xmit_base\n garp_lower_prio_repeat 3\n${VIP}\n authentication {\n  auth_type PASS\n  auth_pass x\n }`,
    );
    expect(r.ok).toBe(true);
    const v = inst(r);
    expect({
      state: v.state,
      preemptDelay: v.preemptDelay,
      xmitBase: v.vmacXmitBase,
      auth: v.authentication,
      garp: [v.garp.lowerPrioRepeat, v.garp.lowerPrioDelay],
    }).toEqual({ state: 'BACKUP', preemptDelay: 0, xmitBase: false, auth: null, garp: [0, 0] });
    const own = r.diagnostics.filter((d) => !d.unsupported).map((d) => d.line);
    expect(own).toEqual([8, 9, 11, 12, 16]);
  });

  test('an instance without VIPs is refused', () => {
    const r = strict(' priority 100');
    expect(r.ok).toBe(false);
    expect(r.diagnostics.find((d) => d.severity === 'error')?.line).toBe(4);
  });

  test('unicast peers and many VIPs stay allowed, as in keepalived 2.2.7', () => {
    const vips = Array.from({ length: 30 }, (_, i) => `  10.0.1.${i + 1}/24`).join('\n');
    const r = strict(` priority 100\n virtual_ipaddress {\n${vips}\n }\n unicast_peer {\n  10.0.0.9\n }`);
    expect(r.diagnostics).toEqual([]);
    expect(inst(r).unicastPeer).toHaveLength(1);
  });

  test('strict_mode in the instance overrides vrrp_strict both ways', () => {
    expect(inst(strict(` priority 100\n strict_mode off\n${VIP}`)).strict).toBe(false);
    expect(inst(strict(` priority 100\n strict_mode off\n${VIP}`)).accept).toBe(true);
    expect(inst(strict(` priority 100\n strict_mode\n${VIP}`, '')).strict).toBe(true);
    expect(inst(strict(` priority 100\n strict_mode\n${VIP}`, '')).accept).toBe(false);
  });

  test('IPv6 runs version 3; only a written version 2 is reported', () => {
    const silent = strict(` priority 100\n virtual_ipaddress {\n  fe80::1/64\n }`);
    expect(silent.diagnostics).toEqual([]);
    expect(inst(silent).version).toBe(3);
    const written = strict(` priority 100\n version 2\n virtual_ipaddress {\n  fe80::1/64\n }`);
    expect(written.diagnostics.map((d) => d.line)).toEqual([8]);
  });

  test('a strict master is told not to answer lower-priority adverts', () => {
    const [s] = instancesFromConfig(strict(` priority 100\n${VIP}`).config!);
    expect(s?.lowerPrioNoAdvert).toBe(true);
    const [n] = instancesFromConfig(parse(instance(` priority 100\n${VIP}`)).config!);
    expect(n?.lowerPrioNoAdvert).toBeUndefined();
  });
});

describe('static_ipaddress, static_routes, static_rules', () => {
  test('read into the model, with what keepalived warns about', () => {
    const r = parse(
      'static_ipaddress {\n 10.9.9.9/32 dev eth0\n 10.9.9.10/24\n 2001:db8::9/64 label eth0:x\n}\n' +
        'static_routes {\n 10.50.0.0/16 via 10.0.0.254 dev eth0\n blackhole 10.60.0.0/16\n}\n' +
        'static_rules {\n from 10.9.9.9 table 100 priority 50\n}\n',
    );
    expect(r.ok).toBe(true);
    const c = r.config!;
    expect(c.staticIpaddress.map((a) => [a.address, a.prefix, a.dev])).toEqual([
      ['10.9.9.9', 32, 'eth0'],
      ['10.9.9.10', 24, null],
      ['2001:db8::9', 64, null],
    ]);
    expect(c.staticRoutes.map((x) => [x.type, x.dst.address, x.via ?? null])).toEqual([
      ['unicast', '10.50.0.0', '10.0.0.254'],
      ['blackhole', '10.60.0.0', null],
    ]);
    expect(c.staticRules).toEqual([
      expect.objectContaining({
        action: 'table',
        table: 100,
        priority: 50,
        from: { address: '10.9.9.9', prefix: 32 },
      }),
    ]);
    // keepalived: "Cannot specify label for IPv6 addresses", "cannot track route ... with no interface specified"
    expect(r.diagnostics.map((d) => d.line)).toEqual([4, 8]);
  });
});

/* biome-ignore-all lint/suspicious/noTemplateCurlyInString: keepalived's ${NAME} syntax is the subject here */
// What keepalived 2.2.7 reports and goes on with, floatlb warns about (same
// meaning, file:line:column) and goes on with; the categories of real configs
// floatlb used to refuse.
import { describe, expect, test } from 'vitest';
import { checkReport } from '../../../src/cli/commands/config.js';
import { type ConfigResult, parseConfigText } from '../../../src/config/index.js';
import { noFiles } from '../../support/no-files.js';

const parse = (text: string): ConfigResult =>
  parseConfigText(text, { file: 'k.conf', configId: 'x', ...noFiles });
const instance = (body: string, name = 'V', vrid = 1) =>
  `vrrp_instance ${name} {\n interface eth0\n virtual_router_id ${vrid}\n${body}\n}\n`;
const warnings = (r: ConfigResult) => r.diagnostics.filter((d) => d.severity === 'warning');

describe('accepted with the same meaning as keepalived', () => {
  test('brd + and brd - compute the broadcast address', () => {
    const r = parse(instance(' virtual_ipaddress {\n  10.1.2.3/24 brd + dev eth0\n  10.1.6.4/22 brd -\n }'));
    expect(r.diagnostics).toEqual([]);
    expect(r.config?.vrrpInstances[0]?.virtualIpaddress.map((v) => v.brd)).toEqual([
      '10.1.2.255',
      '10.1.4.0',
    ]);
  });

  test('virtual_server alpha/omega/ha_suspend take any argument and are on, as keepalived ignores it', () => {
    const r = parse(
      'virtual_server 10.0.0.1 80 {\n protocol TCP\n lb_algo rr\n lb_kind NAT\n alpha 1\n omega 1\n ha_suspend 0\n}\n',
    );
    expect(r.ok).toBe(true);
    const vs = r.config?.virtualServers[0];
    expect([vs?.alpha, vs?.omega, vs?.haSuspend]).toEqual([true, true, true]);
    expect(warnings(r).find((d) => d.line === 7 && /takes no value/.test(d.message))).toBeTruthy();
  });

  test('$NAME inside ~SEQ numbers', () => {
    const r = parse('$START=2\n$END=4\n~SEQ(I, $START, $END) vrrp_script s$I { script /bin/true }\n');
    expect(r.diagnostics).toEqual([]);
    expect(r.config!.vrrpScripts.map((s) => s.name)).toEqual(['s2', 's3', 's4']);
  });

  test('$((…)) stays literal, as in keepalived: names built from it load, numbers from it are warned', () => {
    const r = parse('$i=1\n' + instance(' priority $((100-$i))', 'redis_$((i))', 9));
    expect(r.ok).toBe(true);
    expect(r.config?.vrrpInstances[0]?.name).toBe('redis_$((i))');
    expect(warnings(r).some((d) => d.line === 5 && /invalid priority/.test(d.message))).toBe(true);
  });

  test('a comment line inside a multi-line definition does not end it', () => {
    const r = parse('$VI= \\\nvrrp_script s { \\\n# nothing { \\\n script /bin/true \\\n}\n$VI\n');
    expect(r.diagnostics).toEqual([]);
    expect(r.config!.vrrpScripts.map((s) => s.script)).toEqual(['/bin/true']);
  });

  test('stray }, unclosed { and an unterminated quote: warnings, the file loads', () => {
    // keepalived drops the words from an unmatched '"' on: default_interface is left without a value.
    const r = parse('}\nglobal_defs {\n default_interface "a b\n');
    expect(r.ok).toBe(true);
    expect(r.config!.globalDefs.defaultInterface).toBeNull();
    expect(warnings(r).map((d) => d.line)).toEqual([1, 2, 3, 3]);
  });

  test('vrrp_script without script and track_file without file are dropped with a warning saying so', () => {
    const r = parse(
      'vrrp_script chk {\n interval 2\n}\ntrack_file tf {\n weight 1\n}\n' +
        instance(' track_script {\n  chk\n }\n track_file {\n  tf\n }'),
    );
    expect(r.ok).toBe(true);
    expect(r.config!.vrrpScripts).toEqual([]);
    expect(r.config!.vrrpTrackFiles).toEqual([]);
    const msgs = warnings(r).map((d) => `${d.line}:${d.column} ${d.message}`);
    expect(msgs).toContainEqual(
      expect.stringMatching(/^1:1 vrrp_script chk has no script: dropped.*ignore it/),
    );
    expect(msgs).toContainEqual(expect.stringMatching(/^4:1 track_file tf has no file: dropped.*ignore it/));
  });

  test('notify_master with several unquoted words: dropped as keepalived does, and said so', () => {
    const r = parse(instance(' notify_master /bin/bash /usr/local/bin/a.sh 3 4'));
    expect(r.ok).toBe(true);
    expect(r.config?.vrrpInstances[0]?.notifyMaster).toBeNull();
    expect(warnings(r)[0]).toMatchObject({ line: 4, column: 26 });
    expect(warnings(r)[0]!.message).toMatch(/reads '\/usr\/local\/bin\/a.sh' as the user.*not run/);
  });

  test('an HTTP digest that is not 32 hex digits is warned and ignored', () => {
    const r = parse(
      'virtual_server 10.0.0.1 80 {\n protocol TCP\n lb_algo rr\n lb_kind NAT\n real_server 10.0.0.2 80 {\n' +
        '  HTTP_GET {\n   url {\n    path /\n    digest xyz\n   }\n  }\n }\n}\n',
    );
    expect(r.ok).toBe(true);
    expect(warnings(r).some((d) => d.line === 9 && /digest/.test(d.message))).toBe(true);
  });

  test('retry 0 is invalid outside a checker and the default stays; inside one it counts', () => {
    const r = parse(
      'virtual_server 10.0.0.1 80 {\n protocol TCP\n lb_algo rr\n lb_kind NAT\n retry 0\n' +
        ' real_server 10.0.0.2 80 {\n  retry 0\n  TCP_CHECK {\n  }\n }\n' +
        ' real_server 10.0.0.3 80 {\n  TCP_CHECK {\n   retry 0\n  }\n }\n}\n',
    );
    expect(r.ok).toBe(true);
    expect(warnings(r).map((d) => [d.line, d.column, /invalid retry '0'/.test(d.message)])).toEqual([
      [5, 8, true],
      [7, 9, true],
    ]);
    const [a, b] = r.config?.virtualServers[0]?.realServers ?? [];
    expect(a!.checkers[0]).toMatchObject({ retry: 1 });
    expect(b!.checkers[0]).toMatchObject({ retry: 0 });
  });

  test('outside NAT, real and sorry servers take the service port (none for fwmark); quorum and hysteresis are lowered', () => {
    const rs = (a: string, p: number, kind = '') => ` real_server ${a} ${p} {\n  weight 2\n${kind}}\n`;
    const r = parse(
      'virtual_server fwmark 5 {\n lb_algo rr\n lb_kind DR\n quorum 9\n hysteresis 4\n sorry_server 10.0.0.9 80\n' +
        rs('10.0.0.2', 80) +
        rs('10.0.0.3', 8080, '  lvs_method NAT\n') +
        '}\nvirtual_server 10.0.0.1 443 {\n protocol TCP\n lb_algo rr\n lb_kind TUN\n' +
        rs('10.0.0.4', 8443) +
        '}\n',
    );
    expect(r.ok).toBe(true);
    const [fw, ip] = r.config!.virtualServers;
    expect(fw!.realServers.map((x) => x.port)).toEqual([0, 8080]);
    expect(fw!.sorryServer).toEqual({ address: '10.0.0.9', port: 0 });
    expect([fw!.quorum, fw!.hysteresis]).toEqual([4, 3]);
    expect(ip!.realServers.map((x) => x.port)).toEqual([443]);
    const msgs = warnings(r).map((d) => `${d.line}:${d.message.split(';')[0]}`);
    expect(msgs).toEqual([
      "1:real server 10.0.0.2 port 80: a fwmark virtual server's DR real servers have no port",
      '1:sorry_server 10.0.0.9 port 80: cleared for DR forwarding, as keepalived does',
      "1:quorum 9 exceeds the real servers' total weight 4",
      '1:hysteresis 4 is not below quorum 4',
      "15:real server 10.0.0.4 port 8443 differs from the virtual server's 443, which TUN forwarding keeps",
    ]);
  });

  test('two unicast instances share a VRID on one interface with different sources and peers', () => {
    const a = instance(' unicast_src_ip 10.0.0.1\n unicast_peer {\n  10.0.0.2\n }', 'A', 7);
    const b = instance(' unicast_src_ip 10.0.1.1\n unicast_peer {\n  10.0.1.2\n }', 'B', 7);
    const r = parse(a + b);
    expect(r.diagnostics).toEqual([]);
    expect(r.config!.vrrpInstances.map((v) => v.name)).toEqual(['A', 'B']);
  });

  test('a real VRID clash (multicast, one interface) keeps the first instance and says why', () => {
    const r = parse(instance('', 'A', 7) + instance('', 'B', 7));
    expect(r.ok).toBe(true);
    expect(r.config!.vrrpInstances.map((v) => v.name)).toEqual(['A']);
    expect(warnings(r)[0]!.message).toMatch(/refuses to start.*drops B/);
  });

  test('an instance without interface uses default_interface, as keepalived does', () => {
    const r = parse(
      'global_defs {\n default_interface bond0\n}\nvrrp_instance V {\n virtual_router_id 3\n}\n',
    );
    expect(r.ok).toBe(true);
    expect(r.config?.vrrpInstances[0]?.interface).toBe('bond0');
  });
});

describe('virtual_server_group ranges as keepalived expands them', () => {
  const group = (line: string) => parse(`virtual_server_group G {\n ${line} 80\n}\n`);
  test.each([
    ['192.168.202.8/29', '192.168.202.8', '192.168.202.15'],
    ['10.0.0.1-10', '10.0.0.1', '10.0.0.10'],
    ['10.0.0.250-10.0.1.3', '10.0.0.250', '10.0.1.3'],
    ['2001:db8::10-1f', '2001:db8::10', '2001:db8::1f'],
    ['2001:db8::/120', '2001:db8::', '2001:db8::ff'],
    ['10.0.0.7', '10.0.0.7', '10.0.0.7'],
  ])('%s', (text, first, last) => {
    const r = group(text);
    expect(r.diagnostics).toEqual([]);
    expect(r.config?.virtualServerGroups[0]?.entries).toEqual([{ kind: 'range', first, last, port: 80 }]);
  });
  test.each([
    '10.0.0.9/29',
    '10.0.0.5-5',
    '10.0.0.5-10.0.0.1',
    '10.0.0.0/0',
  ])('%s is skipped with a warning', (text) => {
    const r = group(text);
    expect(r.ok).toBe(true);
    expect(r.config?.virtualServerGroups[0]?.entries).toEqual([]);
    expect(warnings(r)).toHaveLength(1);
  });
});

describe('refused where keepalived refuses', () => {
  test.each([
    ['includea /nope/*.conf', false],
    ['includem /nope/a.conf', false],
    ['includew /nope/*.conf', false],
    ['includeb /nope/{a,b}.conf', false],
    ['includer /nope/*.conf', true],
    ['include /nope/a.conf', true],
    ['includem /nope/{a,b}.conf', true],
  ])('%s: usable %s', (line, ok) => {
    expect(parse(`${line}\n`).ok).toBe(ok);
  });
});

test('auth_type with no value: a positioned error, not a TypeError', () => {
  const r = parse(instance(' authentication {\n  auth_type PASS\n  auth_type\n }'));
  expect(r.ok).toBe(false);
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([
    expect.objectContaining({ line: 6, column: 3 }),
  ]);
});

describe('config check', () => {
  test('summarises the keywords parsed but not acted on; --strict refuses on any warning', () => {
    const r = parse(
      'global_defs {\n vrrp_no_swap\n vrrp_cpu_affinity 0\n}\n' +
        instance(' use_vmac\n smtp_alert\n use_vmac'),
    );
    const report = checkReport('k.conf', r);
    expect(report.exitCode).toBe(0);
    expect(report.lines.at(-1)).toBe(
      '3 keywords parsed but not acted on: vrrp_no_swap, vrrp_cpu_affinity, smtp_alert (see docs/compat.md)',
    );
    const strict = checkReport('k.conf', r, true);
    expect(strict.exitCode).toBe(1);
    expect(strict.lines[0]).toMatch(
      /^k.conf:2:2: error: vrrp_no_swap in global_defs is parsed but not acted on/,
    );
  });
});

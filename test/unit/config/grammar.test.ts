/* biome-ignore-all lint/suspicious/noTemplateCurlyInString: keepalived's ${NAME} syntax is the subject here */
// The grammar features: comments, quotes, includes, $definitions, @id lines,
// ~SEQ/~LST, messages with positions, and the JSON round trip.
import { describe, expect, test } from 'vitest';
import { formatDiagnostic, parseConfigText } from '../../../src/config/index.js';
import { SCHED_FLAG_BIT } from '../../../src/kernel/vocabulary.js';

function files(map: Record<string, string>) {
  return {
    readFile: (p: string) => {
      const t = map[p];
      if (t === undefined) throw new Error('ENOENT');
      return t;
    },
    listDir: (d: string) => {
      const prefix = d.endsWith('/') ? d : `${d}/`;
      const names = Object.keys(map)
        .filter((k) => k.startsWith(prefix) && !k.slice(prefix.length).includes('/'))
        .map((k) => k.slice(prefix.length));
      return names.length ? names : null;
    },
  };
}
// A reader of its own keeps parsing pure: no file system, no checks of this machine.
const parse = (text: string, configId = 'main') =>
  parseConfigText(text, { file: '/etc/k.conf', configId, ...files({}) });

describe('lexing', () => {
  test('comments anywhere, braces glued to words, quoted strings with escapes', () => {
    const r = parse(
      'global_defs{router_id A#c\n}\nvrrp_script s {\n script "a \\"b\\"\\tc" ! x\n}\nvrrp_script t {\n script ab" c "d\n}',
    );
    expect(r.diagnostics.filter((d) => !d.unsupported)).toEqual([]);
    expect(r.config!.globalDefs.routerId).toBe('A');
    expect(r.config!.vrrpScripts.map((s) => s.script)).toEqual(['a "b"\tc', 'ab c d']);
  });

  test('a block brace on the next line', () => {
    const r = parse('global_defs\n{\n router_id X\n}\n');
    expect(r.config!.globalDefs.routerId).toBe('X');
  });

  test('unknown keyword is a warning with file:line:column', () => {
    const r = parse('global_defs {\n  vrrp_version 2\n  frobnicate 3\n}\n');
    expect(r.ok).toBe(true);
    expect(r.diagnostics.map(formatDiagnostic)).toEqual([
      "/etc/k.conf:3:3: warning: unknown keyword 'frobnicate' in global_defs",
    ]);
  });

  test('invalid value: warned, naming what was found and what is accepted; the default stays, as in keepalived', () => {
    const r = parse('vrrp_instance V {\n interface eth0\n virtual_router_id 5\n priority 300\n}\n');
    expect(r.ok).toBe(true);
    expect(r.config?.vrrpInstances[0]?.priority).toBe(100);
    expect(r.diagnostics.map(formatDiagnostic)).toEqual([
      "/etc/k.conf:4:11: warning: invalid priority '300': expected an integer 1..255; ignored",
    ]);
  });

  test('unbalanced braces and quotes are warnings at the spot, and the file loads, as in keepalived', () => {
    const open = parse('global_defs {\n router_id A\n');
    expect(open.ok).toBe(true);
    expect(open.config!.globalDefs.routerId).toBe('A');
    expect(open.diagnostics[0]).toMatchObject({ line: 1, column: 13, severity: 'warning' });
    expect(parse('global_defs {\n}\n}\n').diagnostics[0]).toMatchObject({
      line: 3,
      column: 1,
      severity: 'warning',
    });
    const quote = parse('vrrp_script s {\n script "/bin/true x\n}\n');
    expect(quote.ok).toBe(true);
    const unterminated = quote.diagnostics.find((d) => /unterminated quoted string/.test(d.message));
    expect(unterminated).toMatchObject({ line: 2, column: 9, severity: 'warning' });
  });

  test('BOOL and TIMER values', () => {
    const r = parse(
      'virtual_server 1.2.3.4 80 {\n protocol TCP\n lb_algo rr\n lb_kind DR\n delay_loop 2.5\n' +
        ' real_server 1.2.3.5 80 {\n inhibit_on_failure off\n TCP_CHECK {\n connect_timeout 0.25\n }\n }\n}\n',
    );
    expect(r.diagnostics).toEqual([]);
    const config = r.config!;
    const vs = config.virtualServers[0]!;
    expect(vs.delayLoop).toBe(2500);
    expect(vs.realServers[0]!.inhibitOnFailure).toBe(false);
    expect(vs.realServers[0]!.checkers[0]).toMatchObject({
      connectTimeout: 250,
      delayLoop: 2500,
      warmup: 2500,
    });
  });
});

describe('preprocessing', () => {
  test('@id and @^id lines; @floatlb lines are always on', () => {
    const text = 'global_defs {\n@main router_id M\n@backup router_id B\n@^main smtp_helo_name notmain\n}\n';
    expect(parse(text, 'main').config!.globalDefs).toMatchObject({ routerId: 'M', smtpHeloName: null });
    expect(parse(text, 'backup').config!.globalDefs).toMatchObject({
      routerId: 'B',
      smtpHeloName: 'notmain',
    });
    const ext = parse('global_defs {\n@floatlb floatlb_api_socket /run/f.sock\n@^floatlb router_id K\n}\n');
    expect(ext.config!.globalDefs).toMatchObject({ floatlbApiSocket: '/run/f.sock', routerId: null });
  });

  test('$NAME definitions: recursive, late-bound, braced and multi-line', () => {
    const text = [
      '$BASE=10.2.${SUB}',
      '$SUB=0',
      '$RS= \\',
      'real_server ${BASE}.${N} 80 { \\',
      '  weight ${N} \\',
      '}',
      'virtual_server ${BASE}.100 80 {',
      ' protocol TCP',
      ' lb_algo rr',
      ' lb_kind NAT',
      '$N=1',
      '$RS',
      '$N=2',
      '$RS',
      '}',
    ].join('\n');
    const r = parse(text);
    expect(r.diagnostics).toEqual([]);
    const config = r.config!;
    const vs = config.virtualServers[0]!;
    expect(vs.target).toMatchObject({ address: '10.2.0.100' });
    expect(vs.realServers.map((x) => [x.address, x.weight])).toEqual([
      ['10.2.0.1', 1],
      ['10.2.0.2', 2],
    ]);
  });

  test('~SEQ, ~SEQx and ~LST expand lines', () => {
    const r = parse(
      'vrrp_instance V {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress {\n' +
        '  ~SEQ(A, 0, 2, 4) 10.0.${A}.1\n  ~SEQx(H, 0x90, 0x10, 0xa0) fe80::${H}:1\n' +
        '  ~LST({X, Y}, {1,2},{3,4}) 192.168.${X}.${Y}\n }\n}\n',
    );
    expect(r.diagnostics).toEqual([]);
    const config = r.config!;
    expect(config.vrrpInstances[0]!.virtualIpaddress.map((v) => v.address)).toEqual([
      '10.0.0.1',
      '10.0.2.1',
      '10.0.4.1',
      'fe80::90:1',
      'fe80::a0:1',
      '192.168.1.2',
      '192.168.3.4',
    ]);
  });

  test('includes: relative paths, globs in order, braces; missing includea is an error', () => {
    const fs = files({
      '/etc/k.conf': 'include conf.d/*.conf\ninclude {a,b}.inc\nincludea /nope/*.conf\n',
      '/etc/conf.d/2.conf': 'vrrp_script two {\n script /bin/two\n}\n',
      '/etc/conf.d/1.conf': 'vrrp_script one {\n script /bin/one\n}\n',
      '/etc/a.inc': 'vrrp_script a {\n script /bin/a\n}\n',
      '/etc/b.inc': 'vrrp_script b {\n script /bin/b\n}\n',
    });
    const r = parseConfigText(fs.readFile('/etc/k.conf'), { file: '/etc/k.conf', configId: 'x', ...fs });
    expect(r.config!.vrrpScripts.map((s) => s.name)).toEqual(['one', 'two', 'a', 'b']);
    expect(r.diagnostics.map(formatDiagnostic)).toEqual([
      '/etc/k.conf:3:1: error: includea: no configuration file matches /nope/*.conf',
    ]);
  });

  test('an include loop is reported as one', () => {
    const fs = files({ '/etc/k.conf': 'include x.conf\n', '/etc/x.conf': 'include k.conf\n' });
    const r = parseConfigText(fs.readFile('/etc/k.conf'), { file: '/etc/k.conf', configId: 'x', ...fs });
    expect(r.ok).toBe(false);
    expect(r.diagnostics.map((d) => d.message)).toEqual([
      'include loop: /etc/k.conf -> /etc/x.conf -> /etc/k.conf',
    ]);
  });
});

describe('floatlb extensions', () => {
  test('active_standby pool with role_probe', () => {
    const r = parse(
      [
        'virtual_server 10.9.0.1 8080 {',
        ' protocol TCP',
        ' lb_algo rr',
        ' lb_kind NAT',
        ' @floatlb active_standby',
        ' real_server 10.9.0.2 8080 {',
        '  TCP_CHECK {',
        '  }',
        '  @floatlb role_probe { HTTP_GET { url { path /active',
        '  @floatlb   status_code 200 } } }',
        ' }',
        ' real_server 10.9.0.3 8080 {',
        '  @floatlb role_probe {',
        '  @floatlb   HTTP_GET {',
        '  @floatlb     url {',
        '  @floatlb       path /active',
        '  @floatlb       status_code 200',
        '  @floatlb     }',
        '  @floatlb   }',
        '  @floatlb }',
        ' }',
        '}',
      ].join('\n'),
    );
    expect(r.diagnostics).toEqual([]);
    const config = r.config!;
    const vs = config.virtualServers[0]!;
    expect(vs.activeStandby).toBe(true);
    expect(vs.realServers.map((x) => x.roleProbe?.type)).toEqual(['HTTP_GET', 'HTTP_GET']);
    const probe = vs.realServers[1].roleProbe!;
    if (probe.type !== 'HTTP_GET') throw new Error(probe.type);
    expect(probe.urls[0]).toMatchObject({ path: '/active', statusCodes: [[200, 200]] });
    expect([probe.connectIp, probe.connectPort]).toEqual(['10.9.0.3', 8080]);
  });
});

describe('JSON form', () => {
  test('round-trips a sample model and rejects a wrong field', () => {
    const text =
      'global_defs {\n router_id R\n lvs_sync_daemon eth0 VI_1 id 5\n}\n' +
      'vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 9\n version 3\n advert_int 0.1\n unicast_peer {\n 10.1.1.2 min_ttl 3\n }\n}\n' +
      'virtual_server fwmark 7 {\n lb_algo mh\n mh-port\n lvs_method TUN type gue port 6080 csum\n' +
      ' real_server 10.1.1.9 {\n DNS_CHECK {\n type a\n name example.test\n }\n UDP_CHECK {\n payload ab 12\n require_reply\n }\n }\n}\n';
    const r = parse(text);
    expect(r.diagnostics.filter((d) => !d.unsupported)).toEqual([]);
    const c = r.config!;
    expect(c.vrrpInstances[0]).toMatchObject({
      version: 3,
      advertInt: 100,
      unicastPeer: [{ address: '10.1.1.2', minTtl: 3, maxTtl: null }],
    });
    expect(c.globalDefs.lvsSyncDaemon).toMatchObject({ interface: 'eth0', instance: 'VI_1', syncId: 5 });
    expect(c.virtualServers[0]!.forwarding).toEqual({
      method: 'TUN',
      tunnelType: 'gue',
      tunnelPort: 6080,
      tunnelChecksum: 'csum',
    });
    expect(c.virtualServers[0]!.schedulerFlags).toBe(SCHED_FLAG_BIT['mh-port']);
    expect(c.virtualServers[0].realServers[0]!.checkers.map((k) => k.type)).toEqual([
      'DNS_CHECK',
      'UDP_CHECK',
    ]);
    // The model holds only JSON values (null for unset, no undefined, Map or
    // Date), so `config check --dump json` loses nothing.
    expect(JSON.parse(JSON.stringify(c))).toEqual(c);
  });
});

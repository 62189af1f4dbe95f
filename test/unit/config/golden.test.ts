/* biome-ignore-all lint/suspicious/noTemplateCurlyInString: keepalived's ${NAME} syntax is generated here */
// Pins the model and the diagnostics of generated configs, the fixtures and the
// samples to hashes taken before the parser was tuned for speed: any change of
// a value, a key order or a diagnostic position changes a hash. (Re-taken when
// keepalived's leniency and the keyword-table warnings changed the diagnostics,
// and when keepalived's port and quorum corrections were added.)
import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { generateConfig } from '../../../bench/config-scale.js';
import { type ConfigResult, loadConfigSync, parseConfigText } from '../../../src/config/index.js';

const digest = (r: ConfigResult): string =>
  createHash('sha256')
    .update(JSON.stringify({ config: r.config, diagnostics: r.diagnostics, ok: r.ok }))
    .digest('hex');

const CHECKERS = [
  'TCP_CHECK {\n connect_timeout 3\n retry 2\n}',
  'HTTP_GET {\n url {\n path "/h ok"\n status_code 200-299 404\n digest 0123456789ABCDEF0123456789abcdef\n }\n connect_port 81\n http_protocol 1.1\n}',
  'SSL_GET { url { path / } }',
  'SMTP_CHECK {\n helo_name x.y\n host {\n connect_ip 10.1.1.1\n }\n}',
  'DNS_CHECK {\n type aaaa\n name example.org\n}',
  'MISC_CHECK {\n misc_path "/bin/true -a"\n misc_timeout 2.5\n user nobody nogroup\n}',
  'UDP_CHECK {\n payload 0a0B\n require_reply 0x\n max_reply_length 90\n}',
  'PING_CHECK {\n delay_loop 1.25\n}',
  'FILE_CHECK {\n track_file tf\n weight -3 reverse\n}',
  'BFD_CHECK {\n name b1\n}',
  'TCP_CHECK {\n connect_timeout x\n bogus 1\n}',
  'HTTP_GET {\n}',
];

/** A deterministic mix of the grammar: most keywords, errors and warnings, loops and definitions. */
function mixedConfig(count: number): string {
  const out = [
    '! generated',
    '$PORT=8080',
    '$MULTI=weight 3 \\',
    '   inhibit_on_failure',
    'global_defs{router_id "g\\x41" # c',
    ' vrrp_version 3',
    ' lvs_sync_daemon eth0 inst1 id 5',
    ' unknown_global 1',
    '}',
    'vrrp_script chk { script "/bin/true"\n interval 2\n weight -5\n}',
    'vrrp_instance VI {\n interface eth0\n virtual_router_id 51\n priority 300\n advert_int 0.5',
    ' track_script {\n chk\n missing\n }\n virtual_ipaddress {\n 10.0.0.1/24 dev eth0 label eth0:1\n 10.0.0.2\n }',
    ' virtual_routes {\n 10.9.0.0/16 gw 10.0.0.254\n }\n}',
    'vrrp_sync_group G { group { VI nope } }',
    'virtual_server_group VSG {\n 10.2.0.1-10 80\n fwmark 7 inet\n 10.2.1.0/29 8\n bad-range 1\n}',
    'virtual_server group VSG {\n protocol TCP\n lb_algo rr\n real_server 10.3.0.1 80 { weight 2 }\n}',
    'virtual_server fwmark 9 {\n ip_family inet6\n protocol UDP\n lb_kind DR\n lb_algo mh\n mh-port\n}',
    '@nothere virtual_server 1.1.1.1 1 {',
    '@^nothere ~SEQ(i, 1, 3) vrrp_script s$i { script x }',
  ];
  for (let v = 0; v < count; v++) {
    const vip = v % 7 === 0 ? `fd00::${v.toString(16)}` : `10.${v >> 8}.${v & 255}.1`;
    const port = v % 11 === 0 ? '0' : v % 5 === 0 ? '$PORT' : String(80 + (v % 3));
    out.push(`virtual_server ${vip} ${port}${v % 2 ? '{' : ''}`);
    if (v % 2 === 0) out.push('{');
    if (v % 3) out.push(` lb_algo ${['rr', 'wrr', 'sh', 'bogus'][v % 4]}`);
    if (v % 4)
      out.push(` lb_kind ${['NAT', 'DR', 'TUN type gue port 6080 csum', 'TUN type gre remcsum'][v % 4]}`);
    if (v % 6) out.push(` protocol ${['tcp', 'UDP', 'SCTP'][v % 3]}`);
    if (v % 5 === 1)
      out.push(' persistence_timeout', ' persistence_granularity 24', ' quorum 2', ' hysteresis 1');
    if (v % 9 === 2) out.push(' sorry_server 10.9.9.9 81', ' sorry_server_inhibit', ' omega yes');
    if (v % 8 === 3) out.push(' delay_loop 3.5', ' nb_get_retry 4', ' virtualhost v.example', ' alpha');
    if (v % 10 === 4) out.push(' quorum_up "/bin/echo up"', ' active_standby', ' ha_suspend off');
    const reals = v % 13 === 12 ? 0 : 1 + (v % 4);
    for (let r = 0; r < reals; r++) {
      const rip = v % 7 === 0 ? `fd01::${r + 1}` : `172.16.${v & 255}.${r + 1}`;
      const rport = r === 2 ? '' : ` ${8000 + r}`;
      if (v % 17 === 5 && r === 0) {
        out.push(` real_server ${rip}${rport} { weight ${r} }`);
        continue;
      }
      out.push(` real_server ${rip}${rport} {`);
      if (r === 1) out.push('  $MULTI');
      else out.push(`  weight ${r + 1}`);
      if (v % 12 === 7) out.push('  uthreshold 10', '  lthreshold 20', '  lb_kind DR extra');
      if (v % 10 === 4 && r === 0)
        out.push('  @floatlb role_probe {', '  HTTP_GET { url { path /a } }', '  }');
      out.push(`  ${CHECKERS[(v + r) % CHECKERS.length]}`, ' }');
    }
    out.push('}');
  }
  out.push('~SEQ(n, 1, 4) virtual_server 10.200.0.$n 80 { protocol TCP }');
  out.push('~LST({a,b}, {x,1}, {y,2}) vrrp_script $a$b { script "/bin/$a" }');
  out.push('include extra.conf', 'includer missing/*.conf', '}');
  return out.join('\n');
}

const EXTRA =
  'virtual_server 10.250.0.1 443 {\n protocol TCP\n lb_algo wlc\n lb_kind NAT\n real_server 10.250.0.2 443 {\n SSL_GET { url { path /s } }\n }\n}\n';
const pure = {
  readFile: (p: string) => {
    if (p === '/etc/k/extra.conf') return EXTRA;
    throw new Error('ENOENT');
  },
  listDir: (d: string) => (d === '/etc/k' ? ['extra.conf'] : null),
};
const parse = (text: string) => parseConfigText(text, { file: '/etc/k/k.conf', configId: 'main', ...pure });

describe('model and diagnostics stay identical', () => {
  test('a mixed generated config', () => {
    const r = parse(mixedConfig(600));
    expect(r.diagnostics.length).toBeGreaterThan(100);
    expect(r.config!.virtualServers.length).toBeGreaterThan(500);
    expect(digest(r)).toBe('49aa5fe2fcb196c9bd40fd89ae16a7ec1437fda2172588b12084119c6fe8ac1d');
  });

  test('the benchmark config, 300 x 8', () => {
    const r = parse(generateConfig(300, 8));
    expect(r.ok).toBe(true);
    expect(digest(r)).toBe('a8412492e3d5451f0f41b9e1f23f200ccf03bde1f75fc4356c3423648360c417');
  });

  const FIXTURES = new URL('../../fixtures/config/', import.meta.url).pathname;
  const SAMPLES = '/work/shared/keepalived-samples';
  const paths = [
    ...readdirSync(FIXTURES)
      .filter((f) => f.endsWith('.conf'))
      .map((f) => FIXTURES + f),
    ...readdirSync(`${FIXTURES}agreement`).map((f) => `${FIXTURES}agreement/${f}`),
    ...(existsSync(SAMPLES) ? readdirSync(SAMPLES).map((f) => `${SAMPLES}/${f}`) : []),
  ].sort();
  test('the fixtures and samples', () => {
    const all = paths.map((p) => {
      const r = loadConfigSync(p, { configId: 'unit' });
      const name = p.startsWith(SAMPLES) ? p.slice(SAMPLES.length) : p.slice(FIXTURES.length);
      const text = JSON.stringify(r).replaceAll(FIXTURES, '<F>/').replaceAll(SAMPLES, '<S>');
      return `${name} ${createHash('sha256').update(text).digest('hex').slice(0, 16)}`;
    });
    // By name, not by full path: the order must not depend on where the checkout is.
    all.sort();
    expect(all).toMatchInlineSnapshot(`
      [
        "/README.md 6b5c3b117e82cfa8",
        "/keepalived.conf.HTTP_GET.port edb3b1dcdb9f4eef",
        "/keepalived.conf.IPv6 dda2ad0dd92d8743",
        "/keepalived.conf.PING_CHECK 86ad77da721fd202",
        "/keepalived.conf.SMTP_CHECK 98611aa216ebf8b0",
        "/keepalived.conf.fwmark 33f038eb18db8203",
        "/keepalived.conf.inhibit 14b0cdb58b1a4322",
        "/keepalived.conf.misc_check bfd47bb7df911dae",
        "/keepalived.conf.quorum 3e5b3c1140d8c58e",
        "/keepalived.conf.sample 2e1788220ff9689e",
        "/keepalived.conf.status_code a5604b1b54293e5c",
        "/keepalived.conf.track_interface 9c8f4318d244cc76",
        "/keepalived.conf.virtualhost 80f16a1e3e3024d6",
        "/keepalived.conf.vrrp 2843eaf39e065b49",
        "/keepalived.conf.vrrp.localcheck d7705b28feedd878",
        "/keepalived.conf.vrrp.routes 3d69c6208a9c6256",
        "/keepalived.conf.vrrp.scripts fd4de04ce3926107",
        "/keepalived.conf.vrrp.static_ipaddress 638d43f2f6457ab5",
        "/keepalived.conf.vrrp.sync c51a93898e90473e",
        "agreement/bad-address.conf 586f95d7221b27ab",
        "agreement/bad-bool.conf e4a51b05e4505706",
        "agreement/bad-deep-nesting.conf 582c26989b1d9720",
        "agreement/bad-extra-brace.conf c9c1df1a402eed8d",
        "agreement/bad-includea.conf dc857d1455569ce3",
        "agreement/bad-includem-quoted.conf b27cb77fc00cb14b",
        "agreement/bad-long-line-comment.conf 2480a13a61443aac",
        "agreement/bad-missing-brace.conf 19fb9a339c7be4c9",
        "agreement/bad-missing-value.conf f8253c8010c0e915",
        "agreement/bad-mixed-family.conf 2544dea37e3827e5",
        "agreement/bad-no-interface.conf 55737490a9b5f360",
        "agreement/bad-no-vrid.conf 87608c3fc0cb6882",
        "agreement/bad-priority.conf 389b7e56a71cc14b",
        "agreement/bad-scheduler.conf 9db0331827f2925c",
        "agreement/bad-status.conf acfff1013da5cee1",
        "agreement/bad-sync-group-no-name.conf 6e373d100129d060",
        "agreement/bad-timer.conf 3d0ad93abc7e1a81",
        "agreement/bad-unknown-block-vrrp.conf 040cca45c3f401e5",
        "agreement/bad-unknown-block.conf 2ff2d3b0a2cecb55",
        "agreement/bad-unterminated-quote-script.conf 2fc5483904eb97f5",
        "agreement/bad-vrid.conf 1ed46b4972989cc9",
        "agreement/bad-weight.conf 8ff9c59a2cce1e60",
        "agreement/ok-brace-next-line.conf cbbd4d5a8642fcc8",
        "agreement/ok-conditional.conf 0376880d017529c5",
        "agreement/ok-extension.conf b8d4a796c1d5893c",
        "agreement/ok-lvs-dr.conf 7624bc21ea0f4dd1",
        "agreement/ok-noncanonical.conf 16d511734c00f1e2",
        "agreement/ok-one-line-block.conf 499f3f35daa76569",
        "agreement/ok-seq.conf 0162742230dde843",
        "agreement/ok-vrrp.conf dc737f2f58a52705",
        "agreement/quoted-include.part 08ef31b6592c5858",
        "agreement/refuse-long-line.conf b7c779d2cfcaca5d",
        "agreement/refuse-missing-value.conf cc86e8e7a8c9e509",
        "agreement/refuse-route-missing-value.conf fb0546eb876edf20",
        "agreement/refuse-unterminated-quote.conf f070775d62ad5730",
        "seed-001-lvs-dr.conf f91bafcc90a3456b",
        "seed-003-haproxy-backup.conf ecb9e0804d176905",
        "seed-003-haproxy-master.conf b7b00a355e706669",
        "seed-004-nginx-master.conf dfd66490bc9f81f5",
      ]
    `);
  });
});

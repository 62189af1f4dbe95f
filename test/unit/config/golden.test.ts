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
    expect(digest(r)).toBe('ccbcc1c16d4bbd0537661e10e331632484f701656b7610dd011a1ad1d9094945');
  });

  test('the benchmark config, 300 x 8', () => {
    const r = parse(generateConfig(300, 8));
    expect(r.ok).toBe(true);
    expect(digest(r)).toBe('6a54dafb834ce60887af574f385382ca81f8545364b460cfdfcfce64852e6784');
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
        "/README.md 2d07792a502f0b71",
        "/keepalived.conf.HTTP_GET.port 38ba25c1703123eb",
        "/keepalived.conf.IPv6 6b824680ab5e59ec",
        "/keepalived.conf.PING_CHECK 48313fe20e12ddfb",
        "/keepalived.conf.SMTP_CHECK ce7a51219745a4b0",
        "/keepalived.conf.fwmark 66dfc7ea56dda945",
        "/keepalived.conf.inhibit 02779fd8947a48df",
        "/keepalived.conf.misc_check 796f3b092de1fd37",
        "/keepalived.conf.quorum 6c2f73980e98a46c",
        "/keepalived.conf.sample bdd354d2d6261ce2",
        "/keepalived.conf.status_code 0cd88796736ba484",
        "/keepalived.conf.track_interface dd02f52b09455504",
        "/keepalived.conf.virtualhost 99764eddbfbb87a5",
        "/keepalived.conf.vrrp cd0b50dcd9474261",
        "/keepalived.conf.vrrp.localcheck 4d1d44ed40bd33f1",
        "/keepalived.conf.vrrp.routes 84f4b93459982ed5",
        "/keepalived.conf.vrrp.scripts 16d7317b95edfcbc",
        "/keepalived.conf.vrrp.static_ipaddress d2d6f726b1163a87",
        "/keepalived.conf.vrrp.sync 0522fc4795bcd37d",
        "agreement/bad-address.conf 547527f825c7acec",
        "agreement/bad-bool.conf 0d4288a3146091ba",
        "agreement/bad-deep-nesting.conf ba7cb924b183772e",
        "agreement/bad-extra-brace.conf 6073c5ec3462f5fc",
        "agreement/bad-includea.conf 541187f2a39a83d4",
        "agreement/bad-includem-quoted.conf 9fd428258037a914",
        "agreement/bad-long-line-comment.conf 04eeaa2c7b5312f3",
        "agreement/bad-missing-brace.conf ba1ab8577dee3a60",
        "agreement/bad-missing-value.conf c233ed968b128824",
        "agreement/bad-mixed-family.conf 0881c0d0716998e2",
        "agreement/bad-no-interface.conf 8dcc9f66b74badd9",
        "agreement/bad-no-vrid.conf aa24df5093fd83a8",
        "agreement/bad-priority.conf 9ac6b4ef8de038ef",
        "agreement/bad-scheduler.conf 42eb282c3b8a9fa5",
        "agreement/bad-status.conf 4183ef5c9cb70a77",
        "agreement/bad-sync-group-no-name.conf 9ba5b2ecd7cc8198",
        "agreement/bad-timer.conf 458965138bc21279",
        "agreement/bad-unterminated-quote-script.conf 658b7335e5b7efab",
        "agreement/bad-vrid.conf ea01addc37a50d2a",
        "agreement/bad-weight.conf 381af5b24ce4acf3",
        "agreement/ok-brace-next-line.conf 71bbf2a69b64704c",
        "agreement/ok-conditional.conf 4df4d74e84b228a7",
        "agreement/ok-extension.conf a763a48c938cbf82",
        "agreement/ok-lvs-dr.conf b0330a395b64945c",
        "agreement/ok-noncanonical.conf 07a9b2f74e0da2f5",
        "agreement/ok-one-line-block.conf de2990e22622d216",
        "agreement/ok-seq.conf 399ad1a35b6c0185",
        "agreement/ok-vrrp.conf 4de6577491009db7",
        "agreement/quoted-include.part 730ffcdd60122c3e",
        "agreement/refuse-long-line.conf 0d0cc8f20becfa27",
        "agreement/refuse-missing-value.conf b282c331ab0baadb",
        "agreement/refuse-route-missing-value.conf 8cb9703e4233e90c",
        "agreement/refuse-unterminated-quote.conf 1500fde4e020e8e8",
        "seed-001-lvs-dr.conf b758a27603af3c76",
        "seed-003-haproxy-backup.conf feea8e32b4f65b09",
        "seed-003-haproxy-master.conf 9e53d04f8f50b021",
        "seed-004-nginx-master.conf b649a5426bc57191",
      ]
    `);
  });
});

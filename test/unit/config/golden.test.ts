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
    expect(digest(r)).toBe('8b30a201258d12aa69322535b34040b91990da3e3377fc69e4c19e8b3f566ffd');
  });

  test('the benchmark config, 300 x 8', () => {
    const r = parse(generateConfig(300, 8));
    expect(r.ok).toBe(true);
    expect(digest(r)).toBe('f99950048cab9df82e72d22078aa9d4a832709c633ba18b7ba6750f6bc940744');
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
        "/README.md f800e2948874135c",
        "/keepalived.conf.HTTP_GET.port 035129ceb9cf1d8f",
        "/keepalived.conf.IPv6 c46972b139c82813",
        "/keepalived.conf.PING_CHECK 3da2eccfe748c7ad",
        "/keepalived.conf.SMTP_CHECK 47d2041b225cdb3e",
        "/keepalived.conf.fwmark 824b102e326317d9",
        "/keepalived.conf.inhibit 9417d9ed8f15f462",
        "/keepalived.conf.misc_check 4020acc3b3d71fd4",
        "/keepalived.conf.quorum d15ee157cea4b676",
        "/keepalived.conf.sample 5caa75bd4d6a9e6b",
        "/keepalived.conf.status_code 8fd9ed9b41621511",
        "/keepalived.conf.track_interface b08f3b4607aefc2d",
        "/keepalived.conf.virtualhost f1089c89b86e4f7a",
        "/keepalived.conf.vrrp 5c5809c9920b9d2a",
        "/keepalived.conf.vrrp.localcheck 67dadadfe1b4b7a8",
        "/keepalived.conf.vrrp.routes b92c46b9d55c22f4",
        "/keepalived.conf.vrrp.scripts c9bd9b36c6aa1088",
        "/keepalived.conf.vrrp.static_ipaddress 1d9bceb3ffda1289",
        "/keepalived.conf.vrrp.sync f9e6cfdfb7d9214b",
        "agreement/bad-address.conf 63f1ffa34df6c054",
        "agreement/bad-bool.conf ce325b841df02bc0",
        "agreement/bad-deep-nesting.conf c1f807d95c1acf16",
        "agreement/bad-extra-brace.conf 75345765d633778e",
        "agreement/bad-includea.conf c439b5ec8fde773a",
        "agreement/bad-includem-quoted.conf 0c4ae27ccbee290c",
        "agreement/bad-long-line-comment.conf 06458f06552c1492",
        "agreement/bad-missing-brace.conf abd0833f9b6ed5a7",
        "agreement/bad-missing-value.conf ec0b20d6bf638eb1",
        "agreement/bad-mixed-family.conf cad44d70a1dfa2dd",
        "agreement/bad-no-interface.conf eb11a1e9bc99c49f",
        "agreement/bad-no-vrid.conf 907f32f24c5d3553",
        "agreement/bad-priority.conf a6c642664ae49b25",
        "agreement/bad-scheduler.conf 44651da5793f33eb",
        "agreement/bad-status.conf 275c5a0bdf8d8a17",
        "agreement/bad-sync-group-no-name.conf 108dab765459a940",
        "agreement/bad-timer.conf c57b0706b24c445a",
        "agreement/bad-unterminated-quote-script.conf 8615c1439f3d058e",
        "agreement/bad-vrid.conf 4bc2605403ab9908",
        "agreement/bad-weight.conf c920eaead1b52a84",
        "agreement/ok-brace-next-line.conf 624cce9bc461fddd",
        "agreement/ok-conditional.conf 04a814a030bbda20",
        "agreement/ok-extension.conf db3b3883d110c107",
        "agreement/ok-lvs-dr.conf 3aa361d6e0bc25d6",
        "agreement/ok-noncanonical.conf 17681bfe70de1ce2",
        "agreement/ok-one-line-block.conf 887d596762ade5fe",
        "agreement/ok-seq.conf 97befc271506626a",
        "agreement/ok-vrrp.conf 34f1d6b4df066f42",
        "agreement/quoted-include.part a93eba926cfaccfe",
        "agreement/refuse-long-line.conf 9cac87de75a96f50",
        "agreement/refuse-missing-value.conf 5f03b76dcc3e5f48",
        "agreement/refuse-route-missing-value.conf 98dd437bf708b0fb",
        "agreement/refuse-unterminated-quote.conf 5ce47d0e9a2d2aaf",
        "seed-001-lvs-dr.conf 5380cf2ff5bd0947",
        "seed-003-haproxy-backup.conf d5e39cff92967054",
        "seed-003-haproxy-master.conf c6b8d21349b42c89",
        "seed-004-nginx-master.conf dd29ebb094bec680",
      ]
    `);
  });
});

/* biome-ignore-all lint/suspicious/noTemplateCurlyInString: keepalived's ${NAME} syntax is generated here */
// Pins the model and the diagnostics of generated configs, the fixtures and the
// samples to hashes taken before the parser was tuned for speed: any change of
// a value, a key order or a diagnostic position changes a hash.
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
    // Changed on purpose: BFD_CHECK is refused, FILE_CHECK's weight defaults to the track_file's.
    expect(digest(r)).toBe('c619f607f0897e69f93a75efa11f3a51f79b72a2be45a0a17c3e350ae2d158eb');
  });

  test('the benchmark config, 300 x 8', () => {
    const r = parse(generateConfig(300, 8));
    expect(r.ok).toBe(true);
    expect(digest(r)).toBe('907ae1740986b558f0ea43e71b9e0c8847841bce4c95c588a83037d7a846eccb');
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
        "/README.md 5fa218823673332d",
        "/keepalived.conf.HTTP_GET.port 7bbe5e529fa31590",
        "/keepalived.conf.IPv6 df405f1eec38726a",
        "/keepalived.conf.PING_CHECK 8e572022c129645e",
        "/keepalived.conf.SMTP_CHECK 02add60389f848df",
        "/keepalived.conf.fwmark de0f804f18c852ea",
        "/keepalived.conf.inhibit 3a4f6fe665c8b96d",
        "/keepalived.conf.misc_check e559fcd0b60ab1aa",
        "/keepalived.conf.quorum 9580b3832c43d450",
        "/keepalived.conf.sample 08cd207bcd2dffeb",
        "/keepalived.conf.status_code b448f97c5bff83dd",
        "/keepalived.conf.track_interface 6b2c72e0593c05b4",
        "/keepalived.conf.virtualhost 1ce9834c8bdd017c",
        "/keepalived.conf.vrrp 445944942c7fc532",
        "/keepalived.conf.vrrp.localcheck 79734d81e86f22bf",
        "/keepalived.conf.vrrp.routes 5a999ad57237c695",
        "/keepalived.conf.vrrp.scripts b0c646fdb0c8da6e",
        "/keepalived.conf.vrrp.static_ipaddress 4635e5fde453d616",
        "/keepalived.conf.vrrp.sync d6a623e68c7412f6",
        "agreement/bad-address.conf cae5824eac5c3be8",
        "agreement/bad-bool.conf 5be8252a94ed2e0f",
        "agreement/bad-extra-brace.conf 7479f4ee78537c50",
        "agreement/bad-includea.conf b3df80e996544391",
        "agreement/bad-missing-brace.conf d66f1bcbcca1da3f",
        "agreement/bad-no-interface.conf 4faf6809187dc3fb",
        "agreement/bad-no-vrid.conf e6f5b81a6559bb51",
        "agreement/bad-priority.conf 46e5dbecf7815e58",
        "agreement/bad-scheduler.conf 664b08885de8794a",
        "agreement/bad-status.conf 01ed0f2136409b6c",
        "agreement/bad-timer.conf 441c4f630bed59e8",
        "agreement/bad-vrid.conf 6719112c32213afa",
        "agreement/bad-weight.conf 41fce4e26617a6e5",
        "agreement/ok-brace-next-line.conf c355c0ec79b4491c",
        "agreement/ok-conditional.conf e24a033044a55723",
        "agreement/ok-extension.conf 548865f0be8189ab",
        "agreement/ok-lvs-dr.conf 42f6ee6d23efb680",
        "agreement/ok-noncanonical.conf 05f9aefeae8a1190",
        "agreement/ok-one-line-block.conf 473a89df2cb64b9c",
        "agreement/ok-seq.conf 9a3e6fe48cc64e30",
        "agreement/ok-vrrp.conf 3388adcf2116f4f2",
        "seed-001-lvs-dr.conf 557b7b3b18549a94",
        "seed-003-haproxy-backup.conf 9f72628d19378bf5",
        "seed-003-haproxy-master.conf 9c70c29e9478748e",
        "seed-004-nginx-master.conf 355836bd72de615e",
      ]
    `);
  });
});

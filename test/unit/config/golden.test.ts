/* biome-ignore-all lint/suspicious/noTemplateCurlyInString: keepalived's ${NAME} syntax is generated here */
// Pins the model and the diagnostics of generated configs, the fixtures and the
// samples to hashes taken before the parser was tuned for speed: any change of
// a value, a key order or a diagnostic position changes a hash. (Re-taken when
// keepalived's leniency and the keyword-table warnings changed the diagnostics.)
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
    expect(digest(r)).toBe('fdc264045d732c514600d2784362bb1bac07239454c6be3eeafe4e3bbe065a0e');
  });

  test('the benchmark config, 300 x 8', () => {
    const r = parse(generateConfig(300, 8));
    expect(r.ok).toBe(true);
    expect(digest(r)).toBe('d2c6aedcc3361910a4584b5193eb740b4a68abd15685b1c14fca472721f8ecd8');
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
        "/README.md 8dac536bfa5788f2",
        "/keepalived.conf.HTTP_GET.port ff54b8b6910f22b6",
        "/keepalived.conf.IPv6 0ffc6b711a9c79fb",
        "/keepalived.conf.PING_CHECK 71f9171250178163",
        "/keepalived.conf.SMTP_CHECK 759ded746fe8aece",
        "/keepalived.conf.fwmark 7e34a5c7e660f6cf",
        "/keepalived.conf.inhibit 7d43c73d0ca13c7e",
        "/keepalived.conf.misc_check ca7e1377e1a44665",
        "/keepalived.conf.quorum 9580b3832c43d450",
        "/keepalived.conf.sample c5420df72bc8546d",
        "/keepalived.conf.status_code 4f7aaf7e1617b24e",
        "/keepalived.conf.track_interface 7c720302847e6ba5",
        "/keepalived.conf.virtualhost 15e93bf08f47e93d",
        "/keepalived.conf.vrrp 2ecd9acbb58d9ba8",
        "/keepalived.conf.vrrp.localcheck 79734d81e86f22bf",
        "/keepalived.conf.vrrp.routes 34f11299fd7f9c92",
        "/keepalived.conf.vrrp.scripts 4559d50512cc0b76",
        "/keepalived.conf.vrrp.static_ipaddress 4b5f1c2cc5c707cc",
        "/keepalived.conf.vrrp.sync 58e9ded43cb958aa",
        "agreement/bad-address.conf 60a2cceae41360c3",
        "agreement/bad-bool.conf 00dbfb54b0efbbf6",
        "agreement/bad-extra-brace.conf 9510aca1626b897d",
        "agreement/bad-includea.conf a9d0cd0367fc1ee4",
        "agreement/bad-missing-brace.conf 6604fb1f602ed562",
        "agreement/bad-no-interface.conf 95e5fd75efa562c2",
        "agreement/bad-no-vrid.conf 7a10cd5b5e4d2e7b",
        "agreement/bad-priority.conf 6600da998a5540c1",
        "agreement/bad-scheduler.conf 0e24aa4c9259fbbb",
        "agreement/bad-status.conf f866967c5e7b5188",
        "agreement/bad-timer.conf 5816070e362ef447",
        "agreement/bad-vrid.conf 42c728dac4a82145",
        "agreement/bad-weight.conf 153d8f7a938c42a9",
        "agreement/ok-brace-next-line.conf 5aca14a0c108f21f",
        "agreement/ok-conditional.conf e24a033044a55723",
        "agreement/ok-extension.conf 548865f0be8189ab",
        "agreement/ok-lvs-dr.conf e1bcc4a3b756400a",
        "agreement/ok-noncanonical.conf 05f9aefeae8a1190",
        "agreement/ok-one-line-block.conf 473a89df2cb64b9c",
        "agreement/ok-seq.conf 9a3e6fe48cc64e30",
        "agreement/ok-vrrp.conf 3388adcf2116f4f2",
        "seed-001-lvs-dr.conf 09db4d20bc6bd5a4",
        "seed-003-haproxy-backup.conf 677ffb01769e464e",
        "seed-003-haproxy-master.conf 9af6142b9477b1a7",
        "seed-004-nginx-master.conf fa1945a3480e3a54",
      ]
    `);
  });
});

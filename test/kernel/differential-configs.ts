// The keepalived.conf files of the differential test (keepalived-differential.test.ts).
// Real servers: rs4(1..8) and rs6(1..4) serve every protocol; rs4(9) has
// nothing listening. `dir` holds the MISC_CHECK flag files and FILE_CHECK files.
import { rs4, rs6 } from '../support/differential-lab.js';

const R = rs4;
const vip = (n: number) => `10.92.0.${n}`;

/** A checker block, one keyword a line as keepalived reads it; a failure counts at once unless it says otherwise. */
const blk = (name: string, ...lines: string[]) => {
  const all =
    name === 'FILE_CHECK' || lines.some((l) => l.startsWith('retry')) ? lines : [...lines, 'retry 0'];
  return `${name} {\n      ${all.join('\n      ')}\n    }`;
};
const tcp = (port = 9000, ...extra: string[]) =>
  blk('TCP_CHECK', `connect_port ${port}`, 'connect_timeout 5', ...extra);
const http = (kind = 'HTTP_GET', port = 80) =>
  blk(
    kind,
    'url {\n        path /\n        status_code 200\n      }',
    `connect_port ${port}`,
    'connect_timeout 5',
  );
const ping = () => blk('PING_CHECK', 'connect_timeout 2');
const smtp = () => blk('SMTP_CHECK', 'connect_timeout 5', 'helo_name kdiff.test');
const dns = () => blk('DNS_CHECK', 'type A', 'name kdiff.test', 'connect_timeout 5');

function rs(addr: string, port: number, check: string, weight = 1): string {
  return `  real_server ${addr} ${port} {\n    weight ${weight}\n    ${check}\n  }\n`;
}

function vs(target: string, body: string, servers: string): string {
  return `virtual_server ${target} {\n  delay_loop 3\n${body
    .split(';')
    .map((l) => `  ${l.trim()}`)
    .join('\n')}\n${servers}}\n`;
}

/**
 * Version 1: every scheduler, forwarding method and checker; groups, fwmarks,
 * quorum, sorry servers. Version 2 (a reload) changes a scheduler, a weight, a
 * group's range and the real servers of a service.
 */
export function differentialConfig(dir: string, version: 1 | 2): string {
  const v2 = version === 2;
  const misc = (i: number) =>
    blk('MISC_CHECK', `misc_path "/usr/bin/test ! -e ${dir}/miscfail-${i}"`, 'misc_timeout 5');
  const file = (i: number) => blk('FILE_CHECK', `track_file tf${i}`);
  return `global_defs {
  router_id kdiff
}
track_file tf1 {
  file ${dir}/tf1
  weight 0
}
track_file tf2 {
  file ${dir}/tf2
  weight 0
}
${vs(`${vip(1)} 9000`, 'lb_algo rr; lb_kind NAT; protocol TCP', rs(R(1), 9000, tcp()) + (v2 ? rs(R(6), 9000, tcp(), 4) : rs(R(2), 9000, tcp())))}
${vs(
  `${vip(2)} 80`,
  'lb_algo wrr; lb_kind NAT; protocol TCP; persistence_timeout 120; persistence_granularity 255.255.255.0',
  rs(R(1), 80, http(), v2 ? 5 : 3) + rs(R(2), 80, http()),
)}
${vs(`${vip(3)} 443`, `lb_algo ${v2 ? 'wrr' : 'lc'}; lb_kind DR; protocol TCP`, rs(R(3), 443, http('SSL_GET', 443)) + rs(R(4), 443, http('SSL_GET', 443)))}
${vs(`${vip(4)} 25`, 'lb_algo wlc; lb_kind TUN; protocol TCP', rs(R(3), 25, smtp()) + rs(R(4), 25, smtp()))}
${vs(`${vip(5)} 8080`, 'lb_algo lblc; lb_kind NAT; protocol TCP', rs(R(5), 80, misc(5)) + rs(R(6), 80, misc(6)))}
${vs(`${vip(6)} 53`, 'lb_algo lblcr; lb_kind NAT; protocol UDP', rs(R(5), 53, dns()) + rs(R(6), 53, dns()))}
${vs(
  `${vip(7)} 9000`,
  'lb_algo dh; lb_kind DR; protocol TCP',
  rs(R(7), 9000, ping()) + rs(R(8), 9000, ping()),
)}
${vs(
  `${vip(8)} 7`,
  'lb_algo sh; sh-port; sh-fallback; ops; lb_kind NAT; protocol UDP',
  rs(R(7), 7, blk('UDP_CHECK', 'connect_timeout 5', 'payload 6b64696666', 'require_reply 6b64696666')) +
    rs(R(8), 7, blk('UDP_CHECK', 'connect_timeout 5')),
)}
${vs(`${vip(9)} 80`, 'lb_algo sed; lb_kind NAT; protocol TCP', rs(R(1), 80, file(1)) + rs(R(2), 80, file(2)))}
${vs(`${vip(10)} 9000`, 'lb_algo nq; lb_kind NAT; protocol TCP; inhibit_on_failure', rs(R(3), 9000, tcp()) + rs(R(4), 9000, tcp()))}
${vs(`${vip(11)} 80`, 'lb_algo fo; lb_kind NAT; protocol TCP', rs(R(1), 80, '', 2) + rs(R(2), 80, ''))}
${vs(
  `${vip(12)} 9000`,
  'lb_algo ovf; lb_kind NAT; protocol TCP',
  rs(R(3), 9000, tcp(9000, 'retry 2', 'delay_before_retry 1')) +
    rs(R(4), 9000, tcp(9000, 'retry 2', 'delay_before_retry 1')),
)}
${vs(
  `${vip(13)} 80`,
  'lb_algo mh; mh-port; mh-fallback; lb_kind NAT; protocol TCP; alpha',
  rs(R(5), 80, http()) + rs(R(6), 80, http()) + rs(R(9), 80, http()),
)}
${vs('fwmark 10', 'lb_algo wrr; lb_kind DR; persistence_timeout 60', rs(R(7), 80, '', 2) + rs(R(8), 80, ''))}
${vs(
  `${vip(15)} 9000`,
  `lb_algo rr; lb_kind NAT; protocol TCP; quorum 3; hysteresis 1; omega; sorry_server ${R(8)} 9000`,
  [1, 2, 3, 4].map((i) => rs(R(i), 9000, tcp())).join(''),
)}
${vs(
  `${vip(16)} 9000`,
  `lb_algo wlc; lb_kind NAT; protocol TCP; quorum 2; sorry_server ${R(8)} 9000; sorry_server_inhibit`,
  rs(R(3), 9000, tcp()) + rs(R(4), 9000, tcp()),
)}
virtual_server_group g4 {
  ${v2 ? '10.93.1.2-7' : '10.93.1.1-5'} 80
  10.93.2.0/30 80
  10.93.4.1-10.93.4.3 80
  fwmark 7
}
${vs('group g4', 'lb_algo wlc; lb_kind NAT; protocol TCP', rs(R(1), 80, http()) + rs(R(2), 80, http()))}
virtual_server_group g6 {
  fd93::a-c 80
  fd93::1:1 80
}
${vs('group g6', 'lb_algo lc; lb_kind NAT; protocol TCP', rs(rs6(1), 80, tcp()) + rs(rs6(2), 80, tcp()))}
${vs(
  'fd92::1 80',
  'lb_algo rr; lb_kind TUN; protocol TCP',
  rs(rs6(3), 80, http()) + rs(rs6(4), 80, ping()),
)}`;
}

// Kernel tier (lab VM): virtual_server_group ranges on real IPVS, beside
// keepalived 2.2.7. keepalived runs in one namespace and `floatlb run -f` in
// another on the same keepalived.conf, whose groups use every range form (IPv4
// a-b, a.b.c.d-w.x.y.z, /nn, an IPv6 hex range) and a fwmark entry. The real
// servers have no checkers, so both program at once and nothing has to settle;
// `ipvsadm -Ln` of both namespaces must be the same table, with every address.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Topology } from '../../lab/topology.js';
import { type FloatlbRun, spawnFloatlbRun } from '../support/director-lab.js';
import { type KeepalivedRun, spawnKeepalivedLvs, until } from '../support/keepalived.js';
import { buildTestTopology } from '../support/netns.js';
import { requireIpvs, requireRoot, requireTool } from '../support/require.js';

const CONF = `global_defs {
  router_id kdgroups
}
virtual_server_group web4 {
  10.94.1.1-5 80
  10.94.2.0/30 80
  10.94.3.8/29 80
  10.94.4.1-10.94.4.3 80
  10.94.5.9 8080
  fwmark 7
}
virtual_server_group web6 {
  fd94::a-c 80
  fd94::1:fe-ff 443
  fd94::2:1 80
}
virtual_server group web4 {
  lb_algo wrr
  lb_kind NAT
  protocol TCP
  real_server 10.91.1.11 80 {
    weight 3
  }
  real_server 10.91.1.12 80 {
    weight 1
  }
}
virtual_server group web6 {
  lb_algo lc
  lb_kind NAT
  protocol TCP
  real_server fd91::11 80 {
    weight 2
  }
}
`;

/** Every service line the config must program, as `ipvsadm -Ln` prints it. */
const WANT = [
  ...[1, 2, 3, 4, 5].map((i) => `TCP 10.94.1.${i}:80`),
  ...[0, 1, 2, 3].map((i) => `TCP 10.94.2.${i}:80`),
  ...[8, 9, 10, 11, 12, 13, 14, 15].map((i) => `TCP 10.94.3.${i}:80`),
  ...[1, 2, 3].map((i) => `TCP 10.94.4.${i}:80`),
  'TCP 10.94.5.9:8080',
  'FWM 7',
  ...['a', 'b', 'c'].map((h) => `TCP [fd94::${h}]:80`),
  'TCP [fd94::1:fe]:443',
  'TCP [fd94::1:ff]:443',
  'TCP [fd94::2:1]:80',
].sort();

let topo: Topology;
let dir: string;
let ka: KeepalivedRun;
let fl: FloatlbRun;
const flLog: Array<Record<string, unknown>> = [];

/**
 * `ipvsadm -Ln` as a sorted list of services, each with its sorted real
 * server lines (the kernel lists them in hash order, which differs by namespace).
 */
function table(ns: 'ka' | 'fl'): string[] {
  const out = topo.node(ns).exec('ipvsadm', '-L', '-n');
  const services: string[][] = [];
  for (const line of out.split('\n')) {
    const t = line.trim().replace(/\s+/g, ' ');
    if (/^(TCP|UDP|SCTP|FWM) /.test(t)) services.push([t]);
    else if (t.startsWith('-> ') && services.length) services.at(-1)!.push(t);
  }
  return services.map(([head, ...rs]) => [head, ...rs.sort()].join(' | ')).sort();
}

const serviceLines = (t: string[]) => t.map((s) => s.split(' ').slice(0, 2).join(' ')).sort();

beforeAll(async () => {
  requireRoot();
  requireIpvs();
  requireTool('keepalived');
  topo = await buildTestTopology('kdg', {
    nodes: ['ka', 'fl'],
    veths: [
      {
        a: { node: 'ka', ifname: 'eth0', addrs: ['10.90.7.2/24', 'fd90:7::2/64'] },
        b: { node: 'fl', ifname: 'eth0', addrs: ['10.90.7.3/24', 'fd90:7::3/64'] },
      },
    ],
    // IPVS refuses IPv4 real servers until a default route exists.
    routes: [
      { node: 'ka', dst: 'default', via: '10.90.7.3' },
      { node: 'ka', dst: '::/0', via: 'fd90:7::3' },
      { node: 'fl', dst: 'default', via: '10.90.7.2' },
      { node: 'fl', dst: '::/0', via: 'fd90:7::2' },
    ],
  });
  dir = mkdtempSync(join(tmpdir(), 'floatlb-kdgroups-'));
  const conf = join(dir, 'keepalived.conf');
  writeFileSync(conf, CONF);
  ka = spawnKeepalivedLvs(topo.node('ka'), conf, dir);
  mkdirSync(join(dir, 'fl'));
  fl = spawnFloatlbRun(topo.node('fl'), conf, join(dir, 'fl'), 'ipvs', flLog);
  await Promise.race([
    Promise.all([
      until(
        'keepalived programmed every group member',
        () => table('ka').length >= WANT.length,
        120_000,
        500,
      ),
      until('floatlb programmed every group member', () => table('fl').length >= WANT.length, 120_000, 500),
    ]),
    fl.exited,
  ]);
}, 180_000);

afterAll(() => {
  fl?.proc.kill('SIGKILL');
  ka?.proc.kill('SIGKILL');
  topo?.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('virtual_server_group ranges on IPVS, floatlb beside keepalived 2.2.7', () => {
  it('ranges (IPv4 a-b, a.b.c.d-w.x.y.z, /nn, IPv6 hex range) and a fwmark entry program every address, and ipvsadm -Ln is the same table as keepalived’s', () => {
    const kaTable = table('ka');
    const flTable = table('fl');
    console.log(`keepalived groups: ${kaTable.length} services compared, ${kaTable.join('\n')}`);
    expect(serviceLines(kaTable), 'keepalived expands every range').toEqual(WANT);
    expect(serviceLines(flTable)).toEqual(WANT);
    // Real servers, weights, forwarding and schedulers too: the whole table.
    expect(flTable).toEqual(kaTable);
  });
});

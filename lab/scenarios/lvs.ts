// Seeds 001 and 002: LVS with IPVS forwarding (DR, TUN, NAT). These need a
// kernel with IPVS, so on this machine they run inside the lab VM.
import type { Lab } from '../lab.js';
import { TIME_SCALE, waitFor } from '../lab.js';
import { checkShares, fmtShares } from '../measure.js';
import type { Report, Scenario } from '../scenario.js';
import { forwarding, type TopologySpec } from '../topology.js';
import { failoverTest, hubLan, natPairTopology } from './common.js';

type Mode = 'dr' | 'tun' | 'nat';

/**
 * A real server that answers for the VIP itself (DR: on lo; TUN: on tunl0,
 * which also needs rp_filter off: the decapsulated packet arrives on tunl0
 * from a client routed through eth0). In both modes the real servers share
 * the directors' LAN, so they must neither answer ARP for the VIP nor use
 * it as an ARP source: otherwise the router's ARP entry for the VIP can
 * point at a real server, which refuses every port but its own. One exec
 * per node: under TCG each costs up to a second.
 */
function carryVip(lab: Lab, node: string, vip: string, mode: Mode): void {
  if (mode === 'nat') return;
  const sysctls = ['all', 'eth0'].flatMap((i) => [
    `net.ipv4.conf.${i}.arp_ignore=1`,
    `net.ipv4.conf.${i}.arp_announce=2`,
  ]);
  const cmds =
    mode === 'dr'
      ? [`ip addr add ${vip}/32 dev lo`]
      : [
          'ip link set tunl0 up',
          `ip addr add ${vip}/32 dev tunl0`,
          ...['all', 'default', 'tunl0', 'eth0'].map((i) => `net.ipv4.conf.${i}.rp_filter=0`),
        ];
  const ipCmds = cmds.filter((c) => c.startsWith('ip '));
  sysctls.push(...cmds.filter((c) => !c.startsWith('ip ')));
  lab.exec(node, 'sh', '-ec', [...ipCmds, `sysctl -qw ${sysctls.join(' ')}`].join('\n'));
}

/** client — router — LAN with the directors and real servers (DR and TUN need the router). */
function routedLan(
  lan: string,
  router: string,
  directors: Record<string, string>,
  servers: Array<{ node: string; addr: string }>,
): TopologySpec {
  const pfx = lan.split('/')[1] ?? '24';
  const members = [
    { node: 'router', ifname: 'eth1', addrs: [`${router}/${pfx}`] },
    ...Object.entries(directors).map(([node, a]) => ({ node, ifname: 'eth0', addrs: [`${a}/${pfx}`] })),
    ...servers.map((s) => ({ node: s.node, ifname: 'eth0', addrs: [`${s.addr}/${pfx}`] })),
  ];
  return {
    nodes: ['hub', 'client', 'router', ...Object.keys(directors), ...servers.map((s) => s.node)],
    bridges: [
      hubLan('wan', [
        { node: 'client', ifname: 'eth0', addrs: ['10.9.0.10/24'] },
        { node: 'router', ifname: 'eth0', addrs: ['10.9.0.1/24'] },
      ]),
      hubLan('lan', members),
    ],
    routes: [
      { node: 'client', dst: 'default', via: '10.9.0.1' },
      ...[...Object.keys(directors), ...servers.map((s) => s.node)].map((node) => ({
        node,
        dst: 'default',
        via: router,
      })),
    ],
    sysctls: forwarding(['router', ...Object.keys(directors)]),
  };
}

// ---- seed 001 ----------------------------------------------------------

const S1_VIP = '10.0.0.200';
const S1_RS = [
  { node: 'iserver1', addr: '10.0.0.11' },
  { node: 'iserver2', addr: '10.0.0.12' },
];

export const seed001: Scenario = {
  name: 'seed-001',
  title: 'LVS-DR with keepalived: two iServer nodes, wrr, TCP_CHECK (one director, a router)',
  seed: '001',
  needsIpvs: true,
  configs: ['lab/scenarios/seed-001/keepalived.conf'],
  describe: [
    `client 10.9.0.10 → router → VIP ${S1_VIP}:8090 on lvs 10.0.0.10 → iserver1 .11, iserver2 .12 (DR)`,
  ],
  topology: () => routedLan('10.0.0.0/24', '10.0.0.1', { lvs: '10.0.0.10' }, S1_RS),
  async up(lab) {
    for (const s of S1_RS) {
      carryVip(lab, s.node, S1_VIP, 'dr');
      lab.whoAmI(s.node, s.node, [`0.0.0.0:8090`]);
    }
    lab.startDirector('lvs', { config: lab.path('lab/scenarios/seed-001/keepalived.conf'), plane: 'ipvs' });
    await waitFor('the VIP on the director', () => lab.holder(S1_VIP, ['lvs']) === 'lvs', 40_000);
    await waitFor(
      'both iServers answering through the VIP',
      async () =>
        Object.keys((await lab.clientCount('client', 'http', `${S1_VIP}:8090`, 10, 2)).byServer).length === 2,
      30_000,
    );
  },
  async test(lab, report) {
    const target = `${S1_VIP}:8090`;
    // wrr 3/3 alternates, so the split of the connections that succeeded is
    // exact up to the ones in flight; 400 are plenty. Under TCG a few time
    // out on the client's side (IPVS scheduled them all the same), so the
    // split is judged on successes and the failures only bounded.
    const count = TIME_SCALE > 1 ? 400 : 1000;
    const tol = TIME_SCALE > 1 ? 10 : 5;
    lab.narrate(`${count} new connections to ${target}`);
    const r = await lab.clientCount('client', 'http', target, count, 4);
    const problems = checkShares(r.byServer, { iserver1: 3, iserver2: 3 }, tol);
    report.figure(`split ${target}`, { ...r, shares: fmtShares(r.byServer) });
    report.check(
      `balancing ${target}: wrr 3/3 within ±${tol}% of successful connections, at most 5% failed`,
      problems.length === 0 && r.ok >= 0.95 * count,
      `${fmtShares(r.byServer)}; ${r.ok} of ${count} succeeded${problems.length ? `; ${problems.join('; ')}` : ''}`,
    );
    // A failed iServer leaves the pool by TCP_CHECK, and comes back.
    const rs2 = lab.state.record.procs.find((p) => p.what === 'http-iserver2')!;
    lab.kill(rs2);
    const t0 = Date.now();
    const onlyOne = async () => {
      const r = await lab.clientCount('client', 'http', target, 10, 2);
      return r.ok === 10 && r.byServer.iserver1 === 10;
    };
    const removedMs = await waitFor('iserver2 out of the pool', onlyOne, 30_000).catch(() => -1);
    report.check(
      'TCP_CHECK removes a failed real server',
      removedMs >= 0,
      `all traffic on iserver1 ${Date.now() - t0} ms after iserver2 stopped`,
    );
    lab.whoAmI('iserver2', 'iserver2', ['0.0.0.0:8090']);
    const backMs = await waitFor(
      'iserver2 back in the pool',
      async () => ((await lab.clientCount('client', 'http', target, 10, 2)).byServer.iserver2 ?? 0) > 0,
      30_000,
    ).catch(() => -1);
    report.check(
      'and brings it back when it recovers',
      backMs >= 0,
      `iserver2 served again ${backMs} ms after it restarted`,
    );
    report.figure('health', { removedMs, backMs });
  },
};

// ---- seed 002 ----------------------------------------------------------

const S2_VIP = '192.168.3.118';
const PORTS = [
  { port: 10101, node: 'my10101', last: 100 },
  { port: 20101, node: 'my20101', last: 101 },
  { port: 10201, node: 'my10201', last: 102 },
  { port: 20201, node: 'my20201', last: 103 },
];

function seed002(mode: Mode): Scenario {
  const conf = `lab/scenarios/seed-002/keepalived-${mode}.conf`;
  const servers = PORTS.map((p) => ({
    node: p.node,
    addr: mode === 'nat' ? `10.3.0.${p.last}` : `192.168.3.${p.last}`,
  }));
  return {
    name: `seed-002-${mode}`,
    title: `LVS ${mode.toUpperCase()}, one VIP port per MySQL instance, director pair failing over (as heartbeat did)`,
    seed: '002',
    needsIpvs: true,
    configs: [conf],
    describe: [
      `VIP ${S2_VIP} ports 10101/20101/10201/20201 → one instance each; d1 .87 master, d2 .88 backup`,
    ],
    topology: () =>
      mode === 'nat'
        ? natPairTopology({
            front: {
              prefix: '192.168.3.0/24',
              client: '192.168.3.200',
              d1: '192.168.3.87',
              d2: '192.168.3.88',
            },
            back: { prefix: '10.3.0.0/24', gateway: '10.3.0.1', d1: '10.3.0.87', d2: '10.3.0.88' },
            servers,
          })
        : routedLan('192.168.3.0/24', '192.168.3.1', { d1: '192.168.3.87', d2: '192.168.3.88' }, servers),
    async up(lab) {
      for (const [i, s] of servers.entries()) {
        carryVip(lab, s.node, S2_VIP, mode);
        lab.whoAmI(s.node, `mysql-${PORTS[i]!.port}`, [`0.0.0.0:${PORTS[i]!.port}`]);
      }
      const config = lab.path(conf);
      lab.startDirector('d1', { config, configId: 'd1', plane: 'ipvs' });
      lab.startDirector('d2', { config, configId: 'd2', plane: 'ipvs' });
      await waitFor('the VIP on d1', () => lab.holder(S2_VIP, ['d1']) === 'd1', 40_000);
      if (mode === 'nat')
        await waitFor('the gateway VIP on d1', () => lab.holder('10.3.0.1', ['d1']) === 'd1', 10_000);
      await waitFor(
        'every port answering',
        async () => {
          for (const p of PORTS)
            if ((await lab.clientCount('client', 'http', `${S2_VIP}:${p.port}`, 1, 1)).ok !== 1) return false;
          return true;
        },
        30_000,
      );
    },
    async test(lab: Lab, report: Report) {
      // Every success must come from the port's own instance; under TCG a
      // client may time out now and then, so one failure per port is let go.
      const seen: string[] = [];
      let right = true;
      for (const p of PORTS) {
        const r = await lab.clientCount('client', 'http', `${S2_VIP}:${p.port}`, 10, 2);
        seen.push(`${p.port}: ${fmtShares(r.byServer)} (${r.ok}/10)`);
        right &&= r.ok >= 9 && r.byServer[`mysql-${p.port}`] === r.ok;
      }
      report.check('each VIP port reaches only its own MySQL instance', right, seen.join('; '));
      await failoverTest(lab, report, {
        proto: 'http',
        target: `${S2_VIP}:10101`,
        master: 'd1',
        backup: 'd2',
        vips: mode === 'nat' ? [S2_VIP, '10.3.0.1'] : [S2_VIP],
        vip: S2_VIP,
        preempt: true,
        // keepalived's defaults give about 3.6 s; TCG stretches it.
        maxGapMs: 6000 * TIME_SCALE,
      });
      // Whether the real server's accept queue overflowed: a server that
      // falls behind shows as connections that open and never answer.
      report.figure('TCP counters at mysql-10101', tcpCounters(lab, 'my10101'));
    },
  };
}

function tcpCounters(lab: Lab, node: string): Record<string, number> {
  const names = ['TcpExtListenOverflows', 'TcpExtListenDrops', 'TcpPassiveOpens', 'TcpExtTCPAbortOnClose'];
  const out: Record<string, number> = {};
  for (const line of lab.exec(node, 'nstat', '-asz', ...names).split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && names.includes(k)) out[k] = Number(v);
  }
  return out;
}

export const seed002Nat = seed002('nat');
export const seed002Dr = seed002('dr');
export const seed002Tun = seed002('tun');

// Seed 004: nginx stream + keepalived in front of three TCP echo servers
// weighted 40/30/30; the master is killed and then recovered. Here floatlb
// is both the balancer and the VRRP speaker, on two directors.
import { type Lab, waitFor } from '../lab.js';
import type { Report, Scenario } from '../scenario.js';
import { balanceTest, failoverTest, natPairTopology } from './common.js';

const CONF = 'lab/scenarios/seed-004/keepalived.conf';
export const VIP = '172.20.46.222';
export const GW = '172.20.47.1';
export const SERVERS = [
  { node: 'rs1', name: 'vnode-01', addr: '172.20.47.78', port: 9978 },
  { node: 'rs2', name: 'vnode-03', addr: '172.20.47.79', port: 9979 },
  { node: 'rs3', name: 'vnode-02', addr: '172.20.47.80', port: 9980 },
];

export const topology = () =>
  natPairTopology({
    front: { prefix: '172.20.46.0/24', client: '172.20.46.100', d1: '172.20.46.78', d2: '172.20.46.80' },
    back: { prefix: '172.20.47.0/24', gateway: GW, d1: '172.20.47.2', d2: '172.20.47.3' },
    servers: SERVERS.map((s) => ({ node: s.node, addr: s.addr })),
  });

/** Real servers (echo and who-am-i), both directors, and waits until traffic flows. */
export async function upEchoPair(lab: Lab): Promise<void> {
  for (const s of SERVERS) {
    lab.echo(s.node, s.name, [`${s.addr}:${s.port}`]);
    lab.whoAmI(s.node, s.name, [`${s.addr}:8080`]);
  }
  const config = lab.path(CONF);
  const plane = lab.plane;
  lab.startDirector('d1', { config, configId: 'd1', plane });
  lab.startDirector('d2', { config, configId: 'd2', plane });
  await waitFor('the VIP on d1', () => lab.holder(VIP, ['d1']) === 'd1', 20_000);
  await waitFor(`the gateway VIP ${GW} on d1`, () => lab.holder(GW, ['d1']) === 'd1', 10_000);
  // Health checks must have brought every real server in before we measure.
  await waitFor(
    'all three echo servers answering through the VIP',
    async () => {
      const r = await lab.clientCount('client', 'echo', `${VIP}:9900`, 30, 6);
      return r.failed === 0 && Object.keys(r.byServer).length === 3;
    },
    30_000,
  );
}

export const seed004: Scenario = {
  name: 'seed-004',
  title: 'nginx stream + keepalived: three TCP echo servers 40/30/30, master killed and recovered',
  seed: '004',
  needsIpvs: false,
  configs: [CONF],
  describe: [
    `client 172.20.46.100 → VIP ${VIP}:9900 (echo) and :80 (HTTP) on d1 (master) / d2 (backup)`,
    'echo servers vnode-01 172.20.47.78:9978 (40), vnode-03 .79:9979 (30), vnode-02 .80:9980 (30)',
    `try: ip netns exec lab-<id>-client sh -c 'echo hello | socat - TCP:${VIP}:9900'`,
  ],
  topology,
  up: upEchoPair,
  async test(lab: Lab, report: Report) {
    await balanceTest(lab, report, {
      proto: 'echo',
      target: `${VIP}:9900`,
      count: 1000,
      expected: { 'vnode-01': 40, 'vnode-03': 30, 'vnode-02': 30 },
      tolerancePct: 5,
    });
    await failoverTest(lab, report, {
      proto: 'echo',
      target: `${VIP}:9900`,
      master: 'd1',
      backup: 'd2',
      vips: [VIP, GW],
      vip: VIP,
      preempt: true,
      maxGapMs: 6000,
    });
  },
};

// Seed 003: HAProxy + Keepalived in front of two MyCat nodes. `seed-003`
// runs floatlb as both; `seed-003-haproxy` runs the real HAProxy and
// keepalived on the same topology, for comparison. Both use nopreempt: the
// recovered master must not take the VIP back.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Lab, waitFor } from '../lab.js';
import type { Report, Scenario } from '../scenario.js';
import { balanceTest, failoverTest, natPairTopology } from './common.js';

const DIR = 'lab/scenarios/seed-003';
const VIP = '192.168.175.220';
const GW = '192.168.176.1';
const BACKENDS = [
  { node: 'mycat1', name: 'huachao', addr: '192.168.176.200' },
  { node: 'mycat2', name: 'mini1', addr: '192.168.176.201' },
];

const topology = () =>
  natPairTopology({
    front: {
      prefix: '192.168.175.0/24',
      client: '192.168.175.100',
      d1: '192.168.175.202',
      d2: '192.168.175.203',
    },
    back: { prefix: '192.168.176.0/24', gateway: GW, d1: '192.168.176.202', d2: '192.168.176.203' },
    servers: BACKENDS.map((b) => ({ node: b.node, addr: b.addr })),
  });

function startBackends(lab: Lab): void {
  for (const b of BACKENDS) lab.whoAmI(b.node, b.name, [`${b.addr}:8066`]);
}

async function waitServing(lab: Lab): Promise<void> {
  await waitFor(
    'both MyCat nodes answering through the VIP',
    async () => {
      const r = await lab.clientCount('client', 'http', `${VIP}:8066`, 20, 4);
      return r.failed === 0 && Object.keys(r.byServer).length === 2;
    },
    30_000,
  );
}

/** floatlb holds the gateway VIP too (NAT); HAProxy proxies, so only the front VIP moves. */
const testWith =
  (vips: string[]) =>
  async (lab: Lab, report: Report): Promise<void> => {
    await balanceTest(lab, report, {
      proto: 'http',
      target: `${VIP}:8066`,
      count: 1000,
      expected: { huachao: 1, mini1: 1 },
      tolerancePct: 5,
    });
    await failoverTest(lab, report, {
      proto: 'http',
      target: `${VIP}:8066`,
      master: 'd1',
      backup: 'd2',
      vips,
      vip: VIP,
      preempt: false,
      maxGapMs: 6000,
    });
  };

export const seed003: Scenario = {
  name: 'seed-003',
  title: 'HAProxy + keepalived in front of two backends, as floatlb (nopreempt)',
  seed: '003',
  needsIpvs: false,
  configs: [`${DIR}/keepalived.conf`],
  describe: [
    `client 192.168.175.100 → VIP ${VIP}:8066 on d1 .202 / d2 .203 → huachao .176.200, mini1 .176.201`,
    `try: ip netns exec lab-<id>-client curl -s http://${VIP}:8066/`,
  ],
  topology,
  async up(lab) {
    startBackends(lab);
    const config = lab.path(DIR, 'keepalived.conf');
    // Both start as BACKUP: whoever starts first wins, so d1 goes first.
    lab.startDirector('d1', { config, configId: 'd1', plane: lab.plane });
    await waitFor('the VIP on d1', () => lab.holder(VIP, ['d1']) === 'd1', 20_000);
    await waitFor(`the gateway VIP ${GW} on d1`, () => lab.holder(GW, ['d1']) === 'd1', 10_000);
    lab.startDirector('d2', { config, configId: 'd2', plane: lab.plane });
    await waitServing(lab);
  },
  test: testWith([VIP, GW]),
};

function startHaproxyNode(lab: Lab, node: string): void {
  const d = join(lab.dir, node);
  lab.startRole(node, () =>
    lab.start(node, `haproxy-${node}`, 'haproxy', ['-db', '-f', lab.path(DIR, 'haproxy.cfg')]),
  );
  lab.startRole(node, () =>
    lab.start(node, `keepalived-${node}`, 'keepalived', [
      '-n',
      '-l',
      '-P',
      '-f',
      lab.path(DIR, 'keepalived-haproxy.conf'),
      '-i',
      node,
      '-p',
      join(d, 'keepalived.pid'),
      '-r',
      join(d, 'vrrp.pid'),
    ]),
  );
}

export const seed003Haproxy: Scenario = {
  name: 'seed-003-haproxy',
  title: 'seed 003 side by side: the real HAProxy 2.6 + keepalived 2.2.7 on the same topology',
  seed: '003',
  needsIpvs: false,
  configs: [`${DIR}/keepalived-haproxy.conf`, `${DIR}/haproxy.cfg`],
  describe: [
    `client 192.168.175.100 → VIP ${VIP}:8066 → HAProxy on d1/d2 → huachao .176.200, mini1 .176.201`,
    'status page: http://192.168.175.202:48800/admin-status',
  ],
  topology,
  async up(lab) {
    startBackends(lab);
    for (const n of ['d1', 'd2']) mkdirSync(join(lab.dir, n), { recursive: true });
    startHaproxyNode(lab, 'd1');
    await waitFor('the VIP on d1', () => lab.holder(VIP, ['d1']) === 'd1', 20_000);
    startHaproxyNode(lab, 'd2');
    await waitServing(lab);
  },
  async test(lab, report) {
    // keepalived has no back-side VIP here: HAProxy is a proxy, replies come back to it.
    await testWith([VIP])(lab, report);
  },
};

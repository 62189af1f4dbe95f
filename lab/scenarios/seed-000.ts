// Seed 000: the MRS floating IP replaced by the load balancer. Two MRS nodes
// behind an active_standby pool that starts with nobody linked; the adapter
// scripts (installed on each node, asking both directors over TCP) make a
// node active or standby, and checkLB.sh reports its state.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Lab, sleep, waitFor } from '../lab.js';
import { analyze, fmtShares } from '../measure.js';
import type { Report, Scenario } from '../scenario.js';
import { failoverTest, natPairTopology } from './common.js';

const CONF = 'lab/scenarios/seed-000/keepalived.conf';
const LB = '192.168.0.50';
const GW = '192.168.1.1';
const NODES = [
  { node: 'node1', addr: '192.168.1.2' },
  { node: 'node2', addr: '192.168.1.3' },
];
const DIRECTORS = { d1: '192.168.1.11', d2: '192.168.1.12' };
const TARGET = `${LB}:8080`;

const prefixOf = (lab: Lab, node: string) => join(lab.dir, node, 'opt', 'loadBalanceAdapt');

/** Runs an adapter script on a node, as MRS would; returns its exit code. */
function adapter(lab: Lab, node: string, script: string): number {
  const addr = NODES.find((n) => n.node === node)!.addr;
  const r = spawnSync(
    'ip',
    ['netns', 'exec', lab.topo.nsName(node), join(prefixOf(lab, node), script), '-lb', LB, addr],
    {
      encoding: 'utf8',
    },
  );
  return r.status ?? -1;
}

export const seed000: Scenario = {
  name: 'seed-000',
  title: 'MRS floating IP replaced by the load balancer: active/standby nodes driven by the adapter scripts',
  seed: '000',
  needsIpvs: false,
  configs: [CONF],
  describe: [
    `client 192.168.0.100 → LB IP ${LB}:8080 on d1/d2 → node1 192.168.1.2 / node2 192.168.1.3 (nobody linked)`,
    `try: ip netns exec lab-<id>-node1 <lab dir>/node1/opt/loadBalanceAdapt/linkToLB.sh -lb ${LB} 192.168.1.2`,
  ],
  topology: () =>
    natPairTopology({
      front: { prefix: '192.168.0.0/24', client: '192.168.0.100', d1: '192.168.0.11', d2: '192.168.0.12' },
      back: { prefix: '192.168.1.0/24', gateway: GW, d1: DIRECTORS.d1, d2: DIRECTORS.d2 },
      servers: NODES,
    }),
  async up(lab) {
    const token = join(lab.dir, 'token');
    writeFileSync(token, `${randomBytes(16).toString('hex')}\n`, { mode: 0o600 });
    for (const n of NODES) lab.whoAmI(n.node, n.node, [`${n.addr}:8080`]);
    const config = lab.path(CONF);
    for (const [d, ip] of Object.entries(DIRECTORS)) {
      lab.startDirector(d, {
        config,
        configId: d,
        plane: lab.plane,
        extraArgs: ['--api-listen', `${ip}:7443`, '--api-token-file', token],
      });
    }
    for (const n of NODES) {
      mkdirSync(join(lab.dir, n.node), { recursive: true });
      execFileSync(
        'sh',
        [
          lab.path('adapters/install.sh'),
          '--prefix',
          prefixOf(lab, n.node),
          '--user',
          'root',
          ...Object.values(DIRECTORS).flatMap((ip) => ['--director', `http://${ip}:7443`]),
          '--token-file',
          token,
        ],
        { stdio: 'ignore' },
      );
    }
    await waitFor('the LB IP on d1', () => lab.holder(LB, ['d1']) === 'd1', 20_000);
    // The nodes' gateway moves with the LB IP (one sync group).
    await waitFor(`the gateway VIP ${GW} on d1`, () => lab.holder(GW, ['d1']) === 'd1', 10_000);
    await waitFor(
      'both directors answering the adapter',
      () => adapter(lab, 'node1', 'checkLB.sh') === 2,
      30_000,
    );
  },
  async test(lab: Lab, report: Report) {
    const nobody = await lab.clientCount('client', 'http', TARGET, 10, 5);
    report.check(
      'initial state: nobody linked, no traffic served',
      nobody.ok === 0,
      `${nobody.ok} of 10 served`,
    );
    report.check(
      'checkLB.sh on both nodes: 2 (stopped)',
      adapter(lab, 'node1', 'checkLB.sh') === 2 && adapter(lab, 'node2', 'checkLB.sh') === 2,
      'exit codes checked on node1 and node2',
    );

    lab.narrate('node1 becomes active: linkToLB.sh on node1');
    const link1 = adapter(lab, 'node1', 'linkToLB.sh');
    await waitFor(
      'traffic on node1',
      async () => (await lab.clientCount('client', 'http', TARGET, 5, 5)).ok === 5,
      10_000,
    );
    const only1 = await lab.clientCount('client', 'http', TARGET, 200);
    report.figure('after linkToLB node1', fmtShares(only1.byServer));
    report.check(
      'linkToLB.sh node1: exit 0, all traffic to node1',
      link1 === 0 && only1.ok === 200 && only1.byServer.node1 === 200,
      `exit ${link1}; ${fmtShares(only1.byServer)}, ${only1.failed} failed`,
    );
    const c1 = adapter(lab, 'node1', 'checkLB.sh');
    const c2 = adapter(lab, 'node2', 'checkLB.sh');
    report.check(
      'checkLB.sh: node1 0 (running), node2 2 (stopped)',
      c1 === 0 && c2 === 2,
      `node1 ${c1}, node2 ${c2}`,
    );

    lab.narrate('MRS switches over: unLinkToLB.sh on node1, linkToLB.sh on node2');
    const stream = lab.clientStream('client', 'http', TARGET, 20);
    await sleep(1000);
    const tSwitch = Date.now();
    const un1 = adapter(lab, 'node1', 'unLinkToLB.sh');
    const link2 = adapter(lab, 'node2', 'linkToLB.sh');
    const switchMs = Date.now() - tSwitch;
    const servedMs = await waitFor(
      'node2 serving',
      () => stream.results.some((r) => r.ok && r.who === 'node2'),
      15_000,
    ).catch(() => -1);
    await sleep(2000);
    const results = await stream.stop();
    const sw = analyze(results);
    const firstNode2 = results.find((r) => r.ok && r.who === 'node2')?.t ?? Number.POSITIVE_INFINITY;
    const after = analyze(results.filter((r) => r.t > firstNode2));
    report.figure('switchover', {
      adapterCallsMs: switchMs,
      node2ServingAfterMs: servedMs + switchMs,
      ...sw,
    });
    report.check(
      'switchover: both scripts exit 0, node2 serves within 5 s, then only node2',
      un1 === 0 &&
        link2 === 0 &&
        servedMs >= 0 &&
        servedMs + switchMs < 5000 &&
        after.ok > 0 &&
        after.failed === 0 &&
        Object.keys(after.byServer).join() === 'node2',
      `unLinkToLB ${un1}, linkToLB ${link2} in ${switchMs} ms; service gap ${sw.gapMs} ms, ${sw.failed} of ${sw.attempts} failed; after: ${fmtShares(after.byServer)}`,
    );
    const s1 = adapter(lab, 'node1', 'checkLB.sh');
    const s2 = adapter(lab, 'node2', 'checkLB.sh');
    report.check('checkLB.sh: node1 2, node2 0', s1 === 2 && s2 === 0, `node1 ${s1}, node2 ${s2}`);

    // The LB itself fails over; the link state is on both directors.
    await failoverTest(lab, report, {
      proto: 'http',
      target: TARGET,
      master: 'd1',
      backup: 'd2',
      vips: [LB, GW],
      vip: LB,
      preempt: true,
      maxGapMs: 6000,
    });
    const last = await lab.clientCount('client', 'http', TARGET, 50);
    report.check(
      'after the directors failed over and back, node2 is still the only one served',
      last.ok === 50 && last.byServer.node2 === 50,
      fmtShares(last.byServer),
    );
  },
};

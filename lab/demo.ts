// The demo: the seed-004 lab with HTTP. Traffic is split across three web
// servers, the master director is killed, the VIP moves, traffic continues.
// It narrates as it goes, prints a summary of what it measured and removes
// everything it created. `npm run demo` (the lab's own entry point) runs it;
// it needs only network namespaces, never the lab VM.
import { sleep, waitFor } from './lab.js';
import { analyze, fmtShares } from './measure.js';
import { listNetns } from './netns.js';
import { upScenario } from './runner.js';
import { seed004, VIP } from './scenarios/seed-004.js';
import { listLabs } from './state.js';

export interface DemoSummary {
  split: Record<string, number>;
  splitRequests: number;
  vipMoveMs: number;
  gapMs: number;
  failed: number;
  attempts: number;
  afterFailover: Record<string, number>;
  leftBehind: string[];
  totalMs: number;
}

export async function runDemo(root: string, say: (line: string) => void): Promise<DemoSummary> {
  const t0 = Date.now();
  const id = `demo-${process.pid}`;
  say(
    '1/5 building a client, two directors (d1 master, d2 backup) and three web servers in network namespaces',
  );
  const lab = await upScenario(seed004, { root, id, narrate: say });
  let summary: DemoSummary;
  try {
    const target = `${VIP}:80`;
    say(`2/5 the VIP ${VIP} is on d1; sending 300 HTTP requests through it (weights 40/30/30)`);
    const split = await lab.clientCount('client', 'http', target, 300);
    say(`    split: ${fmtShares(split.byServer)} (${split.failed} failed)`);
    const stream = lab.clientStream('client', 'http', target, 20);
    say(`3/5 client: a new HTTP connection every ${stream.intervalMs} ms`);
    await sleep(1500);
    const tKill = Date.now();
    say('    killing the master d1 (kill -9 floatlb, links down); waiting for d2 to take the VIP');
    lab.failNode('d1');
    const vipMoveMs = await waitFor('the VIP on d2', () => lab.holder(VIP, ['d2']) === 'd2', 20_000);
    say(
      `4/5 the VIP moved to d2 ${(vipMoveMs / 1000).toFixed(2)} s after the kill; traffic continues through d2`,
    );
    await waitFor(
      'traffic through d2',
      () => stream.results.some((r) => r.ok && r.t > tKill + vipMoveMs),
      10_000,
    );
    await sleep(2500);
    const results = await stream.stop();
    const c = analyze(results);
    const after = analyze(results.filter((r) => r.t > tKill + vipMoveMs + 200));
    summary = {
      split: split.byServer,
      splitRequests: split.ok + split.failed,
      vipMoveMs,
      gapMs: c.gapMs,
      failed: c.failed,
      attempts: c.attempts,
      afterFailover: after.byServer,
      leftBehind: [],
      totalMs: 0,
    };
  } finally {
    say('5/5 removing everything the demo created');
    lab.down();
  }
  summary.leftBehind = [
    ...listNetns().filter((n) => n.startsWith(`lab-${id}-`)),
    ...listLabs()
      .filter((s) => s.record.id === id)
      .map((s) => s.file),
  ];
  summary.totalMs = Date.now() - t0;
  return summary;
}

/** The summary the README shows, one figure a line. */
export function printSummary(s: DemoSummary, w: NodeJS.WritableStream = process.stdout): void {
  w.write('\nSummary\n');
  w.write(`  traffic split over ${s.splitRequests} requests:  ${fmtShares(s.split)} (weights 40/30/30)\n`);
  w.write(`  VIP move after the master was killed:   ${(s.vipMoveMs / 1000).toFixed(2)} s\n`);
  w.write(`  service gap seen by the client:         ${(s.gapMs / 1000).toFixed(2)} s\n`);
  w.write(`  failed requests (new connection/20 ms): ${s.failed} of ${s.attempts}\n`);
  w.write(`  served by the backup after failover:    ${fmtShares(s.afterFailover)}\n`);
  w.write(
    `  left behind:                            ${s.leftBehind.length ? s.leftBehind.join(', ') : 'nothing'}\n`,
  );
  w.write(`  total time:                             ${(s.totalMs / 1000).toFixed(1)} s\n`);
}

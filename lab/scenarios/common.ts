// Pieces the scenarios share: the two-director NAT topology and the
// failover-and-recovery measurement seen from the client.
import { type Lab, sleep, waitFor } from '../lab.js';
import { analyze, checkShares, fmtShares } from '../measure.js';
import type { Report } from '../scenario.js';
import { type BridgeSpec, forwarding, type Port, type TopologySpec } from '../topology.js';

export interface NatPair {
  front: { prefix: string; client: string; d1: string; d2: string };
  back: { prefix: string; gateway: string; d1: string; d2: string };
  servers: Array<{ node: string; addr: string }>;
}

/** client — front LAN — d1, d2 — back LAN — servers (default route via the back VIP). */
export function natPairTopology(p: NatPair): TopologySpec {
  const len = (pfx: string) => pfx.split('/')[1] ?? '24';
  const f = len(p.front.prefix);
  const b = len(p.back.prefix);
  return {
    nodes: ['hub', 'client', 'd1', 'd2', ...p.servers.map((s) => s.node)],
    bridges: [
      hubLan('front', [
        { node: 'client', ifname: 'eth0', addrs: [`${p.front.client}/${f}`] },
        { node: 'd1', ifname: 'eth0', addrs: [`${p.front.d1}/${f}`] },
        { node: 'd2', ifname: 'eth0', addrs: [`${p.front.d2}/${f}`] },
      ]),
      hubLan('back', [
        { node: 'd1', ifname: 'eth1', addrs: [`${p.back.d1}/${b}`] },
        { node: 'd2', ifname: 'eth1', addrs: [`${p.back.d2}/${b}`] },
        ...p.servers.map((s) => ({ node: s.node, ifname: 'eth0', addrs: [`${s.addr}/${b}`] })),
      ]),
    ],
    routes: p.servers.map((s) => ({ node: s.node, dst: 'default', via: p.back.gateway })),
    sysctls: forwarding(['d1', 'd2']),
  };
}

/** A LAN of the lab: a bridge in the `hub` node, which holds nothing else. */
export function hubLan(name: string, ports: Port[]): BridgeSpec {
  return { name, in: 'hub', ports };
}

export interface BalanceOptions {
  proto: 'http' | 'echo';
  target: string;
  count: number;
  expected: Record<string, number>;
  tolerancePct: number;
}

export async function balanceTest(lab: Lab, report: Report, o: BalanceOptions): Promise<void> {
  lab.narrate(`${o.count} new connections to ${o.target} (${o.proto})`);
  const r = await lab.clientCount('client', o.proto, o.target, o.count);
  const problems = checkShares(r.byServer, o.expected, o.tolerancePct);
  report.figure(`split ${o.target}`, { ...r, shares: fmtShares(r.byServer) });
  report.check(
    `balancing ${o.target}: ${Object.values(o.expected).join('/')} within ±${o.tolerancePct}% over ${o.count} connections`,
    r.failed === 0 && problems.length === 0,
    `${fmtShares(r.byServer)}; ${r.failed} failed${problems.length ? `; ${problems.join('; ')}` : ''}`,
  );
}

export interface FailoverOptions {
  proto: 'http' | 'echo';
  target: string;
  master: string;
  backup: string;
  /** Every VIP of the pair's sync group (removed when the master "reboots"). */
  vips: string[];
  /** The VIP the client uses, to see where it lives. */
  vip: string;
  /** After recovery, the VIP returns to the master (preempt) or stays (nopreempt). */
  preempt: boolean;
  /** Upper bound on the failover gap (ms). */
  maxGapMs: number;
}

/** Kills the master (node failure), measures the gap, recovers it, measures again. */
export async function failoverTest(lab: Lab, report: Report, o: FailoverOptions): Promise<void> {
  const pair = [o.master, o.backup];
  report.check(
    `VIP ${o.vip} on the master ${o.master}`,
    lab.holder(o.vip, pair) === o.master,
    `held by ${lab.holder(o.vip, pair)}`,
  );
  const stream = lab.clientStream('client', o.proto, o.target, 20);
  lab.narrate(`client: a new connection to ${o.target} every ${stream.intervalMs} ms`);
  // Steady traffic before the kill: the client takes seconds to start in
  // the emulated VM, and a kill before it runs would measure nothing.
  await waitFor('ten answers before the kill', () => stream.results.filter((r) => r.ok).length >= 10, 60_000);
  const tKill = Date.now();
  lab.narrate(`killing the master ${o.master}: kill -9 floatlb and its links down`);
  lab.failNode(o.master);
  const moveMs = await waitFor(
    `the VIP on ${o.backup}`,
    () => lab.holder(o.vip, [o.backup]) === o.backup,
    20_000,
  );
  lab.narrate(`VIP ${o.vip} moved to ${o.backup} ${(moveMs / 1000).toFixed(2)} s after the kill`);
  // Settled: ten new connections in a row through the backup (not just
  // one: under TCG a client times out now and then, which widens the gap).
  const tail = () => {
    const rs = stream.results.filter((r) => r.t > tKill + moveMs).sort((a, b) => a.t - b.t);
    let n = 0;
    while (n < rs.length && rs[rs.length - 1 - n]!.ok) n++;
    return n;
  };
  await waitFor('ten new connections in a row through the backup', () => tail() >= 10, 20_000);
  const tRecover = Date.now();
  lab.narrate(`recovering ${o.master}: links up, floatlb started again`);
  lab.recoverNode(o.master, o.vips);
  let backMs = 0;
  if (o.preempt) {
    backMs = await waitFor(
      `the VIP back on ${o.master}`,
      () => lab.holder(o.vip, [o.master]) === o.master,
      20_000,
    );
    lab.narrate(`VIP back on ${o.master} ${(backMs / 1000).toFixed(2)} s after it restarted`);
  } else {
    // Give the recovered node time to settle; with nopreempt it must not take over.
    await sleep(5000);
  }
  await sleep(2000);
  const results = await stream.stop();
  const failover = analyze(results.filter((r) => r.t < tRecover));
  const recovery = analyze(results.filter((r) => r.t >= tRecover));
  // The outage is the longest time without a successful new connection
  // (the recovery's counted from the last success before it). The gap, from
  // the first failure to the last, also spans failures scattered among
  // successes, which TCG produces with nothing wrong; both are reported.
  const lastOkBefore = results.filter((r) => r.ok && r.t < tRecover).pop()?.t ?? tRecover;
  const failoverOutage = failover.maxSuccessIntervalMs;
  const recoveryOutage = analyze(results.filter((r) => r.t >= lastOkBefore)).maxSuccessIntervalMs;
  const all = analyze(results);
  report.figure('failover', { vipMoveMs: moveMs, ...failover });
  report.figure('recovery', { vipBackMs: backMs, ...recovery });
  report.figure('vrrp states, ms after the recovery started', vrrpTimeline(lab, pair, tRecover));
  report.figure('traffic during the test', {
    attempts: all.attempts,
    ok: all.ok,
    failed: all.failed,
    split: fmtShares(all.byServer),
  });
  const moved = o.vips.filter((v) => lab.holder(v, pair) !== null);
  report.check(
    `failover: VIP on ${o.backup}, service outage under ${o.maxGapMs} ms`,
    failoverOutage < o.maxGapMs && moved.length === o.vips.length,
    `VIP moved in ${moveMs} ms; outage ${failoverOutage} ms (gap ${failover.gapMs} ms); ${failover.failed} of ${failover.attempts} new connections failed; VIPs held: ${moved.join(', ')}`,
  );
  // After the gap, a steady run through the backup (longest run of
  // successes between the VIP move and the recovery).
  let run = 0;
  let longest = 0;
  for (const r of results.filter((x) => x.t > tKill + moveMs && x.t < tRecover)) {
    run = r.ok ? run + 1 : 0;
    longest = Math.max(longest, run);
  }
  report.check(
    'traffic continues through the backup',
    longest >= 10,
    `${longest} new connections in a row succeeded through ${o.backup} before the recovery`,
  );
  const holder = lab.holder(o.vip, pair);
  report.check(
    o.preempt ? `recovery: VIP back on ${o.master}` : `recovery: VIP stays on ${o.backup} (nopreempt)`,
    holder === (o.preempt ? o.master : o.backup),
    `held by ${holder}; ${recovery.failed} of ${recovery.attempts} new connections failed, gap ${recovery.gapMs} ms`,
  );
  report.check(
    'recovery: service continues',
    recoveryOutage < o.maxGapMs && recovery.ok > 0 && results[results.length - 1]!.ok,
    `outage ${recoveryOutage} ms (gap ${recovery.gapMs} ms), ${recovery.failed} of ${recovery.attempts} failed`,
  );
}

/**
 * Each VRRP state a director entered from `since` - 30 s on, as
 * "node instance STATE @ms" relative to `since`: shows a handover that
 * flapped. Only floatlb's JSON logs are read.
 */
export function vrrpTimeline(lab: Lab, nodes: string[], since: number): string[] {
  const out: Array<{ t: number; line: string }> = [];
  for (const node of nodes) {
    for (const raw of lab.log(`floatlb-${node}`).split('\n')) {
      if (!raw.startsWith('{')) continue;
      let l: { time?: number; msg?: string; instance?: string; state?: string };
      try {
        l = JSON.parse(raw);
      } catch {
        continue;
      }
      if (typeof l.time !== 'number' || l.time < since - 30_000) continue;
      if (!l.msg?.includes('entering') || !l.state) continue;
      out.push({ t: l.time, line: `${node} ${l.instance} ${l.state} @${l.time - since}` });
    }
  }
  return out.sort((a, b) => a.t - b.t).map((x) => x.line);
}

// One data-plane phase: R rounds; in each round every candidate runs once
// (the order rotates from round to round, so no candidate always follows a
// heavy one), with a new connection per request, then keep-alive, then bulk.
// Ratios are taken within a round, against that round's direct path.

import { execFileSync } from 'node:child_process';
import type { Candidate, Running } from './candidates.js';
import { lbPids } from './candidates.js';
import { netnsInodes } from './context.js';
import { type Measured, runIperf, runWrk } from './load.js';
import { BULK_PORT, HTTP_PORT, type Topology } from './topology.js';

export type Mode = 'close' | 'keepalive';

export interface Sample extends Measured {
  readonly round: number;
  readonly candidate: string;
  readonly mode: Mode;
}

export interface BulkSample {
  readonly round: number;
  readonly candidate: string;
  readonly gbps: number;
}

export interface PhaseOptions {
  readonly rounds: number;
  readonly seconds: number;
  readonly connections: number;
  readonly bulkSeconds: number;
  /** Per candidate start, not a sample; 0 for none (the smoke run). */
  readonly warmupSeconds?: number;
  readonly log: (line: string) => void;
}

export interface PhaseResult {
  readonly candidates: ReadonlyArray<Pick<Candidate, 'id' | 'label' | 'kind' | 'servers'>>;
  readonly samples: Sample[];
  readonly bulk: BulkSample[];
  readonly failures: string[];
}

async function ready(topo: Topology, target: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      execFileSync(
        'ip',
        ['netns', 'exec', topo.client.name, 'curl', '-sf', '-m', '2', `http://${target}:${HTTP_PORT}/`],
        {
          stdio: 'ignore',
        },
      );
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`no HTTP answer from ${target}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

export async function runPhase(
  topo: Topology,
  cands: readonly Candidate[],
  o: PhaseOptions,
): Promise<PhaseResult> {
  const samples: Sample[] = [];
  const bulk: BulkSample[] = [];
  const failures: string[] = [];
  const ours = netnsInodes([topo.client, topo.director, topo.gateway, ...topo.servers].map((n) => n.name));
  for (let round = 1; round <= o.rounds; round++) {
    const k = (round - 1) % cands.length;
    const order = [...cands.slice(k), ...cands.slice(0, k)];
    for (const c of order) {
      let run: Running | null = null;
      try {
        run = await c.start(topo);
        await ready(topo, c.target);
        // warm-up, not a sample: caches, conntrack, ARP and the proxy's first accepts
        if ((o.warmupSeconds ?? 1) > 0)
          await runWrk(topo.client, `http://${c.target}:${HTTP_PORT}/`, {
            seconds: o.warmupSeconds ?? 1,
            connections: o.connections,
            close: true,
            pids: () => [],
          });
        for (const mode of ['close', 'keepalive'] as const) {
          const m = await runWrk(topo.client, `http://${c.target}:${HTTP_PORT}/`, {
            seconds: o.seconds,
            connections: o.connections,
            close: mode === 'close',
            pids: () => lbPids(topo),
            ours,
          });
          samples.push({ ...m, round, candidate: c.id, mode });
          o.log(
            `round ${round} ${c.id.padEnd(16)} ${mode.padEnd(9)} ${m.rps.toFixed(0).padStart(7)} req/s ` +
              `p50 ${m.p50ms.toFixed(2)} ms p99 ${m.p99ms.toFixed(2)} ms lb-cpu ${m.lbCpuSec.toFixed(2)} s ` +
              `err ${m.errors} load ${m.load1} steal ${m.steal} foreign ${m.foreignSec} s idle ${m.idle}`,
          );
        }
        if (o.bulkSeconds > 0 && c.servers === 1) {
          const b = await runIperf(topo.client, c.target, BULK_PORT, o.bulkSeconds);
          bulk.push({ round, candidate: c.id, gbps: b.gbps });
          o.log(`round ${round} ${c.id.padEnd(16)} bulk      ${b.gbps.toFixed(2)} Gbit/s`);
        }
      } catch (e) {
        const msg = `round ${round} ${c.id}: ${(e as Error).message}`;
        failures.push(msg);
        o.log(`FAILED ${msg}`);
      } finally {
        await run?.stop().catch((e: unknown) => failures.push(`${c.id} stop: ${(e as Error).message}`));
      }
    }
  }
  return {
    candidates: cands.map(({ id, label, kind, servers }) => ({ id, label, kind, servers })),
    samples,
    bulk,
    failures,
  };
}

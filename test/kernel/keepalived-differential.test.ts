// Lab VM, kernel tier (vm-lab project: alone in the VM, after the kernel
// project; `npm run test:differential` runs it by itself): the differential
// test against keepalived 2.2.7 on IPVS. keepalived runs in one namespace
// and `floatlb run -f` in another, on the same keepalived.conf, checking the
// same real servers. A fault schedule
// (servers stopped, wrong HTTP status, failing scripts and files, dropped
// pings, flaps, quorum lost and regained, a reload with changes) is applied
// once to the shared real servers; after each step, once both sides have
// settled, the two `ipvsadm -Sn` tables (sorted) must be the same, except for
// the differences listed in docs/ipvs.md, which are asserted exactly.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCert } from '../host/health-support.js';
import {
  buildDifferentialLab,
  type DifferentialLab,
  rs4,
  rs6,
  type Tables,
  trace,
} from '../support/differential-lab.js';
import { requireIpvs, requireRoot, requireTool } from '../support/require.js';
import { differentialConfig } from './differential-configs.js';

const R = rs4;
/** After a fault, the longest fall or rise among the checkers (3 s loops; retry 2, 1 s apart; 2 s timeouts). */
const CHECK_WINDOW_MS = 8000;
/** Both tables unchanged for longer than a check loop counts as settled. */
const STABLE_MS = 4500;
/** How often both tables are read while a step settles (each read costs the VM two ipvsadm runs). */
const POLL_MS = 1500;
/** Liveness bound for one step, not a verdict. */
const STEP_BOUND_MS = 90_000;

interface Step {
  readonly name: string;
  /** The fault; applied once, to the real servers both directors check. */
  readonly apply: (lab: DifferentialLab) => Promise<void> | void;
  /** Whether keepalived's table must differ from the previous step's (proof that the fault landed). */
  readonly changes: boolean;
  /** A deliberate difference (docs/ipvs.md), asserted exactly: rules only keepalived has. */
  readonly kaOnly?: readonly string[];
}

/**
 * keepalived 2.2.7 leaves a virtual_server_group member that a reload took
 * out of the range (10.93.1.1 of 10.93.1.1-5 -> 10.93.1.2-7) in IPVS, with its
 * real servers removed; floatlb deletes the service (docs/ipvs.md).
 */
const RELOAD_LEFTOVER = ['-A -t 10.93.1.1:80 -s wlc'];

const summary = {
  configs: 0,
  steps: 0,
  comparisons: 0,
  rules: 0,
  documented: 0,
  mismatches: [] as string[],
};
let lab: DifferentialLab;
let certDir: string;
let prev: string[] = [];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const same = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((l, i) => l === b[i]);
const only = (a: string[], b: string[]) => a.filter((l) => !b.includes(l));
/** The two tables agree: the same, but for the step's deliberate difference. */
const agree = (step: Step, t: Tables) =>
  same(only(t.ka, t.fl), step.kaOnly ?? []) && !only(t.fl, t.ka).length;

/** Polls both tables until they are settled and agree; returns the last pair seen. */
async function settle(step: Step, since: number): Promise<Tables> {
  const end = Date.now() + STEP_BOUND_MS;
  let last = lab.tables();
  let stableSince = Date.now();
  for (;;) {
    await sleep(POLL_MS);
    const t = lab.tables();
    if (!same(t.ka, last.ka) || !same(t.fl, last.fl)) stableSince = Date.now();
    last = t;
    const settled = Date.now() - since >= CHECK_WINDOW_MS && Date.now() - stableSince >= STABLE_MS;
    const landed = !step.changes || !same(t.ka, prev);
    if (settled && landed && agree(step, t)) return t;
    if (Date.now() > end) return t;
  }
}

async function runStep(step: Step): Promise<void> {
  const since = Date.now();
  await step.apply(lab);
  const t = await settle(step, since);
  const verdict = same(t.ka, t.fl)
    ? 'same'
    : agree(step, t)
      ? 'same but for the documented difference'
      : 'DIFFERENT';
  trace(`step '${step.name}': ${t.ka.length} rules, ${verdict}`);
  if (!same(t.ka, t.fl)) {
    trace(`  keepalived only: ${JSON.stringify(only(t.ka, t.fl))}`);
    trace(`  floatlb only: ${JSON.stringify(only(t.fl, t.ka))}`);
  }
  summary.steps++;
  summary.comparisons++;
  summary.rules += t.ka.length;
  if (step.kaOnly) summary.documented++;
  if (!agree(step, t)) summary.mismatches.push(step.name);
  // The whole table, with the deliberate difference put back on floatlb's side.
  const fl = [...t.fl, ...(step.kaOnly ?? [])].sort();
  expect({ step: step.name, floatlb: fl }).toEqual({ step: step.name, floatlb: t.ka });
  expect({ step: step.name, keepaliveOnly: only(t.ka, t.fl) }).toEqual({
    step: step.name,
    keepaliveOnly: step.kaOnly ?? [],
  });
  if (step.changes) expect(t.ka, `${step.name}: the fault changed keepalived's table`).not.toEqual(prev);
  else expect(t.ka, `${step.name}: nothing was to change`).toEqual(prev);
  prev = t.ka;
}

const both = (...fs: Array<Promise<void>>) => Promise.all(fs).then(() => {});

const SCHEDULE: Step[] = [
  { name: 'start: every server up', apply: () => {}, changes: true },
  { name: 'TCP server stopped (rr, quorum member)', apply: (l) => l.stopServer(R(1), 'tcp'), changes: true },
  { name: 'HTTP answers 500 (wrr, group)', apply: (l) => l.httpStatus(R(1), 500), changes: true },
  {
    name: 'HTTPS and SMTP servers stopped (SSL_GET, SMTP_CHECK)',
    apply: (l) => both(l.stopServer(R(3), 'https'), l.stopServer(R(4), 'smtp')),
    changes: true,
  },
  {
    name: 'MISC_CHECK script fails, DNS answers SERVFAIL',
    apply: (l) => {
      l.writeFile('miscfail-5', '');
      return l.dnsRcode(R(6), 2);
    },
    changes: true,
  },
  {
    name: 'pings dropped, UDP server stopped, FILE_CHECK file says failure',
    apply: (l) => {
      l.dropPing(R(7), true);
      l.dropPing(rs6(4), true);
      l.writeFile('tf2', '1\n');
      return l.stopServer(R(8), 'udp');
    },
    changes: true,
  },
  {
    name: 'second quorum member down: hysteresis keeps quorum',
    apply: (l) => l.stopServer(R(2), 'tcp'),
    changes: true,
  },
  {
    name: 'third quorum member down: quorum lost, sorry servers in (one inhibited)',
    apply: (l) => l.stopServer(R(3), 'tcp'),
    changes: true,
  },
  {
    name: 'one member back: below quorum + hysteresis, sorry server stays',
    apply: (l) => l.startServer(R(1), 'tcp'),
    changes: true,
  },
  {
    name: 'every fault restored',
    apply: async (l) => {
      await both(
        l.startServer(R(2), 'tcp'),
        l.startServer(R(3), 'tcp'),
        l.httpStatus(R(1), 200),
        l.startServer(R(3), 'https'),
        l.startServer(R(4), 'smtp'),
        l.dnsRcode(R(6), 0),
        l.startServer(R(8), 'udp'),
      );
      l.removeFile('miscfail-5');
      l.dropPing(R(7), false);
      l.dropPing(rs6(4), false);
      l.writeFile('tf2', '0\n');
    },
    changes: true,
  },
  {
    name: 'flap shorter than the fall time (retry 2): nothing changes',
    apply: async (l) => {
      await l.stopServer(R(4), 'tcp');
      await l.startServer(R(4), 'tcp');
    },
    changes: false,
  },
  {
    name: 'reload: scheduler, weight, group range and real servers changed',
    apply: (l) => l.reload(differentialConfig(l.dir, 2)),
    changes: true,
    kaOnly: RELOAD_LEFTOVER,
  },
  {
    name: 'after the reload: HTTP answers 404 on a group member',
    apply: (l) => l.httpStatus(R(2), 404),
    changes: true,
    kaOnly: RELOAD_LEFTOVER,
  },
];

beforeAll(async () => {
  requireRoot();
  requireIpvs();
  requireTool('keepalived');
  trace('start');
  certDir = makeCert('ec');
  trace('certificate made');
  const listening = [...[1, 2, 3, 4, 5, 6, 7, 8].map(R), ...[1, 2, 3, 4].map(rs6)];
  // rs4(9) has an address and nothing listening.
  lab = await buildDifferentialLab([...listening, R(9)], certDir, listening);
  lab.writeFile('tf1', '0\n');
  lab.writeFile('tf2', '0\n');
  await lab.start(differentialConfig(lab.dir, 1));
  summary.configs = 2;
}, 600_000);

afterAll(() => {
  console.log(`keepalived differential: ${JSON.stringify(summary)}`);
  if (summary.mismatches.length)
    console.log(`keepalived log tail:\n${lab?.kaLog().split('\n').slice(-40).join('\n')}`);
  if (summary.mismatches.length)
    console.log(`floatlb log tail:\n${lab?.flLog().split('\n').slice(-40).join('\n')}`);
  lab?.cleanup();
  if (certDir) rmSync(certDir, { recursive: true, force: true });
});

describe('floatlb beside keepalived 2.2.7 on IPVS, same config, same faults', () => {
  it('virtual_server_group ranges (IPv4 a-b, a.b.c.d-w.x.y.z, /nn, IPv6 hex range) and fwmark entries program every address, as keepalived does', async () => {
    await runStep(SCHEDULE[0]!);
    const services = (ns: 'ka' | 'fl') =>
      lab[ns]
        .exec('ipvsadm', '-L', '-n')
        .split('\n')
        .filter((l) => /^(TCP|UDP|FWM)/.test(l))
        .map((l) => l.split(/\s+/).slice(0, 2).join(' '))
        .filter((l) => /10\.93\.|fd93:/.test(l) || l === 'FWM 7')
        .sort();
    const want = [
      ...['10.93.1.1', '10.93.1.2', '10.93.1.3', '10.93.1.4', '10.93.1.5'].map((a) => `TCP ${a}:80`),
      ...['10.93.2.0', '10.93.2.1', '10.93.2.2', '10.93.2.3'].map((a) => `TCP ${a}:80`),
      ...['10.93.4.1', '10.93.4.2', '10.93.4.3'].map((a) => `TCP ${a}:80`),
      ...['fd93::a', 'fd93::b', 'fd93::c', 'fd93::1:1'].map((a) => `TCP [${a}]:80`),
      'FWM 7',
    ].sort();
    expect(services('ka')).toEqual(want);
    expect(services('fl')).toEqual(services('ka'));
  });

  it('the fault schedule gives the same IPVS table after every step', async () => {
    for (const step of SCHEDULE.slice(1)) await runStep(step);
    expect(summary.comparisons).toBe(SCHEDULE.length);
  }, 1_200_000);
});

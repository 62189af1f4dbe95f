// Brings scenarios up on this kernel, tests them and takes them down. No VM
// here: the shipped CLI's demo imports this module (lab/vm-test.ts boots the
// lab VM for scenarios that need IPVS).
import { kernelHasIpvs, Lab, type Narrate } from './lab.js';
import { type Check, planeFor, Report, type Scenario } from './scenario.js';
import { scenarios } from './scenarios/index.js';
import { listLabs, procAlive, type TeardownReport, teardown } from './state.js';

export const REPORT_MARK = 'FLOATLB-LAB-REPORT ';

export function findScenario(name: string): Scenario {
  const s = scenarios.find((x) => x.name === name);
  if (!s) throw new Error(`no scenario ${name}; npm run lab -- list shows them`);
  return s;
}

export interface RunOptions {
  /** The source tree (the lab's servers and configs, dist/src/cli/main.js). */
  root: string;
  id?: string;
  narrate?: Narrate;
  onCheck?: (c: Check) => void;
  /** Leave the lab up after the test (for poking at it); `lab down` removes it. */
  keep?: boolean;
}

export async function upScenario(s: Scenario, o: RunOptions & { detach?: boolean }): Promise<Lab> {
  if (s.needsIpvs && !kernelHasIpvs()) {
    throw new Error(
      `${s.name} needs IPVS, which this kernel lacks: \`npm run lab -- test ${s.name}\` runs it in the lab VM`,
    );
  }
  const lab = await Lab.create({
    root: o.root,
    id: o.id ?? s.name,
    scenario: s.name,
    spec: s.topology(),
    plane: planeFor(s, kernelHasIpvs()),
    detach: o.detach ?? false,
    narrate: o.narrate ?? (() => {}),
  });
  try {
    lab.narrate(
      `${s.name}: namespaces up (prefix lab-${lab.id}-); starting servers and directors (${lab.plane})`,
    );
    await s.up(lab);
  } catch (e) {
    const err = e as Error & { logs?: Record<string, string> };
    err.logs = lab.logTails();
    if (!o.keep) lab.down();
    throw err;
  }
  return lab;
}

/** Runs one scenario's test on this kernel and takes it down afterwards. */
export async function testHere(s: Scenario, o: RunOptions): Promise<Report> {
  const report = new Report(s.name, o.onCheck);
  let lab: Lab | null = null;
  try {
    lab = await upScenario(s, o);
    report.figure('plane', lab.plane);
    await s.test(lab, report);
    // A failed check is explained by what the directors logged around it.
    if (report.checks.some((c) => !c.ok)) report.figure('logs', lab.logTails(60));
  } catch (e) {
    report.check('scenario ran to the end', false, (e as Error).message);
    const logs = lab ? lab.logTails() : (e as { logs?: Record<string, string> }).logs;
    if (logs) report.figure('logs', logs);
  } finally {
    if (lab && !o.keep) lab.down();
  }
  return report;
}

/** Removes labs: all of them, or those whose id or scenario matches. */
export function down(which?: string): TeardownReport[] {
  const out: TeardownReport[] = [];
  for (const s of listLabs()) {
    const r = s.record;
    if (which && r.id !== which && r.scenario !== which) continue;
    out.push(teardown(s));
  }
  return out;
}

/** Removes the labs this process created (on SIGINT during a test or the demo). */
export function downOwned(): TeardownReport[] {
  return listLabs()
    .filter((s) => s.record.owner.pid === process.pid)
    .map((s) => teardown(s));
}

export function runningLabs(): Array<{
  id: string;
  scenario: string;
  ownerAlive: boolean;
  netns: number;
  procs: number;
}> {
  return listLabs().map((s) => ({
    id: s.record.id,
    scenario: s.record.scenario,
    ownerAlive: procAlive(s.record.owner),
    netns: s.record.netns.length,
    procs: s.record.procs.filter(procAlive).length,
  }));
}

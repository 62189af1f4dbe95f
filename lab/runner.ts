// Brings scenarios up, tests them and takes them down. A scenario that needs
// IPVS on a kernel without it is tested inside the lab VM: the same command
// runs there, and its report comes back on one marked line of output.
import { kernelHasIpvs, Lab, type Narrate, repoRoot } from './lab.js';
import { type Check, planeFor, Report, type Scenario } from './scenario.js';
import { scenarios } from './scenarios/index.js';
import { LabState, listLabs, procAlive, type TeardownReport, teardown } from './state.js';

export const REPORT_MARK = 'FLOATLB-LAB-REPORT ';

export function findScenario(name: string): Scenario {
  const s = scenarios.find((x) => x.name === name);
  if (!s) throw new Error(`no scenario ${name}; floatlb lab list shows them`);
  return s;
}

export interface RunOptions {
  id?: string;
  narrate?: Narrate;
  onCheck?: (c: Check) => void;
  /** Leave the lab up after the test (for poking at it); `lab down` removes it. */
  keep?: boolean;
}

export async function upScenario(s: Scenario, o: RunOptions & { detach?: boolean }): Promise<Lab> {
  if (s.needsIpvs && !kernelHasIpvs()) {
    throw new Error(
      `${s.name} needs IPVS, which this kernel lacks: \`floatlb lab test ${s.name}\` runs it in the lab VM`,
    );
  }
  const lab = Lab.create({
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
export async function testHere(s: Scenario, o: RunOptions = {}): Promise<Report> {
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

/** Runs scenarios in one lab VM boot; returns their reports. */
export async function testInVm(
  names: string[],
  o: RunOptions & { timeoutMs?: number } = {},
): Promise<Report[]> {
  const { runInKernelVm, cleanVms } = await import('./vm/index.js');
  // The VM's qemu carries this process's pid in its job id; a state record
  // lets `lab down` kill it if this process dies first.
  const state = LabState.create(`vm-${process.pid}`, names.join('+'));
  state.addVm(`-${process.pid}-`);
  const narrate = o.narrate ?? (() => {});
  narrate(`booting the lab VM (IPVS) for ${names.join(', ')}`);
  let pending = '';
  const reports: Report[] = [];
  try {
    const r = await runInKernelVm(
      ['node', 'dist/src/cli/main.js', 'lab', 'test', ...names, '--report-lines'],
      {
        cwd: repoRoot(),
        env: { FLOATLB_LAB_TIME_SCALE: process.env.FLOATLB_LAB_TIME_SCALE ?? '4' },
        timeoutMs: o.timeoutMs ?? 600_000,
        onOutput: (chunk) => {
          pending += chunk;
          let nl = pending.indexOf('\n');
          while (nl >= 0) {
            const line = pending.slice(0, nl).replace(/\r$/, '');
            pending = pending.slice(nl + 1);
            if (line.startsWith(REPORT_MARK)) {
              const j = JSON.parse(line.slice(REPORT_MARK.length)) as ReturnType<Report['toJSON']>;
              const rep = new Report(j.scenario, o.onCheck);
              for (const c of j.checks) rep.check(c.name, c.ok, c.detail);
              Object.assign(rep.figures, j.figures, { where: 'lab VM' });
              reports.push(rep);
            } else if (line.trim()) narrate(`  vm| ${line}`);
            nl = pending.indexOf('\n');
          }
        },
      },
    );
    for (const n of names) {
      if (!reports.some((x) => x.scenario === n)) {
        const rep = new Report(n, o.onCheck);
        rep.check(
          'scenario reported from the VM',
          false,
          `VM exit ${r.code}${r.timedOut ? ' (timed out)' : ''}`,
        );
        reports.push(rep);
      }
    }
  } finally {
    teardown(state);
    cleanVms();
  }
  return reports;
}

/** Tests scenarios here or in the VM, whichever each needs. */
export async function testScenarios(names: string[], o: RunOptions = {}): Promise<Report[]> {
  const list = names.map(findScenario);
  const here = list.filter((s) => !s.needsIpvs || kernelHasIpvs());
  const vm = list.filter((s) => s.needsIpvs && !kernelHasIpvs());
  const out: Report[] = [];
  for (const s of here) out.push(await testHere(s, o));
  if (vm.length)
    out.push(
      ...(await testInVm(
        vm.map((s) => s.name),
        o,
      )),
    );
  return out;
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

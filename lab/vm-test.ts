// Tests scenarios that need IPVS, which this kernel lacks, inside the lab VM:
// the lab's own command runs there, and each report comes back on one marked
// line of output. Only the lab's entry point imports this (never the CLI).
import { kernelHasIpvs } from './lab.js';
import { findScenario, REPORT_MARK, type RunOptions, testHere } from './runner.js';
import { Report } from './scenario.js';
import { LabState, teardown } from './state.js';
import { cleanVms, runInKernelVm } from './vm/index.js';

/** Runs scenarios in one lab VM boot; returns their reports. */
export async function testInVm(names: string[], o: RunOptions & { timeoutMs?: number }): Promise<Report[]> {
  // The VM's qemu carries this process's pid in its job id; a state record
  // lets `lab down` kill it if this process dies first.
  const state = LabState.create(`vm-${process.pid}`, names.join('+'));
  state.addVm(`-${process.pid}-`);
  const narrate = o.narrate ?? (() => {});
  narrate(`booting the lab VM (IPVS) for ${names.join(', ')}`);
  let pending = '';
  const reports: Report[] = [];
  try {
    const r = await runInKernelVm(['node', 'dist/lab/cli.js', 'test', ...names, '--report-lines'], {
      cwd: o.root,
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
    });
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
export async function testScenarios(names: string[], o: RunOptions): Promise<Report[]> {
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

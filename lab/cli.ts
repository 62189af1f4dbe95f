#!/usr/bin/env node
// The lab's own entry point, apart from the shipped CLI:
//   npm run lab -- list | up SCENARIO | down [ID] | test SCENARIO... | demo
// runs the scenarios of lab/scenarios in network namespaces, or in the lab VM
// for those that need IPVS; `demo` (npm run demo) is the README's walk-through.
import { fileURLToPath } from 'node:url';
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { printSummary, runDemo } from './demo.js';
import { down, downOwned, findScenario, REPORT_MARK, runningLabs, upScenario } from './runner.js';
import type { Check, Report } from './scenario.js';
import { scenarios } from './scenarios/index.js';
import { labStateDir } from './state.js';
import { testScenarios } from './vm-test.js';

/** lab/cli.ts runs as dist/lab/cli.js: the source tree is two levels up. */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

const t0 = Date.now();
const say = (line: string) =>
  process.stdout.write(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(5)}s] ${line}\n`);
const showCheck = (c: Check) => say(`${c.ok ? 'PASS' : 'FAIL'} ${c.name}: ${c.detail}`);

interface LabArgs {
  scenario?: string[] | string;
  id?: string;
  keep?: boolean;
  'report-lines'?: boolean;
  json?: boolean;
}

function printReport(r: Report): void {
  say(`${r.ok ? 'PASSED' : 'FAILED'} ${r.scenario}`);
  for (const [k, v] of Object.entries(r.figures))
    say(`  ${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`);
}

const labCommand = {
  command: '$0 <action> [scenario..]',
  describe: 'Lab scenarios in network namespaces: list, up, down, test; and the demo',
  builder: (y: Argv) =>
    y
      .positional('action', {
        choices: ['list', 'up', 'down', 'test', 'demo'] as const,
        describe: 'what to do',
      })
      .positional('scenario', {
        type: 'string',
        array: true,
        describe: 'scenario name(s), or a lab id for down',
      })
      .option('id', { type: 'string', describe: 'lab id for up and test (default: the scenario name)' })
      .option('keep', { type: 'boolean', describe: 'test: leave the lab up afterwards' })
      .option('json', { type: 'boolean', describe: 'test: print the reports as JSON' })
      .option('report-lines', { type: 'boolean', hidden: true }) as unknown as Argv<LabArgs>,
  handler: async (a: LabArgs) => {
    const action = (a as unknown as { action: string }).action;
    const names = a.scenario === undefined ? [] : Array.isArray(a.scenario) ? a.scenario : [a.scenario];
    if (process.getuid?.() !== 0 && action !== 'list')
      throw new Error('the lab needs root (network namespaces)');
    if (action === 'list') {
      for (const s of scenarios) {
        process.stdout.write(
          `${s.name.padEnd(16)} seed ${s.seed}  ${s.needsIpvs ? '[IPVS: lab VM] ' : ''}${s.title}\n`,
        );
      }
      const up = runningLabs();
      if (up.length) process.stdout.write('\nup:\n');
      for (const l of up) {
        process.stdout.write(
          `  ${l.id} (${l.scenario}): ${l.netns} namespaces, ${l.procs} processes${l.ownerAlive ? '' : ', owner gone'}\n`,
        );
      }
      return;
    }
    if (action === 'down') {
      const gone = down(names[0]);
      for (const g of gone) {
        say(
          `down ${g.id}: ${g.netns.length} namespaces, ${g.procs} processes, ${g.vms} VMs, ${g.dirs} directories removed`,
        );
      }
      if (!gone.length) say(names[0] ? `no lab ${names[0]} is up` : 'no lab is up');
      return;
    }
    if (action === 'demo') {
      const stop = () => {
        downOwned();
        process.exit(130);
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      const s = await runDemo(ROOT, say);
      printSummary(s);
      if (s.leftBehind.length || s.failed >= s.attempts) process.exitCode = 1;
      return;
    }
    if (!names.length) throw new Error(`lab ${action} needs a scenario; npm run lab -- list shows them`);
    if (action === 'up') {
      if (names.length !== 1) throw new Error('lab up takes one scenario');
      const s = findScenario(names[0]!);
      const lab = await upScenario(s, {
        root: ROOT,
        ...(a.id ? { id: a.id } : {}),
        detach: true,
        narrate: say,
      });
      say(`${s.name} is up as lab ${lab.id}: ${s.title}`);
      for (const line of s.describe) say(`  ${line.replaceAll('<id>', lab.id)}`);
      say(`  logs: ${lab.dir}/logs; remove it with: npm run lab -- down ${lab.id}`);
      return;
    }
    // test
    const stop = () => {
      downOwned();
      process.exit(130);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    if (a.id && names.length !== 1) throw new Error('--id goes with one scenario');
    const reports = await testScenarios(names, {
      root: ROOT,
      narrate: say,
      onCheck: showCheck,
      ...(a.keep ? { keep: true } : {}),
      ...(a.id ? { id: a.id } : {}),
    });
    for (const r of reports) {
      if (a['report-lines']) process.stdout.write(`${REPORT_MARK}${JSON.stringify(r.toJSON())}\n`);
      else if (a.json) process.stdout.write(`${JSON.stringify(r.toJSON(), null, 2)}\n`);
      else printReport(r);
    }
    const failed = reports.filter((r) => !r.ok).length;
    say(`${reports.length - failed} passed, ${failed} failed`);
    if (failed) process.exitCode = 1;
  },
};

yargs(hideBin(process.argv))
  .scriptName('npm run lab --')
  .strict()
  .command(labCommand)
  .epilog(`State: ${labStateDir()}. Scenarios that need IPVS run in the lab VM.`)
  .help()
  // Unbundled, yargs takes cliui's ESM build, which breaks lines inside words.
  .wrap(null)
  .parseAsync()
  .catch((err: unknown) => {
    process.stderr.write(`lab: ${(err as Error).message}\n`);
    process.exitCode = 1;
  });

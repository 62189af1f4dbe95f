// Runs a lab scenario from a host test under its own lab id, and fails with
// the report's failed checks and figures when it does not pass.
import { expect } from 'vitest';
import { testHere } from '../../lab/runner.js';
import type { Report } from '../../lab/scenario.js';
import { scenarios } from '../../lab/scenarios/index.js';
import { requireRoot, requireTool } from '../support/require.js';
import { REPO_ROOT } from '../support/root.js';

export async function runScenario(name: string): Promise<Report> {
  requireRoot();
  requireTool('nft');
  const s = scenarios.find((x) => x.name === name);
  if (!s) throw new Error(`no scenario ${name}`);
  const id = `t${process.pid}-${name.replace(/^seed-/, 's')}`.slice(0, 31);
  const report = await testHere(s, { root: REPO_ROOT, id });
  // The figures go to the test output: they are what the scenario measured.
  console.log(JSON.stringify({ scenario: name, checks: report.checks, figures: report.figures }, null, 1));
  const failed = report.checks.filter((c) => !c.ok);
  expect(failed, JSON.stringify(report.figures).slice(0, 4000)).toEqual([]);
  return report;
}

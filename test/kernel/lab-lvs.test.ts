// The lab scenarios that need IPVS (seeds 001 and 002: DR, TUN and NAT with
// a director pair), run inside the lab VM on the ipvs plane. Timeouts are
// stretched: the VM runs under TCG.
import { describe, expect, it } from 'vitest';
import { requireIpvs, requireRoot } from '../support/require.js';
import { REPO_ROOT } from '../support/root.js';

// lab/lab.ts reads the scale when it is first imported, so it is set before
// the lab is imported (a static import would be hoisted above this line).
process.env.FLOATLB_LAB_TIME_SCALE ??= '4';
const { testHere } = await import('../../lab/runner.js');
const { scenarios } = await import('../../lab/scenarios/index.js');

async function run(name: string): Promise<void> {
  requireRoot();
  requireIpvs();
  const s = scenarios.find((x) => x.name === name)!;
  const t0 = Date.now();
  const report = await testHere(s, { root: REPO_ROOT, id: `k${process.pid}-${name.replace(/^seed-/, 's')}` });
  console.log(
    JSON.stringify(
      { scenario: name, seconds: (Date.now() - t0) / 1000, checks: report.checks, figures: report.figures },
      null,
      1,
    ),
  );
  const { logs, ...figures } = report.figures as Record<string, unknown>;
  if (logs)
    console.log(
      Object.entries(logs as Record<string, string>)
        .map(([f, t]) => `--- ${f}\n${t}`)
        .join('\n'),
    );
  expect(
    report.checks.filter((c) => !c.ok),
    JSON.stringify(figures).slice(0, 4000),
  ).toEqual([]);
}

// Each scenario builds its own namespaces and starts its own directors; the
// budget per test covers a slow boot of two directors under TCG.
describe('lab scenarios on IPVS', () => {
  it(
    'seed-001: LVS-DR, wrr 3/3, TCP_CHECK removes and restores a real server',
    () => run('seed-001'),
    600_000,
  );
  it('seed-002-dr: one port per instance, director pair fails over', () => run('seed-002-dr'), 600_000);
  it('seed-002-tun: the same over IP-in-IP', () => run('seed-002-tun'), 600_000);
  it('seed-002-nat: the same with NAT and a gateway VIP', () => run('seed-002-nat'), 600_000);
});

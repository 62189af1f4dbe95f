// The lab scenarios that need IPVS (seeds 001 and 002: DR, TUN and NAT with
// a director pair), run inside the lab VM on the ipvs plane. Timeouts are
// stretched: the VM runs under TCG.
import { describe, expect, it } from 'vitest';
import { testHere } from '../../lab/runner.js';
import { scenarios } from '../../lab/scenarios/index.js';
import { requireIpvs, requireRoot } from '../support/require.js';

process.env.FLOATLB_LAB_TIME_SCALE ??= '4';

async function run(name: string): Promise<void> {
  requireRoot();
  requireIpvs();
  const s = scenarios.find((x) => x.name === name)!;
  const report = await testHere(s, { id: `k${process.pid}-${name.replace(/^seed-/, 's')}` });
  console.log(JSON.stringify({ scenario: name, checks: report.checks, figures: report.figures }, null, 1));
  expect(
    report.checks.filter((c) => !c.ok),
    JSON.stringify(report.figures).slice(0, 4000),
  ).toEqual([]);
}

describe('lab scenarios on IPVS', () => {
  it(
    'seed-001: LVS-DR, wrr 3/3, TCP_CHECK removes and restores a real server',
    () => run('seed-001'),
    400_000,
  );
  it('seed-002-dr: one port per instance, director pair fails over', () => run('seed-002-dr'), 400_000);
  it('seed-002-tun: the same over IP-in-IP', () => run('seed-002-tun'), 400_000);
  it('seed-002-nat: the same with NAT and a gateway VIP', () => run('seed-002-nat'), 400_000);
});

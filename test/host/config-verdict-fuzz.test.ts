// The verdict differential's bounded form (bench/config-verdicts.ts; the long
// run is `npm run fuzz:verdicts`): real configs, each with one operator
// mutation, judged by keepalived -t (in a namespace with the interfaces they
// name) and by floatlb's config check. Every mutant must get keepalived's
// verdict, apart from refusals the keyword table documents and inputs that
// crash keepalived itself.
import { describe, expect, test } from 'vitest';
import { formatVerdictReport, runVerdictDiff } from '../../bench/config-verdicts.js';
import { CATEGORIES } from '../../bench/verdict-mutations.js';
import { testNetnsName } from '../support/netns.js';
import { requireRoot, requireTool } from '../support/require.js';

const MUTANTS = 20 * CATEGORIES.length;

describe('verdict differential against keepalived -t', () => {
  test(`${MUTANTS} mutants of the corpus: floatlb gives keepalived's verdict`, async () => {
    requireRoot();
    requireTool('keepalived');
    const report = await runVerdictDiff({ count: MUTANTS, rngSeed: 1, nsName: testNetnsName('verdict') });
    console.log(formatVerdictReport(report));
    expect(report.mutants).toBe(MUTANTS);
    // Every category was tried, so a mutator that stops producing mutants shows here.
    expect(Object.entries(report.byCategory).filter(([, n]) => n.tried === 0)).toEqual([]);
    expect(
      report.disagreements.map(
        (d) => `${d.category} ${d.seed}: ${d.signature} | ${d.floatlb.slice(0, 2).join(' | ')}`,
      ),
    ).toEqual([]);
  }, 600_000);
});

// Every keyword of the table written without its value (bench/bare-keywords.ts):
// floatlb refuses where keepalived 2.2.7 stops loading, and warns and goes on
// where keepalived does. Refusals the table documents and keepalived's own
// crashes are reported, not counted against floatlb.
import { describe, expect, test } from 'vitest';
import { bareKeywordFiles, probeBareKeywords } from '../../bench/bare-keywords.js';
import { testNetnsName } from '../support/netns.js';
import { requireRoot, requireTool } from '../support/require.js';

describe('keywords without their value, beside keepalived -t', () => {
  test(`each of ${bareKeywordFiles().length} keywords gets keepalived's verdict`, async () => {
    requireRoot();
    requireTool('keepalived');
    const results = await probeBareKeywords(testNetnsName('bare'));
    const apart = results.filter((r) => r.outcome === 'deliberate' || r.outcome === 'keepalived-crash');
    console.log(apart.map((r) => `${r.outcome}: ${r.category}`).join('\n'));
    expect(results.length).toBeGreaterThan(300);
    expect(apart.length).toBeLessThan(10);
    expect(
      results
        .filter((r) => r.outcome !== 'agree' && !apart.includes(r))
        .map((r) => `${r.category}: ${r.outcome} (keepalived rc ${r.keepalived.rc}) ${r.floatlb[0] ?? ''}`),
    ).toEqual([]);
  }, 600_000);
});

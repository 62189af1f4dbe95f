// Admin state written before addresses were canonical keeps every decision.
import { describe, expect, it } from 'vitest';
import { adminStateFromJson } from '../../../src/director/admin-state.js';

describe('admin state', () => {
  it('rewrites addresses in the spelling an earlier config used to canonical form on load', () => {
    const s = adminStateFromJson('admin.json', {
      version: 1,
      links: { '2001:DB8:0::50': { '2001:DB8:0:0::11': 'linked', '10.0.0.1': 'unlinked' } },
      overrides: { 'tcp/[2001:DB8:0::50]:80|[2001:0db8::0011]:80': { drain: true } },
      ownedServices: ['tcp/[2001:DB8:0::50]:80', 'tcp/10.0.0.9:80', 'fwmark/inet/7'],
    });
    expect(s.links).toEqual({ '2001:db8::50': { '2001:db8::11': 'linked', '10.0.0.1': 'unlinked' } });
    expect(s.overrides).toEqual({ 'tcp/[2001:db8::50]:80|[2001:db8::11]:80': { drain: true } });
    expect(s.ownedServices).toEqual(['tcp/[2001:db8::50]:80', 'tcp/10.0.0.9:80', 'fwmark/inet/7']);
  });
});

import { describe, expect, it } from 'vitest';
import { detectPlane } from '../../../src/kernel/select-plane.js';

describe('detectPlane', () => {
  it('picks IPVS when /proc/net/ip_vs exists', async () => {
    const c = await detectPlane({ procIpVs: '/proc/self/status', resolveIpvsFamily: async () => false });
    expect(c.kind).toBe('ipvs');
  });
  it('picks IPVS when only the genl family resolves', async () => {
    const c = await detectPlane({ procIpVs: '/nonexistent/ip_vs', resolveIpvsFamily: async () => true });
    expect(c).toEqual({ kind: 'ipvs', reason: 'generic netlink family IPVS resolves' });
  });
  it('falls back to nftables and says why', async () => {
    const c = await detectPlane({ procIpVs: '/nonexistent/ip_vs', resolveIpvsFamily: async () => false });
    expect(c).toEqual({ kind: 'nftables', reason: 'the kernel has no IPVS' });
  });
});

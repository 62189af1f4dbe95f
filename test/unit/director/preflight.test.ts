import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/config/index.js';
import type { FloatlbConfig } from '../../../src/config/model.js';
import { type HostAddress, type HostFacts, preflightWarnings } from '../../../src/director/preflight.js';

function cfg(text: string): FloatlbConfig {
  const r = parseConfigText(text, { file: 'test.conf' });
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return r.config!;
}

const vs = (kind: string, servers: string[]) => `
virtual_server 10.20.0.100 80 {
  lb_algo rr
  lb_kind ${kind}
  protocol TCP
${servers.map((s) => `  real_server ${s} 80 { weight 1 }`).join('\n')}
}
`;

const vrrp = `
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  priority 100
  virtual_ipaddress { 10.20.0.100 }
}
`;

function facts(over: Partial<HostFacts> & { redirects?: Record<string, boolean> } = {}): HostFacts {
  const addresses: HostAddress[] = [
    { ifname: 'eth0', family: 'inet', address: '10.20.0.10', prefixLen: 24 },
    { ifname: 'eth1', family: 'inet', address: '10.30.0.10', prefixLen: 24 },
  ];
  const redirects = over.redirects ?? { eth0: true, eth1: true };
  return {
    ipForward: true,
    addresses,
    sendRedirects: (ifname) => redirects[ifname] ?? false,
    ...over,
  };
}

describe('preflight warnings for LVS-NAT', () => {
  it('one-armed NAT with send_redirects on: names the servers and the sysctls to set', () => {
    const w = preflightWarnings(cfg(vrrp + vs('NAT', ['10.20.0.11', '10.20.0.12'])), facts());
    expect(w).toEqual([
      expect.stringMatching(
        /^NAT real servers 10\.20\.0\.11, 10\.20\.0\.12 share eth0's subnet .*net\.ipv4\.conf\.all\.send_redirects=0 and net\.ipv4\.conf\.eth0\.send_redirects=0\.$/,
      ),
    ]);
  });

  it('says nothing when redirects are off, the servers sit behind another interface, or the mode is DR', () => {
    expect(
      preflightWarnings(cfg(vrrp + vs('NAT', ['10.20.0.11'])), facts({ redirects: { eth0: false } })),
    ).toEqual([]);
    expect(preflightWarnings(cfg(vrrp + vs('NAT', ['10.30.0.11'])), facts())).toEqual([]);
    expect(preflightWarnings(cfg(vrrp + vs('DR', ['10.20.0.11'])), facts())).toEqual([]);
  });

  it('finds the VIP on the interface that holds it when no VRRP instance carries it', () => {
    const addresses: HostAddress[] = [
      { ifname: 'eth0', family: 'inet', address: '10.20.0.10', prefixLen: 24 },
      { ifname: 'eth0', family: 'inet', address: '10.20.0.100', prefixLen: 32 },
    ];
    expect(preflightWarnings(cfg(vs('NAT', ['10.20.0.11'])), facts({ addresses }))).toHaveLength(1);
    expect(
      preflightWarnings(cfg(vs('NAT', ['10.20.0.11'])), facts({ addresses: addresses.slice(0, 1) })),
    ).toEqual([]);
  });

  it('NAT without ip_forward is a warning of its own', () => {
    const w = preflightWarnings(cfg(vs('NAT', ['10.30.0.11'])), facts({ ipForward: false }));
    expect(w).toEqual([expect.stringMatching(/net\.ipv4\.ip_forward is 0/)]);
    expect(preflightWarnings(cfg(vs('DR', ['10.30.0.11'])), facts({ ipForward: false }))).toEqual([]);
  });
});

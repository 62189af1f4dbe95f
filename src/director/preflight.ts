// Start-up checks of the host settings that LVS-NAT depends on. They warn and
// never stop the director: keepalived starts with the same settings, and the
// operator may have reasons. Pure: the kernel facts come in through HostFacts.
import type { FloatlbConfig } from '../config/model.js';

export interface HostAddress {
  readonly ifname: string;
  readonly family: 'inet' | 'inet6';
  readonly address: string;
  readonly prefixLen: number;
}

export interface HostFacts {
  /** net.ipv4.ip_forward. */
  readonly ipForward: boolean;
  readonly addresses: readonly HostAddress[];
  /** Effective net.ipv4.conf.<ifname>.send_redirects (all OR the interface). */
  sendRedirects(ifname: string): boolean;
}

function v4ToInt(a: string): number | null {
  const p = a.split('.').map(Number);
  if (p.length !== 4 || p.some((x) => !Number.isInteger(x) || x < 0 || x > 255)) return null;
  return ((p[0]! << 24) | (p[1]! << 16) | (p[2]! << 8) | p[3]!) >>> 0;
}

function sameSubnet(a: string, b: string, prefixLen: number): boolean {
  const x = v4ToInt(a);
  const y = v4ToInt(b);
  if (x === null || y === null) return false;
  const mask = prefixLen === 0 ? 0 : (0xffffffff << (32 - prefixLen)) >>> 0;
  return (x & mask) === (y & mask);
}

/** The interface a VIP lives on: its VRRP instance's, or where it is configured now. */
function vipInterface(config: FloatlbConfig, vip: string, facts: HostFacts): string | null {
  for (const inst of config.vrrpInstances) {
    const v = inst.virtualIpaddress.find((x) => x.address === vip);
    if (v) return v.dev ?? inst.interface;
  }
  return facts.addresses.find((a) => a.address === vip)?.ifname ?? null;
}

export function preflightWarnings(config: FloatlbConfig, facts: HostFacts): string[] {
  const warnings: string[] = [];
  const nat = config.virtualServers.flatMap((vs) =>
    vs.realServers
      .filter((rs) => rs.forwarding.method === 'NAT' && v4ToInt(rs.address) !== null)
      .map((rs) => ({ vs, rs })),
  );
  if (nat.length === 0) return warnings;
  if (!facts.ipForward) {
    warnings.push(
      'NAT real servers are configured but net.ipv4.ip_forward is 0: their replies will not be forwarded back to the clients. Set net.ipv4.ip_forward=1.',
    );
  }
  // One-armed NAT: the VIP and the real servers on one interface's subnet.
  // Replies then leave by the interface they came in on, and the kernel
  // redirects the real servers to the clients' router, past the director.
  const byIf = new Map<string, Set<string>>();
  for (const { vs, rs } of nat) {
    if (vs.target.kind !== 'ip') continue;
    const ifname = vipInterface(config, vs.target.address, facts);
    if (!ifname || !facts.sendRedirects(ifname)) continue;
    const onLink = facts.addresses.some(
      (a) => a.ifname === ifname && a.family === 'inet' && sameSubnet(a.address, rs.address, a.prefixLen),
    );
    if (onLink) byIf.set(ifname, (byIf.get(ifname) ?? new Set()).add(rs.address));
  }
  for (const [ifname, servers] of byIf) {
    warnings.push(
      `NAT real servers ${[...servers].join(', ')} share ${ifname}'s subnet with the VIP: with send_redirects on, the kernel tells them to send replies past the director, and those connections hang. Set net.ipv4.conf.all.send_redirects=0 and net.ipv4.conf.${ifname}.send_redirects=0.`,
    );
  }
  return warnings;
}

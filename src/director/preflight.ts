// Start-up checks of the host settings that LVS-NAT depends on. They warn and
// never stop the director: keepalived starts with the same settings, and the
// operator may have reasons. Pure: the kernel facts come in through HostFacts.
import { BlockList, isIPv4 } from 'node:net';
import type { FloatlbConfig, RealServer, VirtualServer } from '../config/model.js';

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

function sameSubnet(a: HostAddress, addr: string): boolean {
  const subnet = new BlockList();
  subnet.addSubnet(a.address, a.prefixLen, 'ipv4');
  return subnet.check(addr, 'ipv4');
}

/** IPv4 NAT real servers, with their virtual server: the only ones these checks are about. */
export function natRealServers(config: FloatlbConfig): Array<{ vs: VirtualServer; rs: RealServer }> {
  return config.virtualServers.flatMap((vs) =>
    vs.realServers
      .filter((rs) => rs.forwarding.method === 'NAT' && isIPv4(rs.address))
      .map((rs) => ({ vs, rs })),
  );
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
  const nat = natRealServers(config);
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
      (a) => a.ifname === ifname && a.family === 'inet' && sameSubnet(a, rs.address),
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

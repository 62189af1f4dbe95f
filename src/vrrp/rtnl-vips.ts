// VipManager over rtnetlink, and discovery of the interface address VRRP
// speaks from.
import { isIPv4 } from 'node:net';
import type { Rtnl } from '../kernel/rtnetlink.js';
import type { Ip } from '../kernel/vocabulary.js';
import type { Vip } from './settings.js';
import type { VipManager } from './speaker-seams.js';

const RT_SCOPE_LINK = 253;

function code(e: unknown): string | undefined {
  return (e as { code?: string }).code;
}

export class RtnlVipManager implements VipManager {
  private readonly rtnl: Rtnl;
  private readonly defaultIf: string;
  private readonly managed = new Map<string, Vip>();

  constructor(rtnl: Rtnl, defaultIf: string) {
    this.rtnl = rtnl;
    this.defaultIf = defaultIf;
  }

  private async ifindex(v: Vip): Promise<number> {
    return (await this.rtnl.link(v.ifname ?? this.defaultIf)).index;
  }

  /** Adding a VIP that is already there is success: the goal is the state, not the call. */
  async add(v: Vip): Promise<void> {
    const ifindex = await this.ifindex(v);
    try {
      await this.rtnl.addAddress({
        ifindex,
        address: v.address,
        prefixLen: v.prefixLen,
        nodad: !isIPv4(v.address),
        // The kernel keeps labels for IPv4 only; keepalived ignores one on an IPv6 VIP too.
        ...(v.label && isIPv4(v.address) ? { label: v.label } : {}),
      });
    } catch (e) {
      if (code(e) !== 'EEXIST') throw e;
    }
    this.managed.set(v.address, v);
  }

  async remove(v: Vip): Promise<void> {
    const ifindex = await this.ifindex(v);
    try {
      await this.rtnl.deleteAddress({ ifindex, address: v.address, prefixLen: v.prefixLen });
    } catch (e) {
      if (code(e) !== 'EADDRNOTAVAIL') throw e;
    }
    this.managed.delete(v.address);
  }

  async list(): Promise<Vip[]> {
    const present = new Set((await this.rtnl.addresses()).map((a) => a.address));
    return [...this.managed.values()].filter((v) => present.has(v.address));
  }
}

/**
 * The address adverts are sent from: for IPv4 the interface's first address
 * that is not a VIP, for IPv6 its link-local address (RFC 5798 5.1.2.2).
 */
export async function discoverSrcIp(
  rtnl: Rtnl,
  ifname: string,
  family: 4 | 6,
  vips: readonly Vip[],
): Promise<Ip> {
  const link = await rtnl.link(ifname);
  const mine = new Set(vips.map((v) => v.address));
  const addrs = await rtnl.addresses({ ifindex: link.index, family: family === 4 ? 'inet' : 'inet6' });
  const pick =
    family === 4
      ? addrs.find((a) => !mine.has(a.address))
      : addrs.find((a) => a.scope === RT_SCOPE_LINK && !mine.has(a.address));
  if (!pick)
    throw new Error(
      `${ifname} has no ${family === 4 ? 'IPv4' : 'IPv6 link-local'} address to send VRRP from`,
    );
  return pick.address;
}

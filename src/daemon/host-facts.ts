// What the start-up checks need to know about this host's network settings.
import type { HostFacts } from '../director/preflight.js';
import type { Rtnl } from '../kernel/rtnetlink.js';
import { getIpForward, getSendRedirects } from '../kernel/sysctl.js';

export async function hostFacts(rtnl: Rtnl): Promise<HostFacts> {
  const names = new Map((await rtnl.links()).map((l) => [l.index, l.name]));
  const addresses = (await rtnl.addresses()).map((a) => ({
    ifname: names.get(a.ifindex) ?? '',
    family: a.family,
    address: a.address,
    prefixLen: a.prefixLen,
  }));
  // A knob that cannot be read (no IPv4 on the interface) counts as off.
  const orOff = (read: () => boolean) => {
    try {
      return read();
    } catch {
      return false;
    }
  };
  return {
    ipForward: orOff(getIpForward),
    addresses,
    sendRedirects: (ifname) => orOff(() => getSendRedirects(ifname)),
  };
}

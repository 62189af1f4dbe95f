// Chooses the data plane: IPVS when the kernel has it, nftables otherwise,
// unless the operator forces one.
import type { DataPlane } from '../kernel/dataplane.js';
import { IpvsDataPlane } from '../kernel/ipvs/client.js';
import { NftablesDataPlane } from '../kernel/nftables/index.js';

export type PlaneChoice = 'auto' | 'ipvs' | 'nftables';

export async function openPlane(choice: PlaneChoice, netns?: string): Promise<DataPlane> {
  const opts = netns ? { netns } : {};
  if (choice === 'ipvs') return IpvsDataPlane.open(opts);
  if (choice === 'auto') {
    try {
      return await IpvsDataPlane.open(opts);
    } catch (e) {
      if ((e as { code?: string }).code !== 'ENOENT' && !/IPVS/.test((e as Error).message)) throw e;
    }
  }
  return NftablesDataPlane.open(opts);
}

export { buildMaglev, type MaglevBackend } from './maglev.js';
export { NFT_SCHEDULERS, PlaneInputError } from './model.js';
export { Nft, NftError, type NftOptions } from './nft.js';
export { NftablesDataPlane, type NftablesPlaneOptions } from './plane.js';
export { renderBase, renderDiff } from './render.js';

import type { ServiceState } from '../dataplane.js';
import { NftablesDataPlane, type NftablesPlaneOptions } from './plane.js';

/** What the nftables plane holds, for `floatlb nft list` and status views. */
export async function listNftablesPlane(opts: NftablesPlaneOptions = {}): Promise<ServiceState[]> {
  return new NftablesDataPlane(opts).list();
}

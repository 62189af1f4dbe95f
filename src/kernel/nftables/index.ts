export { buildMaglev, type MaglevBackend } from './maglev.js';
export { NFT_SCHEDULERS, PlaneInputError } from './model.js';
export { Nft, NftError, type NftOptions } from './nft.js';
export { NftablesDataPlane, type NftablesPlaneOptions } from './plane.js';
export { renderBase, renderDiff } from './render.js';

import type { ServiceState } from '../dataplane.js';
import { NftablesDataPlane, type NftablesPlaneOptions } from './plane.js';

/** What the nftables plane holds, for `floatlb nft list` and status views. */
export async function listNftablesPlane(opts: NftablesPlaneOptions = {}): Promise<ServiceState[]> {
  // a listing never writes: an old layout is upgraded by the director's plane, not here
  return new NftablesDataPlane({ ...opts, migrate: false }).list();
}

// The shared behavioural suite against the nftables plane, on this kernel.

import { NftablesDataPlane } from '../../src/kernel/nftables/index.js';
import { dataPlaneSuite } from '../support/dataplane-suite.js';
import { requireRoot, requireTool } from '../support/require.js';

requireRoot();
requireTool('nft');

dataPlaneSuite({
  name: 'nftables',
  tag: 'nfp',
  makePlane: (ns) => new NftablesDataPlane({ netns: ns }),
});

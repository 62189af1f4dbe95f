// Host tier: the director suite on the nftables plane of this kernel.
import { beforeAll } from 'vitest';
import { directorSuite } from '../support/director-suite.js';
import { requireRoot, requireTool } from '../support/require.js';

beforeAll(() => {
  requireRoot();
  requireTool('nft');
});

directorSuite('nftables');

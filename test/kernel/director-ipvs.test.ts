// Kernel tier (lab VM): the director suite on real IPVS.
import { beforeAll } from 'vitest';
import { directorSuite } from '../support/director-suite.js';
import { requireIpvs, requireRoot } from '../support/require.js';

beforeAll(() => {
  requireRoot();
  requireIpvs();
});

directorSuite('ipvs');

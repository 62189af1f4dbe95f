// Kernel tier (lab VM): the shared behavioural suite against the IPVS plane,
// the same cases test/host/nft-plane.test.ts runs against nftables.
import { IpvsDataPlane } from '../../src/kernel/ipvs/client.js';
import { dataPlaneSuite } from '../support/dataplane-suite.js';
import { requireIpvs, requireRoot } from '../support/require.js';

requireRoot();
requireIpvs();

dataPlaneSuite({
  name: 'ipvs',
  tag: 'ipp',
  makePlane: (ns) => IpvsDataPlane.open({ netns: ns }),
});

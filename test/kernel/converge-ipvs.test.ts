// Kernel tier (lab VM): the IPVS plane converges on a keepalived.conf whose
// addresses are not in the kernel's spelling. A second pass or a reload that
// re-added a real server would fail here with EEXIST.
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { Netns } from '../../lab/netns.js';
import { IpvsDataPlane } from '../../src/kernel/ipvs/client.js';
import { converge, expectConverged } from '../support/converge.js';
import { testNetns } from '../support/netns.js';
import { requireIpvs } from '../support/require.js';
import { giveRoutes } from './ipvs-fixtures.js';

let ns: Netns;
const planes: IpvsDataPlane[] = [];
beforeAll(() => {
  requireIpvs();
  ns = testNetns('convipvs');
  // The kernel refuses real servers until the namespace has a route.
  giveRoutes(ns);
});
afterAll(() => {
  for (const p of planes) p.close();
  ns?.delete();
});

describe('IPVS plane: convergence on non-canonical address spellings', () => {
  it('applies zero operations on a second pass and on reloads of the unchanged file', async () => {
    const plane = await IpvsDataPlane.open({ netns: ns.name });
    const reader = await IpvsDataPlane.open({ netns: ns.name });
    planes.push(plane, reader);
    const r = await converge(plane, reader);
    // Read back from the kernel by a fresh plane; flag-2 under mh is the kernel's SCHED2 bit.
    expectConverged(r);
  });
});

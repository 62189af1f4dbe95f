// Test namespaces are named fltt-<pid>-<n>; the host tier's global setup
// removes any left by a crashed run, before and after the tier.
import { Netns } from '../../lab/netns.js';
import { requireRoot } from './require.js';

export const TEST_NETNS_PREFIX = 'fltt-';
let counter = 0;

export function testNetns(tag = 'ns'): Netns {
  requireRoot();
  return Netns.create(`${TEST_NETNS_PREFIX}${process.pid}-${tag}-${counter++}`);
}

// Test namespaces are named fltt-<run>-<tag>-<n>, where <run> is the pid of
// the vitest process that owns them. The host tier's global setup removes
// its own run's namespaces and those of runs that are no longer alive, and
// never another live run's.
import { Netns } from '../../lab/netns.js';
import { requireRoot } from './require.js';

export const TEST_NETNS_PREFIX = 'fltt-';
let counter = 0;

export function testRunId(): string {
  return process.env.FLOATLB_TEST_RUN ?? String(process.pid);
}

export function testNetns(tag = 'ns'): Netns {
  requireRoot();
  return Netns.create(`${TEST_NETNS_PREFIX}${testRunId()}-${tag}-${counter++}`);
}

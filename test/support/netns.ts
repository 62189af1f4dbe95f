// Test namespaces are named fltt-<run>-<tag>-<n>, where <run> is the pid of
// the vitest process that owns them. The host tier's global setup removes
// its own run's namespaces and those of runs that are no longer alive, and
// never another live run's.
import { Netns } from '../../lab/netns.js';
import { buildTopology, type Topology, type TopologySpec } from '../../lab/topology.js';
import { requireRoot } from './require.js';

export const TEST_NETNS_PREFIX = 'fltt-';
let counter = 0;

export function testRunId(): string {
  return process.env.FLOATLB_TEST_RUN ?? String(process.pid);
}

/** A fresh test namespace name (not created). */
export function testNetnsName(tag = 'ns'): string {
  return `${TEST_NETNS_PREFIX}${testRunId()}-${tag}-${counter++}`;
}

export function testNetns(tag = 'ns'): Netns {
  requireRoot();
  return Netns.create(testNetnsName(tag));
}

/** Builds a topology whose node N is the namespace fltt-<run>-<tag>N-<n>. */
export function buildTestTopology(tag: string, spec: TopologySpec): Promise<Topology> {
  requireRoot();
  return buildTopology(spec, { nsName: (node) => testNetnsName(`${tag}${node}`) });
}

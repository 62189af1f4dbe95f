// The one topology builder (lab/topology.ts): a spec of veth pairs, a bridge,
// IPv4 and IPv6 addresses, routes and sysctls becomes namespaces that pass
// traffic; destroy() and a failed build leave no namespace behind.
import { afterEach, describe, expect, it } from 'vitest';
import { listNetns } from '../../lab/netns.js';
import type { Topology, TopologySpec } from '../../lab/topology.js';
import { buildTestTopology, TEST_NETNS_PREFIX, testRunId } from '../support/netns.js';

const SPEC: TopologySpec = {
  nodes: ['a', 'r', 'b1', 'b2'],
  veths: [
    {
      a: { node: 'a', ifname: 'eth0', addrs: ['10.66.0.2/24'] },
      b: { node: 'r', ifname: 'up0', addrs: ['10.66.0.1/24'] },
    },
  ],
  bridges: [
    {
      name: 'br0',
      in: 'r',
      addrs: ['10.66.1.1/24'],
      ports: [
        { node: 'b1', ifname: 'eth0', addrs: ['10.66.1.11/24', 'fd66::11/64'] },
        { node: 'b2', ifname: 'eth0', addrs: ['10.66.1.12/24', 'fd66::12/64'] },
      ],
    },
  ],
  routes: [
    { node: 'a', dst: 'default', via: '10.66.0.1' },
    { node: 'b1', dst: 'default', via: '10.66.1.1' },
  ],
  sysctls: { r: { 'net.ipv4.ip_forward': 1 }, b2: { 'net.ipv4.ip_default_ttl': 33 } },
};

const mine = () => listNetns().filter((n) => n.startsWith(`${TEST_NETNS_PREFIX}${testRunId()}-topo`));
let topo: Topology | undefined;

afterEach(() => {
  topo?.destroy();
  topo = undefined;
});

describe('buildTopology', () => {
  it('builds namespaces whose links, addresses, routes and sysctls are those of the spec', async () => {
    topo = await buildTestTopology('topo', SPEC);
    expect(mine()).toHaveLength(4);
    expect(topo.interfaces('r')).toEqual(['up0']);
    expect(topo.interfaces('b1')).toEqual(['eth0']);
    expect(topo.addresses('b1', 'eth0', 6)).toContain('fd66::11');
    expect(topo.hasAddress('r', 'br0', '10.66.1.1')).toBe(true);
    expect(topo.node('b2').exec('sysctl', '-n', 'net.ipv4.ip_default_ttl').trim()).toBe('33');
    // Routed through r: a reaches b1 across the veth, the router and the bridge.
    expect(topo.node('a').exec('ping', '-c1', '-W5', '10.66.1.11')).toMatch(/1 received/);
    // Bridged, over IPv6 without DAD delay: b1 reaches b2 at once.
    expect(topo.node('b1').exec('ping', '-6', '-c1', '-W5', 'fd66::12')).toMatch(/1 received/);
    expect(topo.mac('b1', 'eth0')).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
    topo.destroy();
    topo = undefined;
    expect(mine()).toEqual([]);
  });

  it('removes what it created when a step fails, and says which', async () => {
    const bad: TopologySpec = { ...SPEC, routes: [{ node: 'a', dst: 'default', via: '10.99.9.9' }] };
    await expect(buildTestTopology('topo', bad)).rejects.toThrow(
      /route add default via 10\.99\.9\.9|Nexthop/i,
    );
    expect(mine()).toEqual([]);
  });

  it('refuses a link to a node the spec does not name, before creating anything', async () => {
    const bad: TopologySpec = { ...SPEC, routes: [{ node: 'ghost', dst: 'default' }] };
    await expect(buildTestTopology('topo', bad)).rejects.toThrow('no node ghost in this topology');
    expect(mine()).toEqual([]);
  });
});

// Host tier: Sock and the netlink socket against this machine's kernel.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Netns } from '../../lab/netns.js';
import type { Topology } from '../../lab/topology.js';
import { GenlSocket } from '../../src/kernel/netlink/genl.js';
import { NetlinkError } from '../../src/kernel/netlink/socket.js';
import { Rtnl } from '../../src/kernel/rtnetlink.js';
import { ifNameToIndex, inNetns } from '../../src/kernel/sock.js';
import { buildTestTopology } from '../support/netns.js';
import { requireRoot } from '../support/require.js';

describe('generic netlink', () => {
  it('resolves the nlctrl family and caches it', async () => {
    const g = new GenlSocket();
    try {
      const f = await g.family('nlctrl');
      expect(f.id).toBe(0x10);
      expect(f.name).toBe('nlctrl');
      expect(f.multicastGroups.get('notify')).toBeGreaterThan(0);
      const sent = g.nl.requestsSent;
      await g.family('nlctrl');
      expect(g.nl.requestsSent).toBe(sent);
    } finally {
      g.close();
    }
  });

  it('names a missing family with a typed ENOENT', async () => {
    const g = new GenlSocket();
    try {
      const err = await g.family('no-such-family').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NetlinkError);
      expect((err as NetlinkError).code).toBe('ENOENT');
    } finally {
      g.close();
    }
  });
});

describe('rtnetlink inside a namespace', () => {
  let topo: Topology | undefined;
  let a: Netns;
  let rtnl: Rtnl;
  let ifindex: number;

  beforeAll(async () => {
    requireRoot();
    topo = await buildTestTopology('sock', {
      nodes: ['a', 'b'],
      veths: [{ a: { node: 'a', ifname: 'veth0' }, b: { node: 'b', ifname: 'veth0' } }],
    });
    a = topo.node('a');
    rtnl = new Rtnl({ netns: a.name });
    ifindex = inNetns(a.name, () => ifNameToIndex('veth0'));
  });

  afterAll(() => {
    rtnl?.close();
    topo?.destroy();
  });

  it('finds the veth by name and by index', async () => {
    const link = await rtnl.link('veth0');
    expect(link.index).toBe(ifindex);
    expect(link.up).toBe(true);
    expect(link.mac).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
    const names = (await rtnl.links()).map((l) => l.name).sort();
    expect(names).toEqual(['lo', 'veth0']);
  });

  it('adds, lists and deletes an IPv4 address with a label', async () => {
    const spec = { ifindex, address: '192.0.2.10', prefixLen: 24, label: 'veth0:vip' };
    await rtnl.addAddress(spec);
    const listed = await rtnl.addresses({ ifindex, family: 'inet' });
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({
      address: '192.0.2.10',
      prefixLen: 24,
      label: 'veth0:vip',
      family: 'inet',
    });
    // iproute2 sees the same thing.
    expect(a.ip('-4', 'addr', 'show', 'dev', 'veth0')).toContain('inet 192.0.2.10/24 scope global veth0:vip');

    const dup = await rtnl.addAddress(spec).catch((e: unknown) => e);
    expect(dup).toBeInstanceOf(NetlinkError);
    expect((dup as NetlinkError).code).toBe('EEXIST');

    await rtnl.deleteAddress(spec);
    expect(await rtnl.addresses({ ifindex, family: 'inet' })).toEqual([]);
    const gone = await rtnl.deleteAddress(spec).catch((e: unknown) => e);
    expect((gone as NetlinkError).code).toBe('EADDRNOTAVAIL');
  });

  it('adds an IPv6 address without duplicate address detection', async () => {
    const spec = { ifindex, address: '2001:db8::10', prefixLen: 64, nodad: true };
    await rtnl.addAddress(spec);
    const listed = await rtnl.addresses({ ifindex, family: 'inet6' });
    const vip = listed.find((x) => x.address === '2001:db8::10');
    expect(vip).toMatchObject({ prefixLen: 64, nodad: true });
    expect(a.ip('-6', 'addr', 'show', 'dev', 'veth0')).toMatch(/inet6 2001:db8::10\/64 scope global nodad/);
    await rtnl.deleteAddress(spec);
  });

  it('refuses a bad prefix before any kernel call', async () => {
    const sent = rtnl.nl.requestsSent;
    await expect(rtnl.addAddress({ ifindex, address: '192.0.2.1', prefixLen: 33 })).rejects.toThrow(
      /out of range/,
    );
    expect(rtnl.nl.requestsSent).toBe(sent);
  });

  it('keeps the event loop running while requests are in flight', async () => {
    // A reply read synchronously would chain the round trips as microtasks and
    // starve the check phase. Asynchronous reads let every loop iteration run
    // its setImmediate callbacks, so one scheduled before a round trip has run
    // by the time the next round trip completes, however fast the machine is.
    for (let i = 0; i < 20; i++) {
      let ran = false;
      setImmediate(() => {
        ran = true;
      });
      await rtnl.links();
      await rtnl.links();
      expect(ran, `round trip pair ${i}`).toBe(true);
    }
  });
});

describe('netlink dumps', () => {
  it('runs concurrent dumps on one socket one after another instead of failing with EBUSY', async () => {
    const rtnl = new Rtnl();
    try {
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => (i % 2 ? rtnl.links() : rtnl.addresses())),
      );
      expect(results.every((r) => r.length > 0)).toBe(true);
    } finally {
      rtnl.close();
    }
  });
});

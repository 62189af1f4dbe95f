// The VRRP virtual MAC interface (keepalived's use_vmac): a macvlan in
// private mode on the instance's interface, with the MAC 00:00:5e:00:01:VRID
// (IPv6: 00:00:5e:00:02:VRID) and no IPv6 link-local address of its own,
// created up. The sysctls follow keepalived: the macvlan answers ARP for its
// own addresses only and accepts local sources; the parent stops answering
// ARP for addresses that are not its own, and gets its values back on removal.
import { readFileSync, writeFileSync } from 'node:fs';
import { type Attr, bytes, encodeAttrs, NLM_F_CREATE, NLM_F_EXCL, nest, str, u32 } from './netlink/codec.js';
import type { Rtnl } from './rtnetlink.js';
import { parseMac } from './sockaddr.js';

const RTM_NEWLINK = 16;
const RTM_DELLINK = 17;
const IFLA_ADDRESS = 1;
const IFLA_IFNAME = 3;
const IFLA_LINK = 5;
const IFLA_LINKINFO = 18;
const IFLA_INFO_KIND = 1;
const IFLA_INFO_DATA = 2;
const IFLA_MACVLAN_MODE = 1;
const MACVLAN_MODE_PRIVATE = 1;
const IFF_UP = 1;

/** The RFC 5798 7.3 virtual router MAC address. */
export function vrrpMac(vrid: number, family: 4 | 6): string {
  return `00:00:5e:00:0${family === 4 ? 1 : 2}:${vrid.toString(16).padStart(2, '0')}`;
}

/** Pure: the RTM_NEWLINK payload of the macvlan, created down. */
export function encodeVmac(name: string, parentIndex: number, mac: string): Buffer {
  const hdr = Buffer.alloc(16);
  const attrs: Attr[] = [
    str(IFLA_IFNAME, name),
    u32(IFLA_LINK, parentIndex),
    bytes(IFLA_ADDRESS, parseMac(mac)),
    nest(IFLA_LINKINFO, [
      str(IFLA_INFO_KIND, 'macvlan'),
      nest(IFLA_INFO_DATA, [u32(IFLA_MACVLAN_MODE, MACVLAN_MODE_PRIVATE)]),
    ]),
  ];
  return Buffer.concat([hdr, encodeAttrs(attrs)]);
}

const confPath = (ifname: string, knob: string) => `/proc/sys/net/ipv4/conf/${ifname}/${knob}`;
const readKnob = (ifname: string, knob: string) => readFileSync(confPath(ifname, knob), 'utf8').trim();
const writeKnob = (ifname: string, knob: string, v: string) =>
  writeFileSync(confPath(ifname, knob), `${v}\n`);

export interface Vmac {
  readonly name: string;
  readonly mac: string;
  /** Removes the interface and gives the parent its sysctls back. */
  remove(): Promise<void>;
}

/** Creates (or adopts, if a previous run left it) the VMAC interface of one instance. */
export async function createVmac(
  rtnl: Rtnl,
  o: { name: string; parent: string; vrid: number; family: 4 | 6 },
): Promise<Vmac> {
  if (o.name.length > 15) throw new RangeError(`interface name ${o.name} is longer than 15 characters`);
  const mac = vrrpMac(o.vrid, o.family);
  const parent = await rtnl.link(o.parent);
  try {
    await rtnl.nl.request({
      type: RTM_NEWLINK,
      flags: NLM_F_CREATE | NLM_F_EXCL,
      payload: encodeVmac(o.name, parent.index, mac),
      what: `create VMAC interface ${o.name} on ${o.parent}`,
    });
  } catch (e) {
    if ((e as { code?: string }).code !== 'EEXIST') throw e;
  }
  // No IPv6 link-local address of its own (addrgenmode none), set before it comes up.
  try {
    writeFileSync(`/proc/sys/net/ipv6/conf/${o.name}/addr_gen_mode`, '1\n');
  } catch {
    // IPv6 disabled: nothing to keep quiet
  }
  const link = await rtnl.link(o.name);
  const up = Buffer.alloc(16);
  up.writeInt32LE(link.index, 4);
  up.writeUInt32LE(IFF_UP, 8);
  up.writeUInt32LE(IFF_UP, 12);
  await rtnl.nl.request({ type: RTM_NEWLINK, payload: up, what: `set ${o.name} up` });
  const saved = {
    arp_ignore: readKnob(o.parent, 'arp_ignore'),
    arp_filter: readKnob(o.parent, 'arp_filter'),
  };
  writeKnob(o.parent, 'arp_ignore', '1');
  writeKnob(o.parent, 'arp_filter', '1');
  writeKnob(o.name, 'arp_ignore', '1');
  writeKnob(o.name, 'accept_local', '1');
  writeKnob(o.name, 'promote_secondaries', '1');
  return {
    name: o.name,
    mac,
    async remove() {
      const link = await rtnl.link(o.name).catch(() => null);
      if (link) {
        const hdr = Buffer.alloc(16);
        hdr.writeInt32LE(link.index, 4);
        await rtnl.nl.request({ type: RTM_DELLINK, payload: hdr, what: `delete VMAC interface ${o.name}` });
      }
      for (const [k, v] of Object.entries(saved)) writeKnob(o.parent, k, v);
    },
  };
}

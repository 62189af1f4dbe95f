// rtnetlink: links and addresses, which is what a director needs for VIPs.
import { isIPv4 } from 'node:net';
import {
  type Attr,
  attrMap,
  bytes,
  encodeAttrs,
  NetlinkDecodeError,
  NLM_F_CREATE,
  NLM_F_DUMP,
  NLM_F_EXCL,
  readStr,
  readU32,
  str,
  u32,
} from './netlink/codec.js';
import { NETLINK_ROUTE, NetlinkSocket, type NetlinkSocketOptions } from './netlink/socket.js';
import { AF_INET, AF_INET6, bytesToIp, formatMac, ipToBytes } from './sockaddr.js';
import type { Ip } from './vocabulary.js';

const RTM_GETLINK = 18;
const RTM_NEWADDR = 20;
const RTM_DELADDR = 21;
const RTM_GETADDR = 22;

const IFLA_ADDRESS = 1;
const IFLA_IFNAME = 3;
const IFLA_MTU = 4;
const IFLA_OPERSTATE = 16;

const IFA_ADDRESS = 1;
const IFA_LOCAL = 2;
const IFA_LABEL = 3;
const IFA_BROADCAST = 4;
const IFA_FLAGS = 8;

export const IFF_UP = 0x1;
export const IFF_RUNNING = 0x40;
export const IFF_LOWER_UP = 0x10000;
export const IFA_F_NODAD = 0x02;
export const IFA_F_TENTATIVE = 0x40;
export const IFA_F_DADFAILED = 0x08;

const OPERSTATES = ['unknown', 'notpresent', 'down', 'lowerlayerdown', 'testing', 'dormant', 'up'] as const;

export interface Link {
  readonly index: number;
  readonly name: string;
  readonly flags: number;
  readonly up: boolean;
  readonly lowerUp: boolean;
  readonly operState: string;
  readonly mtu: number;
  readonly mac: string | null;
}

export interface AddressSpec {
  readonly ifindex: number;
  readonly address: string;
  readonly prefixLen: number;
  /** IPv4 only; must begin with the interface name, as "eth0:vip". */
  readonly label?: string;
  /** IPv6: skip duplicate address detection so the VIP is usable at once. */
  readonly nodad?: boolean;
  readonly broadcast?: string;
}

export interface Address extends AddressSpec {
  /** Decoded from the kernel's bytes, so canonical. */
  readonly address: Ip;
  readonly family: 'inet' | 'inet6';
  readonly flags: number;
  readonly scope: number;
}

/** Pure: the RTM_NEWADDR / RTM_DELADDR payload. */
export function encodeAddress(a: AddressSpec): Buffer {
  const v4 = isIPv4(a.address);
  const maxPrefix = v4 ? 32 : 128;
  if (!Number.isInteger(a.prefixLen) || a.prefixLen < 0 || a.prefixLen > maxPrefix) {
    throw new RangeError(`prefix length ${a.prefixLen} is out of range 0-${maxPrefix} for ${a.address}`);
  }
  const hdr = Buffer.alloc(8);
  hdr.writeUInt8(v4 ? AF_INET : AF_INET6, 0);
  hdr.writeUInt8(a.prefixLen, 1);
  hdr.writeUInt8(a.nodad ? IFA_F_NODAD : 0, 2);
  hdr.writeUInt8(0, 3);
  hdr.writeUInt32LE(a.ifindex, 4);
  const addr = ipToBytes(a.address);
  const attrs: Attr[] = [bytes(IFA_LOCAL, addr), bytes(IFA_ADDRESS, addr)];
  if (a.label) {
    if (!v4) throw new TypeError('address labels exist only for IPv4');
    if (a.label.length > 15) throw new RangeError(`label ${a.label} is longer than 15 characters`);
    attrs.push(str(IFA_LABEL, a.label));
  }
  if (a.broadcast) attrs.push(bytes(IFA_BROADCAST, ipToBytes(a.broadcast)));
  if (a.nodad) attrs.push(u32(IFA_FLAGS, IFA_F_NODAD));
  return Buffer.concat([hdr, encodeAttrs(attrs)]);
}

/** Pure: one RTM_NEWADDR message from a dump. */
export function decodeAddress(payload: Buffer): Address {
  if (payload.length < 8) throw new NetlinkDecodeError('truncated ifaddrmsg');
  const family = payload.readUInt8(0);
  const a = attrMap(payload.subarray(8));
  const raw = a.get(IFA_LOCAL) ?? a.get(IFA_ADDRESS);
  if (!raw) throw new NetlinkDecodeError('address message without an address');
  const flags = a.has(IFA_FLAGS) ? readU32(a.get(IFA_FLAGS)) : payload.readUInt8(2);
  const label = a.has(IFA_LABEL) ? readStr(a.get(IFA_LABEL)) : undefined;
  const brd = a.get(IFA_BROADCAST);
  return {
    family: family === AF_INET6 ? 'inet6' : 'inet',
    prefixLen: payload.readUInt8(1),
    flags,
    scope: payload.readUInt8(3),
    ifindex: payload.readUInt32LE(4),
    address: bytesToIp(raw),
    ...(label !== undefined ? { label } : {}),
    ...(brd ? { broadcast: bytesToIp(brd) } : {}),
    ...(flags & IFA_F_NODAD ? { nodad: true } : {}),
  };
}

/** Pure: one RTM_NEWLINK message from a dump. */
export function decodeLink(payload: Buffer): Link {
  if (payload.length < 16) throw new NetlinkDecodeError('truncated ifinfomsg');
  const flags = payload.readUInt32LE(8);
  const a = attrMap(payload.subarray(16));
  const mac = a.get(IFLA_ADDRESS);
  const op = a.get(IFLA_OPERSTATE);
  return {
    index: payload.readInt32LE(4),
    name: readStr(a.get(IFLA_IFNAME)),
    flags,
    up: (flags & IFF_UP) !== 0,
    lowerUp: (flags & IFF_LOWER_UP) !== 0,
    operState: op ? (OPERSTATES[op.readUInt8(0)] ?? 'unknown') : 'unknown',
    mtu: a.has(IFLA_MTU) ? readU32(a.get(IFLA_MTU)) : 0,
    mac: mac && mac.length === 6 ? formatMac(mac) : null,
  };
}

export class Rtnl {
  readonly nl: NetlinkSocket;

  constructor(opts: NetlinkSocketOptions = {}) {
    this.nl = new NetlinkSocket(NETLINK_ROUTE, opts);
  }

  async links(): Promise<Link[]> {
    const msgs = await this.nl.request({
      type: RTM_GETLINK,
      flags: NLM_F_DUMP,
      payload: Buffer.alloc(16),
      what: 'list links',
    });
    return msgs.filter((m) => m.type === 16).map((m) => decodeLink(m.payload));
  }

  async link(name: string): Promise<Link> {
    const l = (await this.links()).find((x) => x.name === name);
    if (!l) throw Object.assign(new Error(`no interface named ${name}`), { code: 'ENODEV' });
    return l;
  }

  async addresses(filter: { ifindex?: number; family?: 'inet' | 'inet6' } = {}): Promise<Address[]> {
    const hdr = Buffer.alloc(8);
    if (filter.family) hdr.writeUInt8(filter.family === 'inet' ? AF_INET : AF_INET6, 0);
    const msgs = await this.nl.request({
      type: RTM_GETADDR,
      flags: NLM_F_DUMP,
      payload: hdr,
      what: 'list addresses',
    });
    return msgs
      .filter((m) => m.type === RTM_NEWADDR)
      .map((m) => decodeAddress(m.payload))
      .filter(
        (a) =>
          (filter.ifindex === undefined || a.ifindex === filter.ifindex) &&
          (!filter.family || a.family === filter.family),
      );
  }

  /** Adds an address; EEXIST if it is already there. */
  async addAddress(a: AddressSpec): Promise<void> {
    await this.nl.request({
      type: RTM_NEWADDR,
      flags: NLM_F_CREATE | NLM_F_EXCL,
      payload: encodeAddress(a),
      what: `add address ${a.address}/${a.prefixLen}`,
    });
  }

  /** Deletes an address; EADDRNOTAVAIL if it is not there. */
  async deleteAddress(a: AddressSpec): Promise<void> {
    await this.nl.request({
      type: RTM_DELADDR,
      payload: encodeAddress(a),
      what: `delete address ${a.address}/${a.prefixLen}`,
    });
  }

  close(): void {
    this.nl.close();
  }
}

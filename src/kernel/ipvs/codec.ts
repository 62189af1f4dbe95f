// Pure IPVS codec: builds generic-netlink request payloads; the kernel's
// replies are decoded in decode.ts. No I/O here.
import type {
  DestSpec,
  DestState,
  Family,
  Forwarding,
  ServiceKey,
  ServiceSpec,
  ServiceState,
  Stats,
  SyncDaemonSpec,
  TunnelSpec,
} from '../dataplane.js';
import { type Attr, bytes, encodeGenl, nest, str, u8, u16, u16be, u32 } from '../netlink/codec.js';
import { ipFamily, ipToBytes, maskBytes, PROTOCOL_NUMBER, SCHED_FLAGS_MASK } from '../vocabulary.js';
import {
  IP_VS_CONN_F_DROUTE,
  IP_VS_CONN_F_MASQ,
  IP_VS_CONN_F_TUNNEL,
  IP_VS_CONN_F_TUNNEL_TYPE,
  IP_VS_STATE_BACKUP,
  IP_VS_STATE_MASTER,
  IP_VS_SVC_F_PERSISTENT,
  IP_VS_TUNNEL_ENCAP_FLAG_CSUM,
  IP_VS_TUNNEL_ENCAP_FLAG_REMCSUM,
  IPVS_CMD,
  IPVS_CMD_ATTR,
  IPVS_DAEMON_ATTR,
  IPVS_DEST_ATTR,
  IPVS_GENL_VERSION,
  IPVS_STATS_ATTR,
  IPVS_SVC_ATTR,
} from './constants.js';

export const AF_INET = 2;
export const AF_INET6 = 10;

/** A service as the kernel reports it: the spec plus counters. */
export type IpvsService = Omit<ServiceState, 'dests'>;
export type IpvsDest = DestState;

export interface IpvsInfo {
  readonly version: string;
  readonly versionCode: number;
  readonly connTabSize: number;
}

export interface IpvsTimeouts {
  readonly tcp: number;
  readonly tcpFin: number;
  readonly udp: number;
}

/** The kernel's connection-sync daemon, as the data-plane contract names it. */
export type SyncDaemon = SyncDaemonSpec;

const afOf = (f: Family): number => (f === 'inet6' ? AF_INET6 : AF_INET);
const FWD_NUM: Record<Forwarding, number> = {
  nat: IP_VS_CONN_F_MASQ,
  tun: IP_VS_CONN_F_TUNNEL,
  dr: IP_VS_CONN_F_DROUTE,
};
function addrAttr(type: number, family: Family, address: string): Attr {
  const b = ipToBytes(address);
  if (b.length !== (family === 'inet6' ? 16 : 4)) {
    throw new TypeError(`address ${address} is not ${family === 'inet6' ? 'IPv6' : 'IPv4'}`);
  }
  return bytes(type, b);
}

/** The attributes that name a service: enough for DEL_SERVICE, GET_DEST and dest commands. */
export function serviceKeyAttrs(k: ServiceKey): Attr[] {
  const attrs: Attr[] = [u16(IPVS_SVC_ATTR.AF, afOf(k.family))];
  if (k.kind === 'fwmark') {
    attrs.push(u32(IPVS_SVC_ATTR.FWMARK, k.fwmark));
  } else {
    attrs.push(
      u16(IPVS_SVC_ATTR.PROTOCOL, PROTOCOL_NUMBER[k.protocol]),
      addrAttr(IPVS_SVC_ATTR.ADDR, k.family, k.address),
      u16be(IPVS_SVC_ATTR.PORT, k.port),
    );
  }
  return attrs;
}

/** IPv4 netmask as the kernel's __be32; IPv6 as the prefix length, in host order. */
function netmaskAttr(family: Family, prefix: number): Attr {
  if (family === 'inet6') return u32(IPVS_SVC_ATTR.NETMASK, prefix);
  return bytes(IPVS_SVC_ATTR.NETMASK, maskBytes('inet', prefix));
}

function statsAttrs(s: Stats): Attr[] {
  const v = (type: number, n: bigint): Attr => {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(n, 0);
    return { type, value: b };
  };
  return [
    v(IPVS_STATS_ATTR.CONNS, s.conns),
    v(IPVS_STATS_ATTR.INPKTS, s.inPackets),
    v(IPVS_STATS_ATTR.OUTPKTS, s.outPackets),
    v(IPVS_STATS_ATTR.INBYTES, s.inBytes),
    v(IPVS_STATS_ATTR.OUTBYTES, s.outBytes),
    v(IPVS_STATS_ATTR.CPS, s.cps),
    v(IPVS_STATS_ATTR.INPPS, s.inPps),
    v(IPVS_STATS_ATTR.OUTPPS, s.outPps),
    v(IPVS_STATS_ATTR.INBPS, s.inBps),
    v(IPVS_STATS_ATTR.OUTBPS, s.outBps),
  ];
}

/**
 * The full service attribute list for NEW/SET_SERVICE. With stats, it is
 * what the kernel sends in a dump (used by tests and fakes).
 */
export function serviceAttrs(s: ServiceSpec & { readonly stats?: Stats | null }): Attr[] {
  const p = s.persistence;
  const flags = (s.flags & SCHED_FLAGS_MASK) | (p ? IP_VS_SVC_F_PERSISTENT : 0);
  const flagsBuf = Buffer.alloc(8);
  flagsBuf.writeUInt32LE(flags, 0);
  flagsBuf.writeUInt32LE(0xffffffff, 4);
  const attrs = [
    ...serviceKeyAttrs(s.key),
    str(IPVS_SVC_ATTR.SCHED_NAME, s.scheduler),
    // Where ipvsadm puts it: right after the scheduler.
    ...(s.pe ? [str(IPVS_SVC_ATTR.PE_NAME, s.pe)] : []),
    bytes(IPVS_SVC_ATTR.FLAGS, flagsBuf),
    u32(IPVS_SVC_ATTR.TIMEOUT, p ? p.timeoutSec : 0),
    netmaskAttr(s.key.family, p ? p.prefix : s.key.family === 'inet6' ? 128 : 32),
  ];
  if (s.stats) attrs.push(nest(IPVS_SVC_ATTR.STATS64, statsAttrs(s.stats)));
  return attrs;
}

/** The full dest attribute list for NEW/SET_DEST; with counters, as in a dump. */
export function destAttrs(d: DestSpec & Partial<Omit<DestState, keyof DestSpec>>): Attr[] {
  const attrs: Attr[] = [
    addrAttr(IPVS_DEST_ATTR.ADDR, d.family, d.address),
    u16be(IPVS_DEST_ATTR.PORT, d.port),
    u16(IPVS_DEST_ATTR.ADDR_FAMILY, afOf(d.family)),
    u32(IPVS_DEST_ATTR.FWD_METHOD, FWD_NUM[d.forwarding]),
    u32(IPVS_DEST_ATTR.WEIGHT, d.weight),
    u32(IPVS_DEST_ATTR.U_THRESH, d.upperThreshold),
    u32(IPVS_DEST_ATTR.L_THRESH, d.lowerThreshold),
  ];
  if (d.forwarding === 'tun' && d.tunnel) {
    const t = d.tunnel;
    attrs.push(u8(IPVS_DEST_ATTR.TUN_TYPE, IP_VS_CONN_F_TUNNEL_TYPE[t.type]));
    if (t.port !== undefined) attrs.push(u16be(IPVS_DEST_ATTR.TUN_PORT, t.port));
    if (t.csum !== undefined) attrs.push(u16(IPVS_DEST_ATTR.TUN_FLAGS, tunFlagBits(t.csum)));
  }
  if (d.activeConns !== undefined) attrs.push(u32(IPVS_DEST_ATTR.ACTIVE_CONNS, d.activeConns));
  if (d.inactiveConns !== undefined) attrs.push(u32(IPVS_DEST_ATTR.INACT_CONNS, d.inactiveConns));
  if (d.persistentConns !== undefined) attrs.push(u32(IPVS_DEST_ATTR.PERSIST_CONNS, d.persistentConns));
  if (d.stats) attrs.push(nest(IPVS_DEST_ATTR.STATS64, statsAttrs(d.stats)));
  return attrs;
}

function tunFlagBits(c: NonNullable<TunnelSpec['csum']>): number {
  if (c === 'csum') return IP_VS_TUNNEL_ENCAP_FLAG_CSUM;
  if (c === 'remcsum') return IP_VS_TUNNEL_ENCAP_FLAG_REMCSUM;
  return 0;
}

export function daemonAttrs(d: SyncDaemon): Attr[] {
  const attrs: Attr[] = [
    u32(IPVS_DAEMON_ATTR.STATE, d.state === 'master' ? IP_VS_STATE_MASTER : IP_VS_STATE_BACKUP),
    str(IPVS_DAEMON_ATTR.MCAST_IFN, d.ifname),
    u32(IPVS_DAEMON_ATTR.SYNC_ID, d.syncId),
  ];
  if (d.maxLen) attrs.push(u16(IPVS_DAEMON_ATTR.SYNC_MAXLEN, d.maxLen));
  if (d.group) {
    attrs.push(
      bytes(
        ipFamily(d.group) === 'inet' ? IPVS_DAEMON_ATTR.MCAST_GROUP : IPVS_DAEMON_ATTR.MCAST_GROUP6,
        ipToBytes(d.group),
      ),
    );
  }
  if (d.port) attrs.push(u16(IPVS_DAEMON_ATTR.MCAST_PORT, d.port));
  if (d.ttl) attrs.push(u8(IPVS_DAEMON_ATTR.MCAST_TTL, d.ttl));
  return attrs;
}

// Request payloads (generic netlink header + attributes).
const req = (cmd: number, attrs: readonly Attr[] = []): Buffer => encodeGenl(cmd, IPVS_GENL_VERSION, attrs);
const svcNest = (attrs: Attr[]): Attr => nest(IPVS_CMD_ATTR.SERVICE, attrs);
const destNest = (attrs: Attr[]): Attr => nest(IPVS_CMD_ATTR.DEST, attrs);

export const requests = {
  getInfo: (): Buffer => req(IPVS_CMD.GET_INFO),
  getServices: (): Buffer => req(IPVS_CMD.GET_SERVICE),
  getService: (k: ServiceKey): Buffer => req(IPVS_CMD.GET_SERVICE, [svcNest(serviceKeyAttrs(k))]),
  newService: (s: ServiceSpec): Buffer => req(IPVS_CMD.NEW_SERVICE, [svcNest(serviceAttrs(s))]),
  setService: (s: ServiceSpec): Buffer => req(IPVS_CMD.SET_SERVICE, [svcNest(serviceAttrs(s))]),
  delService: (k: ServiceKey): Buffer => req(IPVS_CMD.DEL_SERVICE, [svcNest(serviceKeyAttrs(k))]),
  getDests: (k: ServiceKey): Buffer => req(IPVS_CMD.GET_DEST, [svcNest(serviceKeyAttrs(k))]),
  newDest: (k: ServiceKey, d: DestSpec): Buffer =>
    req(IPVS_CMD.NEW_DEST, [svcNest(serviceKeyAttrs(k)), destNest(destAttrs(d))]),
  setDest: (k: ServiceKey, d: DestSpec): Buffer =>
    req(IPVS_CMD.SET_DEST, [svcNest(serviceKeyAttrs(k)), destNest(destAttrs(d))]),
  delDest: (k: ServiceKey, d: Pick<DestSpec, 'address' | 'port'>): Buffer => {
    const family: Family = d.address.includes(':') ? 'inet6' : 'inet';
    return req(IPVS_CMD.DEL_DEST, [
      svcNest(serviceKeyAttrs(k)),
      destNest([
        addrAttr(IPVS_DEST_ATTR.ADDR, family, d.address),
        u16be(IPVS_DEST_ATTR.PORT, d.port),
        u16(IPVS_DEST_ATTR.ADDR_FAMILY, afOf(family)),
      ]),
    ]);
  },
  flush: (): Buffer => req(IPVS_CMD.FLUSH),
  /** Zeroes one service's counters, or all when no key is given. */
  zero: (k?: ServiceKey): Buffer => req(IPVS_CMD.ZERO, k ? [svcNest(serviceKeyAttrs(k))] : []),
  getConfig: (): Buffer => req(IPVS_CMD.GET_CONFIG),
  /** Zero leaves a timeout unchanged, as in ipvsadm --set. */
  setConfig: (t: IpvsTimeouts): Buffer =>
    req(IPVS_CMD.SET_CONFIG, [
      u32(IPVS_CMD_ATTR.TIMEOUT_TCP, t.tcp),
      u32(IPVS_CMD_ATTR.TIMEOUT_TCP_FIN, t.tcpFin),
      u32(IPVS_CMD_ATTR.TIMEOUT_UDP, t.udp),
    ]),
  getDaemons: (): Buffer => req(IPVS_CMD.GET_DAEMON),
  newDaemon: (d: SyncDaemon): Buffer =>
    req(IPVS_CMD.NEW_DAEMON, [nest(IPVS_CMD_ATTR.DAEMON, daemonAttrs(d))]),
  delDaemon: (state: SyncDaemon['state']): Buffer =>
    req(IPVS_CMD.DEL_DAEMON, [
      nest(IPVS_CMD_ATTR.DAEMON, [
        u32(IPVS_DAEMON_ATTR.STATE, state === 'master' ? IP_VS_STATE_MASTER : IP_VS_STATE_BACKUP),
      ]),
    ]),
};

// Pure IPVS codec: builds generic-netlink request payloads and decodes the
// kernel's replies into typed objects. No I/O here.
import type {
  DestSpec,
  DestState,
  Family,
  Forwarding,
  Protocol,
  ServiceKey,
  ServiceSpec,
  ServiceState,
  Stats,
  SyncDaemonSpec,
  TunnelSpec,
} from '../dataplane.js';
import {
  type Attr,
  attrMap,
  bytes,
  decodeGenl,
  encodeGenl,
  NetlinkDecodeError,
  nest,
  readStr,
  readU8,
  readU16,
  readU16be,
  readU32,
  readU64,
  str,
  u8,
  u16,
  u16be,
  u32,
} from '../netlink/codec.js';
import {
  formatIp,
  type Ip,
  ipFamily,
  ipToBytes,
  maskBytes,
  PROTOCOL_NUMBER,
  parseScheduler,
  prefixFromMask,
  protocolFromNumber,
  SCHED_FLAGS_MASK,
} from '../vocabulary.js';
import {
  IP_VS_CONN_F_DROUTE,
  IP_VS_CONN_F_FWD_MASK,
  IP_VS_CONN_F_LOCALNODE,
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
  IPVS_INFO_ATTR,
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
function familyOf(af: number): Family {
  if (af === AF_INET) return 'inet';
  if (af === AF_INET6) return 'inet6';
  throw new NetlinkDecodeError(`unknown address family ${af}`);
}

function protocolOf(n: number): Protocol {
  const p = protocolFromNumber(n);
  if (p === null) throw new NetlinkDecodeError(`unknown protocol ${n}`);
  return p;
}

const FWD_NUM: Record<Forwarding, number> = {
  nat: IP_VS_CONN_F_MASQ,
  tun: IP_VS_CONN_F_TUNNEL,
  dr: IP_VS_CONN_F_DROUTE,
};
function forwardingOf(n: number): Forwarding {
  const m = n & IP_VS_CONN_F_FWD_MASK;
  if (m === IP_VS_CONN_F_MASQ) return 'nat';
  if (m === IP_VS_CONN_F_TUNNEL) return 'tun';
  // The kernel reports a real server on a local address as LOCALNODE; it was added as DR.
  if (m === IP_VS_CONN_F_DROUTE || m === IP_VS_CONN_F_LOCALNODE) return 'dr';
  throw new NetlinkDecodeError(`unsupported forwarding method ${m}`);
}

function addrAttr(type: number, family: Family, address: string): Attr {
  const b = ipToBytes(address);
  if (b.length !== (family === 'inet6' ? 16 : 4)) {
    throw new TypeError(`address ${address} is not ${family === 'inet6' ? 'IPv6' : 'IPv4'}`);
  }
  return bytes(type, b);
}

function readAddr(b: Buffer | undefined, family: Family, what: string): Ip {
  const n = family === 'inet6' ? 16 : 4;
  if (!b || b.length < n) throw new NetlinkDecodeError(`${what}: expected ${n} address bytes`);
  return formatIp(b.subarray(0, n));
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

// Decoders. Each takes the payload of one reply message (genl header first).

function decodeStats(b: Buffer | undefined, wide: boolean): Stats | null {
  if (!b) return null;
  const a = attrMap(b);
  // A counter the kernel left out reads as zero.
  const r32 = (t: number): bigint => (a.has(t) ? BigInt(readU32(a.get(t), `stats attr ${t}`)) : 0n);
  const r64 = (t: number): bigint => (a.has(t) ? readU64(a.get(t), `stats attr ${t}`) : 0n);
  const n = wide ? r64 : r32;
  return {
    conns: n(IPVS_STATS_ATTR.CONNS),
    inPackets: n(IPVS_STATS_ATTR.INPKTS),
    outPackets: n(IPVS_STATS_ATTR.OUTPKTS),
    inBytes: r64(IPVS_STATS_ATTR.INBYTES),
    outBytes: r64(IPVS_STATS_ATTR.OUTBYTES),
    cps: n(IPVS_STATS_ATTR.CPS),
    inPps: n(IPVS_STATS_ATTR.INPPS),
    outPps: n(IPVS_STATS_ATTR.OUTPPS),
    inBps: n(IPVS_STATS_ATTR.INBPS),
    outBps: n(IPVS_STATS_ATTR.OUTBPS),
  };
}

function nested(payload: Buffer, type: number, what: string): Buffer {
  const b = attrMap(decodeGenl(payload).attrs).get(type);
  if (!b) throw new NetlinkDecodeError(`${what}: reply has no attribute ${type}`);
  return b;
}

/** Decodes the nested IPVS_CMD_ATTR_SERVICE body. */
export function decodeServiceAttrs(body: Buffer): IpvsService {
  const a = attrMap(body);
  const family = familyOf(readU16(a.get(IPVS_SVC_ATTR.AF), 'service af'));
  const fwmark = a.has(IPVS_SVC_ATTR.FWMARK) ? readU32(a.get(IPVS_SVC_ATTR.FWMARK), 'fwmark') : 0;
  const key: ServiceKey =
    fwmark !== 0
      ? { kind: 'fwmark', family, fwmark }
      : {
          kind: 'ip',
          family,
          protocol: protocolOf(readU16(a.get(IPVS_SVC_ATTR.PROTOCOL), 'protocol')),
          address: readAddr(a.get(IPVS_SVC_ATTR.ADDR), family, 'service address'),
          port: readU16be(a.get(IPVS_SVC_ATTR.PORT), 'service port'),
        };
  const sched = readStr(a.get(IPVS_SVC_ATTR.SCHED_NAME));
  const scheduler = parseScheduler(sched);
  if (scheduler === null) {
    throw new NetlinkDecodeError(`unknown scheduler ${JSON.stringify(sched)}`);
  }
  const flags = readU32(a.get(IPVS_SVC_ATTR.FLAGS), 'service flags');
  const timeout = readU32(a.get(IPVS_SVC_ATTR.TIMEOUT), 'service timeout');
  const maskBuf = a.get(IPVS_SVC_ATTR.NETMASK);
  readU32(maskBuf, 'service netmask');
  // A mask with holes (possible only from other tools) keeps its leading ones.
  const prefix = family === 'inet6' ? maskBuf!.readUInt32LE(0) : leadingOnes(maskBuf!.subarray(0, 4));
  const stats64 = a.get(IPVS_SVC_ATTR.STATS64);
  const pe = a.has(IPVS_SVC_ATTR.PE_NAME) ? readStr(a.get(IPVS_SVC_ATTR.PE_NAME)) : '';
  return {
    key,
    scheduler,
    flags: flags & SCHED_FLAGS_MASK,
    persistence: flags & IP_VS_SVC_F_PERSISTENT ? { timeoutSec: timeout, prefix } : null,
    ...(pe ? { pe } : {}),
    stats: stats64 ? decodeStats(stats64, true) : decodeStats(a.get(IPVS_SVC_ATTR.STATS), false),
  };
}

export function decodeService(payload: Buffer): IpvsService {
  return decodeServiceAttrs(nested(payload, IPVS_CMD_ATTR.SERVICE, 'service'));
}

/** Decodes the nested IPVS_CMD_ATTR_DEST body; the family defaults to the service's. */
export function decodeDestAttrs(body: Buffer, serviceFamily: Family = 'inet'): IpvsDest {
  const a = attrMap(body);
  const family = a.has(IPVS_DEST_ATTR.ADDR_FAMILY)
    ? familyOf(readU16(a.get(IPVS_DEST_ATTR.ADDR_FAMILY), 'dest af'))
    : serviceFamily;
  const forwarding = forwardingOf(readU32(a.get(IPVS_DEST_ATTR.FWD_METHOD), 'forwarding'));
  let tunnel: TunnelSpec | undefined;
  if (forwarding === 'tun' && a.has(IPVS_DEST_ATTR.TUN_TYPE)) {
    const tt = readU8(a.get(IPVS_DEST_ATTR.TUN_TYPE), 'tunnel type');
    const type = tt === 0 ? 'ipip' : tt === 1 ? 'gue' : tt === 2 ? 'gre' : null;
    if (!type) throw new NetlinkDecodeError(`unknown tunnel type ${tt}`);
    const port = a.has(IPVS_DEST_ATTR.TUN_PORT) ? readU16be(a.get(IPVS_DEST_ATTR.TUN_PORT)) : 0;
    const fl = a.has(IPVS_DEST_ATTR.TUN_FLAGS) ? readU16(a.get(IPVS_DEST_ATTR.TUN_FLAGS)) : 0;
    const csum =
      fl & IP_VS_TUNNEL_ENCAP_FLAG_REMCSUM
        ? 'remcsum'
        : fl & IP_VS_TUNNEL_ENCAP_FLAG_CSUM
          ? 'csum'
          : 'nocsum';
    // ipip carries no port or checksum option; keep the spec minimal for it.
    tunnel = type === 'ipip' && port === 0 && fl === 0 ? { type } : { type, ...(port ? { port } : {}), csum };
  }
  const stats64 = a.get(IPVS_DEST_ATTR.STATS64);
  const w = readU32(a.get(IPVS_DEST_ATTR.WEIGHT), 'weight');
  return {
    address: readAddr(a.get(IPVS_DEST_ATTR.ADDR), family, 'dest address'),
    port: readU16be(a.get(IPVS_DEST_ATTR.PORT), 'dest port'),
    family,
    forwarding,
    weight: w | 0,
    upperThreshold: readU32(a.get(IPVS_DEST_ATTR.U_THRESH), 'upper threshold'),
    lowerThreshold: readU32(a.get(IPVS_DEST_ATTR.L_THRESH), 'lower threshold'),
    ...(tunnel ? { tunnel } : {}),
    activeConns: a.has(IPVS_DEST_ATTR.ACTIVE_CONNS) ? readU32(a.get(IPVS_DEST_ATTR.ACTIVE_CONNS)) : 0,
    inactiveConns: a.has(IPVS_DEST_ATTR.INACT_CONNS) ? readU32(a.get(IPVS_DEST_ATTR.INACT_CONNS)) : 0,
    persistentConns: a.has(IPVS_DEST_ATTR.PERSIST_CONNS) ? readU32(a.get(IPVS_DEST_ATTR.PERSIST_CONNS)) : 0,
    stats: stats64 ? decodeStats(stats64, true) : decodeStats(a.get(IPVS_DEST_ATTR.STATS), false),
  };
}

export function decodeDest(payload: Buffer, serviceFamily: Family = 'inet'): IpvsDest {
  return decodeDestAttrs(nested(payload, IPVS_CMD_ATTR.DEST, 'dest'), serviceFamily);
}

export function decodeInfo(payload: Buffer): IpvsInfo {
  const a = attrMap(decodeGenl(payload).attrs);
  const v = readU32(a.get(IPVS_INFO_ATTR.VERSION), 'version');
  return {
    versionCode: v,
    version: `${(v >> 16) & 0xff}.${(v >> 8) & 0xff}.${v & 0xff}`,
    connTabSize: readU32(a.get(IPVS_INFO_ATTR.CONN_TAB_SIZE), 'conn table size'),
  };
}

export function decodeConfig(payload: Buffer): IpvsTimeouts {
  const a = attrMap(decodeGenl(payload).attrs);
  const t = (k: number) => (a.has(k) ? readU32(a.get(k), 'timeout') : 0);
  return {
    tcp: t(IPVS_CMD_ATTR.TIMEOUT_TCP),
    tcpFin: t(IPVS_CMD_ATTR.TIMEOUT_TCP_FIN),
    udp: t(IPVS_CMD_ATTR.TIMEOUT_UDP),
  };
}

export function decodeDaemonAttrs(body: Buffer): SyncDaemon {
  const a = attrMap(body);
  const st = readU32(a.get(IPVS_DAEMON_ATTR.STATE), 'daemon state');
  if (st !== IP_VS_STATE_MASTER && st !== IP_VS_STATE_BACKUP) {
    throw new NetlinkDecodeError(`unknown daemon state ${st}`);
  }
  const g4 = a.get(IPVS_DAEMON_ATTR.MCAST_GROUP);
  const g6 = a.get(IPVS_DAEMON_ATTR.MCAST_GROUP6);
  let group: string | undefined;
  if (g6 && g6.length >= 16) group = formatIp(g6.subarray(0, 16));
  else if (g4 && g4.length >= 4) group = formatIp(g4.subarray(0, 4));
  return {
    state: st === IP_VS_STATE_MASTER ? 'master' : 'backup',
    ifname: readStr(a.get(IPVS_DAEMON_ATTR.MCAST_IFN)),
    syncId: readU32(a.get(IPVS_DAEMON_ATTR.SYNC_ID), 'sync id'),
    ...(a.has(IPVS_DAEMON_ATTR.SYNC_MAXLEN) ? { maxLen: readU16(a.get(IPVS_DAEMON_ATTR.SYNC_MAXLEN)) } : {}),
    ...(group !== undefined ? { group } : {}),
    ...(a.has(IPVS_DAEMON_ATTR.MCAST_PORT) ? { port: readU16(a.get(IPVS_DAEMON_ATTR.MCAST_PORT)) } : {}),
    ...(a.has(IPVS_DAEMON_ATTR.MCAST_TTL) ? { ttl: readU8(a.get(IPVS_DAEMON_ATTR.MCAST_TTL)) } : {}),
  };
}

export function decodeDaemon(payload: Buffer): SyncDaemon {
  return decodeDaemonAttrs(nested(payload, IPVS_CMD_ATTR.DAEMON, 'daemon'));
}

function leadingOnes(b: Uint8Array): number {
  const exact = prefixFromMask(b);
  if (exact !== null) return exact;
  let n = 0;
  while ((b[n >> 3]! >> (7 - (n & 7))) & 1) n++;
  return n;
}

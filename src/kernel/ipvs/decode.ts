// Pure IPVS codec, the other direction: the kernel's replies decoded into
// typed objects (requests are built in codec.ts). No I/O here.
import type { Family, Forwarding, Protocol, ServiceKey, Stats, TunnelSpec } from '../dataplane.js';
import {
  attrMap,
  decodeGenl,
  NetlinkDecodeError,
  readStr,
  readU8,
  readU16,
  readU16be,
  readU32,
  readU64,
} from '../netlink/codec.js';
import {
  formatIp,
  type Ip,
  parseScheduler,
  prefixFromMask,
  protocolFromNumber,
  SCHED_FLAGS_MASK,
} from '../vocabulary.js';
import {
  AF_INET,
  AF_INET6,
  type IpvsDest,
  type IpvsInfo,
  type IpvsService,
  type IpvsTimeouts,
  type SyncDaemon,
} from './codec.js';
import {
  IP_VS_CONN_F_DROUTE,
  IP_VS_CONN_F_FWD_MASK,
  IP_VS_CONN_F_LOCALNODE,
  IP_VS_CONN_F_MASQ,
  IP_VS_CONN_F_TUNNEL,
  IP_VS_STATE_BACKUP,
  IP_VS_STATE_MASTER,
  IP_VS_SVC_F_PERSISTENT,
  IP_VS_TUNNEL_ENCAP_FLAG_CSUM,
  IP_VS_TUNNEL_ENCAP_FLAG_REMCSUM,
  IPVS_CMD_ATTR,
  IPVS_DAEMON_ATTR,
  IPVS_DEST_ATTR,
  IPVS_INFO_ATTR,
  IPVS_STATS_ATTR,
  IPVS_SVC_ATTR,
} from './constants.js';

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

function forwardingOf(n: number): Forwarding {
  const m = n & IP_VS_CONN_F_FWD_MASK;
  if (m === IP_VS_CONN_F_MASQ) return 'nat';
  if (m === IP_VS_CONN_F_TUNNEL) return 'tun';
  // The kernel reports a real server on a local address as LOCALNODE; it was added as DR.
  if (m === IP_VS_CONN_F_DROUTE || m === IP_VS_CONN_F_LOCALNODE) return 'dr';
  throw new NetlinkDecodeError(`unsupported forwarding method ${m}`);
}

function readAddr(b: Buffer | undefined, family: Family, what: string): Ip {
  const n = family === 'inet6' ? 16 : 4;
  if (!b || b.length < n) throw new NetlinkDecodeError(`${what}: expected ${n} address bytes`);
  return formatIp(b.subarray(0, n));
}

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

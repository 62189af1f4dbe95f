// Text output of `floatlb ipvs`, column for column what ipvsadm 1.31 prints
// for `-L[n]` (plain, --stats, --rate, --thresholds, --persistent-conn,
// --tun-info, --exact), `-L[n]c`, `-S -n`, `--timeout` and `--daemon`.
// Pure: names come in already looked up.
import type { DestState, ServiceKey, ServiceState, Stats } from '../kernel/dataplane.js';
import type { IpvsInfo, IpvsTimeouts, SyncDaemon } from '../kernel/ipvs/codec.js';
import type { ConnEntry } from '../kernel/ipvs/conn.js';
import {
  formatNetmask,
  IP_VS_SVC_F_ONEPACKET,
  ipToBytes,
  maxPrefix,
  PROTOCOL_NUMBER,
  schedFlagNames,
} from '../kernel/vocabulary.js';
import { type Names, NUMERIC } from './ipvs-names.js';

export interface ListFormat {
  readonly stats?: boolean;
  readonly rate?: boolean;
  readonly thresholds?: boolean;
  readonly persistentConn?: boolean;
  readonly tunInfo?: boolean;
  readonly exact?: boolean;
  /** Keep the kernel's order instead of ipvsadm's sort. */
  readonly noSort?: boolean;
  /** Host and service names (without -n); numeric when absent. */
  readonly names?: Names;
}

const AF_INET = 2;
const AF_INET6 = 10;

// ipvsadm compares with C int arithmetic on unsigned values: the difference
// wraps to 32 bits, so 10.0.0.1 sorts after 200.0.0.1. Reproduced on purpose.
const wrap = (a: number, b: number): number => ((a - b) >>> 0) | 0;

function cmpAddr(a: string, b: string, v6: boolean): number {
  const x = ipToBytes(a);
  const y = ipToBytes(b);
  const words = v6 ? 4 : 1;
  for (let i = 0; i < words; i++) {
    const r = wrap(x.readUInt32BE(i * 4), y.readUInt32BE(i * 4));
    if (r !== 0) return r;
  }
  return 0;
}

function cmpService(a: ServiceKey, b: ServiceKey): number {
  const fa = a.kind === 'fwmark' ? a.fwmark : 0;
  const fb = b.kind === 'fwmark' ? b.fwmark : 0;
  let r = wrap(fa, fb);
  if (r) return r;
  r = (a.family === 'inet6' ? AF_INET6 : AF_INET) - (b.family === 'inet6' ? AF_INET6 : AF_INET);
  if (r) return r;
  // fwmark services carry protocol TCP and a zero address in the kernel.
  const pa = a.kind === 'ip' ? PROTOCOL_NUMBER[a.protocol] : 6;
  const pb = b.kind === 'ip' ? PROTOCOL_NUMBER[b.protocol] : 6;
  if (pa !== pb) return pa - pb;
  if (a.kind !== 'ip' || b.kind !== 'ip') return 0;
  r = cmpAddr(a.address, b.address, a.family === 'inet6');
  return r || a.port - b.port;
}

function cmpDest(a: DestState, b: DestState): number {
  return cmpAddr(a.address, b.address, a.family === 'inet6') || a.port - b.port;
}

/** Services and their dests in ipvsadm's listing order. */
export function sortForListing(svcs: readonly ServiceState[]): ServiceState[] {
  return [...svcs]
    .sort((a, b) => cmpService(a.key, b.key))
    .map((s) => ({ ...s, dests: [...s.dests].sort(cmpDest) }));
}

/** ADDR:PORT, IPv6 in brackets; host and service names when `names` knows them. */
const addrPort = (address: string, port: number, protocol = 'tcp', names: Names = NUMERIC): string =>
  address.includes(':')
    ? `[${names.host(address)}]:${names.port(port, protocol)}`
    : `${names.host(address)}:${names.port(port, protocol)}`;

const protocolOf = (k: ServiceKey): string => (k.kind === 'ip' ? k.protocol : 'tcp');

function serviceName(k: ServiceKey, names?: Names): string {
  if (k.kind === 'fwmark') return `FWM  ${k.fwmark}${k.family === 'inet6' ? ' IPv6' : ''}`;
  const name = `${k.protocol.toUpperCase().padEnd(4)} ${addrPort(k.address, k.port, k.protocol, names)}`;
  return k.family === 'inet6' ? name : name.slice(0, 33);
}

function ruleName(k: ServiceKey): string {
  if (k.kind === 'fwmark') return `-f ${k.fwmark}${k.family === 'inet6' ? ' -6' : ''}`;
  const sw = k.protocol === 'tcp' ? '-t' : k.protocol === 'udp' ? '-u' : '--sctp-service';
  return `${sw} ${addrPort(k.address, k.port)}`;
}

function largenum(n: bigint, exact: boolean): string {
  if (exact) {
    const s = n.toString();
    return s.padStart(s.length <= 8 ? 9 : s.length + 1);
  }
  if (n < 100000000n) return n.toString().padStart(9);
  if (n < 1000000000n) return `${(n / 1000n).toString().padStart(8)}K`;
  if (n < 100000000000n) return `${(n / 1000000n).toString().padStart(8)}M`;
  if (n < 100000000000000n) return `${(n / 1000000000n).toString().padStart(8)}G`;
  return `${(n / 1000000000000n).toString().padStart(8)}T`;
}

const ZERO: Stats = {
  conns: 0n,
  inPackets: 0n,
  outPackets: 0n,
  inBytes: 0n,
  outBytes: 0n,
  cps: 0n,
  inPps: 0n,
  outPps: 0n,
  inBps: 0n,
  outBps: 0n,
};

const FWD_NAME = { nat: 'Masq', dr: 'Route', tun: 'Tunnel' } as const;
const FWD_SWITCH = { nat: '-m', dr: '-g', tun: '-i' } as const;
const CSUM_SHORT = { nocsum: '-c', csum: '+c', remcsum: 'r+c' } as const;

function tunInfo(d: DestState): string {
  if (d.forwarding !== 'tun') return 'n/a';
  const t = d.tunnel ?? { type: 'ipip' as const };
  if (t.type === 'ipip') return 'ipip';
  const csum = CSUM_SHORT[t.csum ?? 'nocsum'];
  return t.type === 'gue' ? `gue:${t.port ?? 0}:${csum}` : `gre:${csum}`;
}

function title(f: ListFormat): string {
  const h = 'Prot LocalAddress:Port';
  const cols = (names: string[]) => names.map((n) => ` ${n.padStart(8)}`).join('');
  if (f.stats)
    return `${h.padEnd(33)}${cols(['Conns', 'InPkts', 'OutPkts', 'InBytes', 'OutBytes'])}\n  -> RemoteAddress:Port\n`;
  if (f.rate)
    return `${h.padEnd(33)}${cols(['CPS', 'InPPS', 'OutPPS', 'InBPS', 'OutBPS'])}\n  -> RemoteAddress:Port\n`;
  if (f.thresholds) {
    return `${h.padEnd(33)} ${['Uthreshold', 'Lthreshold', 'ActiveConn', 'InActConn'].map((s) => s.padEnd(10)).join(' ')}\n  -> RemoteAddress:Port\n`;
  }
  if (f.persistentConn) {
    return `${h.padEnd(33)} ${'Weight'.padEnd(9)} ${'PersistConn'.padEnd(11)} ${'ActiveConn'.padEnd(10)} ${'InActConn'.padEnd(10)}\n  -> RemoteAddress:Port\n`;
  }
  if (f.tunInfo) {
    return `${h} Scheduler Flags\n  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn InActConn\n`;
  }
  return `${h} Scheduler Flags\n  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n`;
}

function serviceLine(s: ServiceState, f: ListFormat): string {
  const name = serviceName(s.key, f.names);
  const st = s.stats ?? ZERO;
  const ex = f.exact ?? false;
  if (f.stats) {
    return `${name.padEnd(33)}${[st.conns, st.inPackets, st.outPackets, st.inBytes, st.outBytes].map((n) => largenum(n, ex)).join('')}`;
  }
  if (f.rate) {
    return `${name.padEnd(33)}${[st.cps, st.inPps, st.outPps, st.inBps, st.outBps].map((n) => largenum(n, ex)).join('')}`;
  }
  let line = `${name} ${s.scheduler}`;
  const sched = schedFlagNames(s.scheduler, s.flags).filter((x) => x !== 'ops');
  if (sched.length) line += ` (${sched.join(',')})`;
  if (s.persistence) {
    line += ` persistent ${s.persistence.timeoutSec}`;
    const p = s.persistence.prefix;
    if (p !== maxPrefix(s.key.family)) line += ` mask ${formatNetmask(s.key.family, p)}`;
  }
  if (s.pe) line += ` pe ${s.pe}`;
  if (s.flags & IP_VS_SVC_F_ONEPACKET) line += ' ops';
  return line;
}

function destLine(d: DestState, key: ServiceKey, f: ListFormat): string {
  const v6 = key.family === 'inet6';
  let name = addrPort(d.address, d.port, protocolOf(key), f.names);
  if (!v6) name = name.slice(0, 28);
  const st = d.stats ?? ZERO;
  const ex = f.exact ?? false;
  const head = `  -> ${name.padEnd(28)}`;
  if (f.stats) {
    return (
      head +
      [st.conns, st.inPackets, st.outPackets, st.inBytes, st.outBytes].map((n) => largenum(n, ex)).join('')
    );
  }
  if (f.rate) {
    return `${head} ${[st.cps, st.inPps, st.outPps].map((n) => n.toString().padStart(8)).join(' ')}${largenum(st.inBps, ex)}${largenum(st.outBps, ex)}`;
  }
  const c = (n: number, w: number) => String(n).padEnd(w);
  if (f.thresholds) {
    return `${head} ${c(d.upperThreshold, 10)} ${c(d.lowerThreshold, 10)} ${c(d.activeConns, 10)} ${c(d.inactiveConns, 10)}`;
  }
  if (f.persistentConn) {
    return `${head} ${c(d.weight, 9)} ${c(d.persistentConns, 11)} ${c(d.activeConns, 10)} ${c(d.inactiveConns, 10)}`;
  }
  const fwd = FWD_NAME[d.forwarding].padEnd(7);
  const tun = f.tunInfo ? ` ${tunInfo(d).padEnd(13)}` : '';
  return `${head} ${fwd}${tun} ${c(d.weight, 6)} ${c(d.activeConns, 10)} ${c(d.inactiveConns, 10)}`;
}

/** `ipvsadm -Ln [options]`; with `single`, the one-service form (no version line). */
export function formatList(info: IpvsInfo | null, svcs: readonly ServiceState[], f: ListFormat = {}): string {
  const list = f.noSort ? svcs : sortForListing(svcs);
  let out = info ? `IP Virtual Server version ${info.version} (size=${info.connTabSize})\n` : '';
  out += title(f);
  for (const s of list) {
    out += `${serviceLine(s, f)}\n`;
    for (const d of s.dests) out += `${destLine(d, s.key, f)}\n`;
  }
  return out;
}

/** `ipvsadm -S -n`: one rule per line, as ipvsadm-restore reads them. */
export function formatSave(svcs: readonly ServiceState[], noSort = false): string {
  const list = noSort ? svcs : sortForListing(svcs);
  let out = '';
  for (const s of list) {
    const name = ruleName(s.key);
    let line = `-A ${name} -s ${s.scheduler}`;
    if (s.persistence) {
      line += ` -p ${s.persistence.timeoutSec}`;
      const p = s.persistence.prefix;
      if (p !== maxPrefix(s.key.family)) line += ` -M ${formatNetmask(s.key.family, p)}`;
    }
    if (s.flags & IP_VS_SVC_F_ONEPACKET) line += ' -o';
    if (s.pe) line += ` --pe ${s.pe}`;
    const sched = schedFlagNames(s.scheduler, s.flags).filter((x) => x !== 'ops');
    if (sched.length) line += ` -b ${sched.join(',')}`;
    out += `${line}\n`;
    for (const d of s.dests) {
      let dl = `-a ${name} -r ${addrPort(d.address, d.port)} ${FWD_SWITCH[d.forwarding]} -w ${d.weight}`;
      if (d.forwarding === 'tun') {
        const t = d.tunnel ?? { type: 'ipip' as const };
        dl += ` --tun-type ${t.type}`;
        if (t.type === 'gue') dl += ` --tun-port ${t.port ?? 0}`;
        if (t.type !== 'ipip') dl += ` --tun-${t.csum ?? 'nocsum'}`;
      }
      out += `${dl}\n`;
    }
  }
  return out;
}

export function formatTimeouts(t: IpvsTimeouts): string {
  return `Timeout (tcp tcpfin udp): ${t.tcp} ${t.tcpFin} ${t.udp}\n`;
}

export function formatDaemons(ds: readonly SyncDaemon[]): string {
  const order = [...ds].sort((a, b) => (a.state === b.state ? 0 : a.state === 'master' ? -1 : 1));
  return order
    .map(
      (d) =>
        `${d.state} sync daemon (mcast=${d.ifname}, syncid=${d.syncId}, maxlen=${d.maxLen ?? 0}, group=${d.group ?? '0.0.0.0'}, port=${d.port ?? 0}, ttl=${d.ttl ?? 0})\n`,
    )
    .join('');
}

/** `ipvsadm -L[n]c [--persistent-conn]`: the connection table, in the kernel's order. */
export function formatConnections(
  entries: readonly ConnEntry[],
  f: { readonly persistentConn?: boolean; readonly names?: Names } = {},
): string {
  const pc = f.persistentConn ?? false;
  let out = 'IPVS connection entries\n';
  out += pc
    ? `pro expire ${'state'.padEnd(11)} ${'source'.padEnd(18)} ${'virtual'.padEnd(18)} ${'destination'.padEnd(18)} ${'pe name'.padEnd(16)} pe_data\n`
    : `pro expire ${'state'.padEnd(11)} ${'source'.padEnd(18)} ${'virtual'.padEnd(18)} destination\n`;
  for (const e of entries) {
    const ap = (x: { address: string; port: number }) => addrPort(x.address, x.port, e.protocol, f.names);
    const mm = Math.floor(e.expiresSec / 60);
    const expire = `${String(mm).padStart(2, '0')}:${String(e.expiresSec % 60).padStart(2, '0')}`;
    const head = `${e.protocol.padEnd(3)} ${expire.padEnd(6)} ${e.state.padEnd(11)} ${ap(e.client).padEnd(18)} ${ap(e.virtual).padEnd(18)}`;
    // The engine's columns only for an entry that has them, as ipvsadm does.
    out +=
      pc && e.pe
        ? `${head} ${ap(e.dest).padEnd(16)} ${e.pe.name.padEnd(18)} ${e.pe.data.split(' ')[0] ?? ''}\n`
        : `${head} ${ap(e.dest)}\n`;
  }
  return out;
}

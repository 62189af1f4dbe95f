// Parses ipvsadm-style arguments (`-A -t VIP:80 -s rr`, `-Ln --stats`, the
// lines of ipvsadm-save) and floatlb's word forms (`list -n`, `add ...`)
// into one command. Pure: every refusal is a UsageError raised before any
// kernel call.
import { isIPv6 } from 'node:net';
import type {
  DestSpec,
  Forwarding,
  Protocol,
  ServiceKey,
  ServiceSpec,
  TunnelSpec,
} from '../kernel/dataplane.js';
import { validateDest, validateService } from '../kernel/ipvs/validate.js';
import {
  IP_VS_SVC_F_ONEPACKET,
  type Ip,
  ipFamily,
  parseIp,
  parseNetmask,
  SCHEDULERS,
  schedFlagBit,
} from '../kernel/vocabulary.js';
import { UsageError } from './errors.js';

export type IpvsCommand =
  | 'add-service'
  | 'edit-service'
  | 'delete-service'
  | 'add-server'
  | 'edit-server'
  | 'delete-server'
  | 'clear'
  | 'zero'
  | 'list'
  | 'save'
  | 'restore'
  | 'set-timeout'
  | 'start-daemon'
  | 'stop-daemon';

export interface ParsedIpvs {
  readonly command: IpvsCommand;
  readonly key?: ServiceKey;
  readonly service?: ServiceSpec;
  readonly dest?: DestSpec;
  readonly netns?: string;
  readonly list: {
    numeric: boolean;
    stats: boolean;
    rate: boolean;
    thresholds: boolean;
    persistentConn: boolean;
    tunInfo: boolean;
    exact: boolean;
    noSort: boolean;
    timeout: boolean;
    daemon: boolean;
  };
  readonly timeouts?: { tcp: number; tcpFin: number; udp: number };
  readonly daemon?: {
    state: 'master' | 'backup';
    ifname: string;
    syncId: number;
    group?: string;
    port?: number;
    ttl?: number;
    maxLen?: number;
  };
}

const WORDS: Record<string, IpvsCommand> = {
  list: 'list',
  save: 'save',
  restore: 'restore',
  clear: 'clear',
  zero: 'zero',
  'add-service': 'add-service',
  'edit-service': 'edit-service',
  'delete-service': 'delete-service',
  'add-server': 'add-server',
  'edit-server': 'edit-server',
  'delete-server': 'delete-server',
  'set-timeout': 'set-timeout',
  'start-daemon': 'start-daemon',
  'stop-daemon': 'stop-daemon',
};

/** Option letters that are commands, and the long options that take a value. */
const SHORT_CMDS: Record<string, IpvsCommand> = {
  A: 'add-service',
  E: 'edit-service',
  D: 'delete-service',
  a: 'add-server',
  e: 'edit-server',
  d: 'delete-server',
  C: 'clear',
  Z: 'zero',
  L: 'list',
  l: 'list',
  S: 'save',
  R: 'restore',
};
const LONG_ALIASES: Record<string, string> = {
  'add-service': 'A',
  'edit-service': 'E',
  'delete-service': 'D',
  'add-server': 'a',
  'edit-server': 'e',
  'delete-server': 'd',
  clear: 'C',
  zero: 'Z',
  list: 'L',
  save: 'S',
  restore: 'R',
  'tcp-service': 't',
  'udp-service': 'u',
  'fwmark-service': 'f',
  scheduler: 's',
  persistent: 'p',
  netmask: 'M',
  'real-server': 'r',
  gatewaying: 'g',
  ipip: 'i',
  masquerading: 'm',
  weight: 'w',
  'u-threshold': 'x',
  'l-threshold': 'y',
  numeric: 'n',
  'sched-flags': 'b',
  ops: 'o',
  ipv6: '6',
};
const SHORT_WITH_VALUE = new Set(['t', 'u', 'f', 's', 'M', 'r', 'w', 'x', 'y', 'b']);
const LONG_WITH_VALUE = new Set([
  'sctp-service',
  'tun-type',
  'tun-port',
  'mcast-interface',
  'syncid',
  'mcast-group',
  'mcast-port',
  'mcast-ttl',
  'sync-maxlen',
  'netns',
  'pe',
]);
const LONG_FLAGS = new Set([
  'stats',
  'rate',
  'thresholds',
  'persistent-conn',
  'tun-info',
  'exact',
  'nosort',
  'timeout',
  'daemon',
  'tun-nocsum',
  'tun-csum',
  'tun-remcsum',
  'set',
  'start-daemon',
  'stop-daemon',
]);

const usage = (m: string): UsageError => new UsageError(m);

function int(v: string, min: number, max: number, what: string): number {
  if (!/^\d+$/.test(v)) throw usage(`illegal ${what} specified: ${JSON.stringify(v)}`);
  const n = Number(v);
  if (n < min || n > max) throw usage(`illegal ${what} specified: ${v} (allowed ${min}-${max})`);
  return n;
}

/** "10.0.0.1:80", "[2001:db8::1]:80", "10.0.0.1" (port 0). Numeric only. */
export function parseAddrPort(s: string, what: string): { address: Ip; port: number | null } {
  let addr: string;
  let port: string | undefined;
  const v6 = s.match(/^\[([^\]]+)\](?::(.*))?$/);
  if (v6) {
    addr = v6[1]!;
    port = v6[2];
  } else if (isIPv6(s)) {
    addr = s;
  } else {
    const i = s.lastIndexOf(':');
    addr = i < 0 ? s : s.slice(0, i);
    port = i < 0 ? undefined : s.slice(i + 1);
  }
  const address = parseIp(addr);
  if (address === null) throw usage(`illegal ${what} address: ${JSON.stringify(addr)} is not an IP address`);
  return { address, port: port === undefined ? null : int(port, 0, 65535, `${what} port`) };
}

interface Raw {
  cmds: IpvsCommand[];
  short: Map<string, string | true>;
  long: Map<string, string | true>;
  positionals: string[];
}

function tokenize(argv: readonly string[]): Raw {
  const r: Raw = { cmds: [], short: new Map(), long: new Map(), positionals: [] };
  const setShort = (c: string, v: string | true) => {
    if (SHORT_CMDS[c]) r.cmds.push(SHORT_CMDS[c]);
    else r.short.set(c, v);
  };
  for (let i = 0; i < argv.length; i++) {
    const tok = argv[i]!;
    if (tok.startsWith('--') && tok.length > 2) {
      const eq = tok.indexOf('=');
      const name = eq < 0 ? tok.slice(2) : tok.slice(2, eq);
      const inline = eq < 0 ? undefined : tok.slice(eq + 1);
      const alias = LONG_ALIASES[name];
      if (alias) {
        if (SHORT_WITH_VALUE.has(alias)) {
          const v = inline ?? argv[++i];
          if (v === undefined) throw usage(`option --${name} needs a value`);
          setShort(alias, v);
        } else if (alias === 'p') {
          const next = argv[i + 1];
          setShort('p', inline ?? (next !== undefined && /^\d+$/.test(next) ? argv[++i]! : true));
        } else setShort(alias, true);
      } else if (LONG_WITH_VALUE.has(name)) {
        const v = inline ?? argv[++i];
        if (v === undefined) throw usage(`option --${name} needs a value`);
        r.long.set(name, v);
      } else if (name === 'set') {
        const vals = argv.slice(i + 1, i + 4);
        if (vals.length < 3) throw usage('--set needs tcp tcpfin udp');
        r.cmds.push('set-timeout');
        r.long.set('set', vals.join(' '));
        i += 3;
      } else if (name === 'start-daemon' || name === 'stop-daemon') {
        const v = argv[++i];
        if (v !== 'master' && v !== 'backup') throw usage(`--${name} needs master or backup`);
        r.cmds.push(name);
        r.long.set('state', v);
      } else if (LONG_FLAGS.has(name)) {
        r.long.set(name, true);
      } else {
        throw usage(`unknown option --${name}`);
      }
    } else if (tok.startsWith('-') && tok.length > 1) {
      for (let j = 1; j < tok.length; j++) {
        const c = tok[j]!;
        if (SHORT_WITH_VALUE.has(c)) {
          const rest = tok.slice(j + 1);
          const v = rest || argv[++i];
          if (v === undefined) throw usage(`option -${c} needs a value`);
          setShort(c, v);
          break;
        }
        if (c === 'p') {
          // -p takes an optional timeout, as in ipvsadm.
          const rest = tok.slice(j + 1);
          const next = argv[i + 1];
          setShort('p', rest || (next !== undefined && /^\d+$/.test(next) ? argv[++i]! : true));
          break;
        }
        if (!SHORT_CMDS[c] && !'gimnho6c'.includes(c)) throw usage(`unknown option -${c}`);
        setShort(c, true);
      }
    } else {
      r.positionals.push(tok);
    }
  }
  return r;
}

/** -M: a contiguous dotted quad for IPv4, a prefix length for IPv6, as ipvsadm takes them. */
function netmaskArg(text: string, v6: boolean): number {
  const prefix = v6 || text.includes('.') ? parseNetmask(text, v6 ? 'inet6' : 'inet') : null;
  if (prefix === null || (v6 && prefix < 1)) {
    throw usage(
      v6
        ? `IPv6 persistence netmask must be a prefix length 1-128, not ${text}`
        : `persistence netmask ${text} is not a valid IPv4 netmask`,
    );
  }
  return prefix;
}

/** Parses one command line (without the program name). */
export function parseIpvsArgs(argv: readonly string[]): ParsedIpvs {
  const args = [...argv];
  let wordCmd: IpvsCommand | undefined;
  let addOrEdit: 'add' | 'edit' | 'delete' | undefined;
  const first = args[0];
  if (first && !first.startsWith('-')) {
    if (WORDS[first]) wordCmd = WORDS[first];
    else if (first === 'add' || first === 'edit' || first === 'delete') addOrEdit = first;
    else throw usage(`unknown ipvs command ${JSON.stringify(first)}`);
    args.shift();
  }
  const r = tokenize(args);
  if (r.positionals.length) throw usage(`unexpected argument ${JSON.stringify(r.positionals[0])}`);
  const cmds = [...new Set(r.cmds)];
  if (wordCmd) cmds.unshift(wordCmd);
  if (addOrEdit) {
    const server = r.short.has('r');
    cmds.unshift(`${addOrEdit}-${server ? 'server' : 'service'}` as IpvsCommand);
  }
  const uniq = [...new Set(cmds)];
  if (uniq.length === 0) throw usage('no command given (e.g. list -n, -A, -a, -C, -S)');
  if (uniq.length > 1) throw usage(`more than one command given: ${uniq.join(', ')}`);
  const command = uniq[0]!;
  const s = r.short;
  const l = r.long;
  const list = {
    numeric: s.has('n'),
    stats: l.has('stats'),
    rate: l.has('rate'),
    thresholds: l.has('thresholds'),
    persistentConn: l.has('persistent-conn'),
    tunInfo: l.has('tun-info'),
    exact: l.has('exact'),
    noSort: l.has('nosort'),
    timeout: l.has('timeout'),
    daemon: l.has('daemon'),
  };
  const netns = typeof l.get('netns') === 'string' ? (l.get('netns') as string) : undefined;
  const base = { command, list, ...(netns ? { netns } : {}) };

  if (command === 'set-timeout') {
    const [tcp, fin, udp] = String(l.get('set')).split(' ');
    return {
      ...base,
      timeouts: {
        tcp: int(tcp!, 0, 0x7fffffff, 'tcp timeout'),
        tcpFin: int(fin!, 0, 0x7fffffff, 'tcpfin timeout'),
        udp: int(udp!, 0, 0x7fffffff, 'udp timeout'),
      },
    };
  }
  if (command === 'start-daemon' || command === 'stop-daemon') {
    const state = l.get('state') as 'master' | 'backup';
    const opt = (k: string) => (typeof l.get(k) === 'string' ? (l.get(k) as string) : undefined);
    const groupText = opt('mcast-group');
    const group = groupText === undefined ? undefined : parseIp(groupText);
    if (group === null) throw usage(`illegal multicast group ${groupText}`);
    const port = opt('mcast-port');
    const ttl = opt('mcast-ttl');
    const maxLen = opt('sync-maxlen');
    return {
      ...base,
      daemon: {
        state,
        ifname: opt('mcast-interface') ?? 'eth0',
        syncId: int(opt('syncid') ?? '0', 0, 255, 'syncid'),
        ...(group ? { group } : {}),
        ...(port ? { port: int(port, 1, 65535, 'mcast-port') } : {}),
        ...(ttl ? { ttl: int(ttl, 1, 255, 'mcast-ttl') } : {}),
        ...(maxLen ? { maxLen: int(maxLen, 1, 65535 - 28, 'sync-maxlen') } : {}),
      },
    };
  }

  // Service key: -t/-u/--sctp-service ADDR[:PORT] or -f MARK [-6].
  let key: ServiceKey | undefined;
  const svcOpts = [s.has('t'), s.has('u'), l.has('sctp-service'), s.has('f')].filter(Boolean).length;
  if (svcOpts > 1) throw usage('give only one of -t, -u, --sctp-service, -f');
  if (s.has('f')) {
    key = {
      kind: 'fwmark',
      family: s.has('6') ? 'inet6' : 'inet',
      fwmark: int(String(s.get('f')), 1, 0xffffffff, 'fwmark'),
    };
  } else if (svcOpts === 1) {
    const protocol: Protocol = s.has('t') ? 'tcp' : s.has('u') ? 'udp' : 'sctp';
    const raw = String(s.has('t') ? s.get('t') : s.has('u') ? s.get('u') : l.get('sctp-service'));
    const ap = parseAddrPort(raw, 'service');
    key = {
      kind: 'ip',
      family: ipFamily(ap.address),
      protocol,
      address: ap.address,
      port: ap.port ?? 0,
    };
  }
  const needsKey = [
    'add-service',
    'edit-service',
    'delete-service',
    'add-server',
    'edit-server',
    'delete-server',
  ];
  if (needsKey.includes(command) && !key)
    throw usage(`${command} needs a service: -t, -u, --sctp-service or -f`);
  const withKey = key ? { ...base, key } : base;

  if (command === 'add-service' || command === 'edit-service') {
    const scheduler = s.has('s') ? String(s.get('s')) : 'wlc';
    if (!(SCHEDULERS as readonly string[]).includes(scheduler)) {
      throw usage(
        `illegal scheduling algorithm ${JSON.stringify(scheduler)} (known: ${SCHEDULERS.join(' ')})`,
      );
    }
    let flags = 0;
    if (s.has('b')) {
      for (const f of String(s.get('b')).split(',')) {
        const bit = f === 'ops' ? null : schedFlagBit(f);
        if (bit === null) throw usage(`illegal scheduler flag ${f}`);
        if (f.startsWith('sh-') && scheduler !== 'sh') throw usage(`${f} applies to sh only`);
        if (f.startsWith('mh-') && scheduler !== 'mh') throw usage(`${f} applies to mh only`);
        flags |= bit;
      }
    }
    if (s.has('o')) flags |= IP_VS_SVC_F_ONEPACKET;
    const v6 = key!.family === 'inet6';
    let persistence: ServiceSpec['persistence'] = null;
    if (s.has('p')) {
      const p = s.get('p');
      const timeoutSec = p === true ? 360 : int(String(p), 1, 0x7fffffff, 'persistent timeout');
      const prefix = s.has('M') ? netmaskArg(String(s.get('M')), v6) : v6 ? 128 : 32;
      persistence = { timeoutSec, prefix };
    } else if (s.has('M')) {
      throw usage('-M needs -p');
    }
    if (l.has('pe')) throw usage('persistence engines (--pe) are not supported');
    const given: ServiceSpec = {
      key: key!,
      scheduler: scheduler as ServiceSpec['scheduler'],
      flags,
      persistence,
    };
    try {
      validateService(given);
    } catch (e) {
      throw usage((e as Error).message);
    }
    return { ...withKey, service: given };
  }

  if (command === 'add-server' || command === 'edit-server' || command === 'delete-server') {
    if (!s.has('r')) throw usage(`${command} needs a real server: -r ADDR[:PORT]`);
    const ap = parseAddrPort(String(s.get('r')), 'real server');
    const fwds = (['g', 'i', 'm'] as const).filter((c) => s.has(c));
    if (fwds.length > 1) throw usage('give only one of -g, -i, -m');
    const forwarding: Forwarding = fwds[0] === 'i' ? 'tun' : fwds[0] === 'm' ? 'nat' : 'dr';
    const k = key!;
    const svcPort = k.kind === 'ip' ? k.port : 0;
    // As ipvsadm: DR and TUN real servers take the service's port.
    const forced = k.kind === 'ip' && forwarding !== 'nat' && command !== 'delete-server';
    const port = forced ? svcPort : (ap.port ?? svcPort);
    let tunnel: TunnelSpec | undefined;
    const tt = l.get('tun-type');
    const csums = (['tun-nocsum', 'tun-csum', 'tun-remcsum'] as const).filter((c) => l.has(c));
    if (csums.length > 1) throw usage('give only one of --tun-nocsum, --tun-csum, --tun-remcsum');
    if (tt !== undefined || l.has('tun-port') || csums.length) {
      if (forwarding !== 'tun') throw usage('tunnel options need -i');
      const type = tt === undefined ? 'ipip' : String(tt);
      if (type !== 'ipip' && type !== 'gue' && type !== 'gre') throw usage(`illegal tunnel type ${type}`);
      const tp = l.get('tun-port');
      tunnel = {
        type,
        ...(tp !== undefined ? { port: int(String(tp), 1, 65535, 'tunnel port') } : {}),
        ...(type !== 'ipip'
          ? { csum: csums[0] ? (csums[0].slice(4) as 'nocsum' | 'csum' | 'remcsum') : 'nocsum' }
          : {}),
      };
    }
    const dest: DestSpec = {
      address: ap.address,
      port,
      family: ipFamily(ap.address),
      forwarding,
      weight: s.has('w') ? int(String(s.get('w')), 0, 65535, 'weight') : 1,
      upperThreshold: s.has('x') ? int(String(s.get('x')), 0, 0x7fffffff, 'upper threshold') : 0,
      lowerThreshold: s.has('y') ? int(String(s.get('y')), 0, 0x7fffffff, 'lower threshold') : 0,
      ...(tunnel ? { tunnel } : {}),
    };
    if (command !== 'delete-server') {
      try {
        validateDest(k, dest);
      } catch (e) {
        throw usage((e as Error).message);
      }
    }
    return { ...withKey, dest };
  }
  return withKey;
}

/** Splits an ipvsadm-save line into arguments (it never quotes). */
export function splitRuleLine(line: string): string[] {
  return line.trim().split(/\s+/).filter(Boolean);
}

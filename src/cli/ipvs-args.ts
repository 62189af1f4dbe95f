// Parses ipvsadm-style arguments (`-A -t VIP:80 -s rr`, `-Lnc`, the lines of
// ipvsadm-save) and floatlb's word forms (`list -n`, `add ...`) into one
// command: a union with one member per command, each built by its own small
// parser, which also refuses the options that do not apply to it. Pure:
// every refusal is a UsageError naming the argument, raised before any
// kernel call.
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
import {
  type CommandName,
  int,
  type Opt,
  parseAddrPort,
  type Tokens,
  tokenize,
  usage,
  WORDS,
} from './ipvs-tokens.js';

export { parseAddrPort } from './ipvs-tokens.js';

export interface ListOptions {
  readonly numeric: boolean;
  /** -c: the connection table instead of the services. */
  readonly connections: boolean;
  readonly stats: boolean;
  readonly rate: boolean;
  readonly thresholds: boolean;
  readonly persistentConn: boolean;
  readonly tunInfo: boolean;
  readonly exact: boolean;
  readonly noSort: boolean;
  readonly timeout: boolean;
  readonly daemon: boolean;
}

export interface DaemonSpec {
  readonly state: 'master' | 'backup';
  readonly ifname: string;
  readonly syncId: number;
  readonly group?: Ip;
  readonly port?: number;
  readonly ttl?: number;
  readonly maxLen?: number;
}

interface Base {
  /** Network namespace to act in: a name under /run/netns or a path. */
  readonly netns?: string;
}

type ServiceCmd<C> = { readonly command: C; readonly key: ServiceKey; readonly service: ServiceSpec };
type ServerCmd<C> = { readonly command: C; readonly key: ServiceKey; readonly dest: DestSpec };

/** One member per command. */
export type ParsedIpvs = Base &
  (
    | ServiceCmd<'add-service'>
    | ServiceCmd<'edit-service'>
    | { readonly command: 'delete-service'; readonly key: ServiceKey }
    | ServerCmd<'add-server'>
    | ServerCmd<'edit-server'>
    | ServerCmd<'delete-server'>
    | { readonly command: 'list'; readonly key?: ServiceKey; readonly list: ListOptions }
    | { readonly command: 'save'; readonly key?: ServiceKey; readonly noSort: boolean }
    | { readonly command: 'zero'; readonly key?: ServiceKey }
    | { readonly command: 'clear' }
    | { readonly command: 'restore' }
    | { readonly command: 'help' }
    | { readonly command: 'set-timeout'; readonly timeouts: { tcp: number; tcpFin: number; udp: number } }
    | { readonly command: 'start-daemon'; readonly daemon: DaemonSpec }
    | { readonly command: 'stop-daemon'; readonly state: 'master' | 'backup' }
  );

/** Reads the options a command accepts; any other option given is refused by name. */
class Options {
  private readonly used = new Set<string>(['netns']);
  constructor(
    private readonly t: Tokens,
    private readonly command: string,
  ) {}
  has(name: string): boolean {
    this.used.add(name);
    return this.t.opts.has(name);
  }
  get(name: string): Opt | undefined {
    this.used.add(name);
    return this.t.opts.get(name);
  }
  str(name: string): string | undefined {
    const o = this.get(name);
    if (o === undefined) return undefined;
    if (o.value === true) throw usage(`option ${o.spelled} needs a value`);
    return o.value;
  }
  /** Throws for the first option the command did not ask about. */
  done(): void {
    for (const [name, o] of this.t.opts)
      if (!this.used.has(name)) throw usage(`option ${o.spelled} does not apply to ${this.command}`);
  }
}

const SVC_OPTS = ['t', 'u', 'sctp-service', 'f'] as const;

/** -t/-u/--sctp-service ADDR[:PORT] or -f MARK [-6], or none. */
function serviceKey(o: Options): ServiceKey | undefined {
  const given = SVC_OPTS.filter((n) => o.has(n));
  if (given.length > 1) throw usage('give only one of -t, -u, --sctp-service, -f');
  const v6 = o.has('6');
  if (given.length === 0) {
    if (v6) throw usage(`option ${o.get('6')!.spelled} needs -f`);
    return undefined;
  }
  const which = given[0]!;
  if (which === 'f') {
    return {
      kind: 'fwmark',
      family: v6 ? 'inet6' : 'inet',
      fwmark: int(o.str('f')!, 1, 0xffffffff, 'fwmark'),
    };
  }
  if (v6) throw usage(`option ${o.get('6')!.spelled} applies to -f only`);
  const protocol: Protocol = which === 't' ? 'tcp' : which === 'u' ? 'udp' : 'sctp';
  const ap = parseAddrPort(o.str(which)!, 'service');
  return {
    kind: 'ip',
    family: ipFamily(ap.address),
    protocol,
    address: ap.address,
    port: ap.port ?? 0,
  };
}

function needKey(o: Options, command: string): ServiceKey {
  const key = serviceKey(o);
  if (!key) throw usage(`${command} needs a service: -t, -u, --sctp-service or -f`);
  return key;
}

function serviceSpec(o: Options, key: ServiceKey): ServiceSpec {
  const scheduler = o.str('s') ?? 'wlc';
  if (!(SCHEDULERS as readonly string[]).includes(scheduler))
    throw usage(`illegal scheduling algorithm ${JSON.stringify(scheduler)} (known: ${SCHEDULERS.join(' ')})`);
  let flags = 0;
  for (const f of o.str('b')?.split(',') ?? []) {
    const bit = f === 'ops' ? null : schedFlagBit(f);
    if (bit === null) throw usage(`illegal scheduler flag ${f}`);
    if (f.startsWith('sh-') && scheduler !== 'sh') throw usage(`${f} applies to sh only`);
    if (f.startsWith('mh-') && scheduler !== 'mh') throw usage(`${f} applies to mh only`);
    flags |= bit;
  }
  if (o.has('o')) flags |= IP_VS_SVC_F_ONEPACKET;
  let persistence: ServiceSpec['persistence'] = null;
  const p = o.get('p');
  const v6 = key.family === 'inet6';
  if (p) {
    const timeoutSec = p.value === true ? 360 : int(p.value, 1, 0x7fffffff, 'persistent timeout');
    const m = o.str('M');
    persistence = { timeoutSec, prefix: m === undefined ? (v6 ? 128 : 32) : netmaskArg(m, v6) };
  } else if (o.has('M')) throw usage(`option ${o.get('M')!.spelled} needs -p`);
  if (o.has('pe')) throw usage('persistence engines (--pe) are not supported');
  const given: ServiceSpec = { key, scheduler: scheduler as ServiceSpec['scheduler'], flags, persistence };
  try {
    validateService(given);
  } catch (e) {
    throw usage((e as Error).message);
  }
  return given;
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

function tunnelSpec(o: Options, forwarding: Forwarding): TunnelSpec | undefined {
  const tt = o.str('tun-type');
  const tp = o.str('tun-port');
  const csums = (['tun-nocsum', 'tun-csum', 'tun-remcsum'] as const).filter((c) => o.has(c));
  if (csums.length > 1) throw usage('give only one of --tun-nocsum, --tun-csum, --tun-remcsum');
  if (tt === undefined && tp === undefined && !csums.length) return undefined;
  if (forwarding !== 'tun') throw usage('tunnel options need -i');
  const type = tt ?? 'ipip';
  if (type !== 'ipip' && type !== 'gue' && type !== 'gre') throw usage(`illegal tunnel type ${type}`);
  return {
    type,
    ...(tp !== undefined ? { port: int(tp, 1, 65535, 'tunnel port') } : {}),
    ...(type !== 'ipip'
      ? { csum: csums[0] ? (csums[0].slice(4) as 'nocsum' | 'csum' | 'remcsum') : 'nocsum' }
      : {}),
  };
}

function destSpec(o: Options, key: ServiceKey, command: string, check: boolean): DestSpec {
  const r = o.str('r');
  if (r === undefined) throw usage(`${command} needs a real server: -r ADDR[:PORT]`);
  const ap = parseAddrPort(r, 'real server');
  const fwds = (['g', 'i', 'm'] as const).filter((c) => o.has(c));
  if (fwds.length > 1) throw usage('give only one of -g, -i, -m');
  const forwarding: Forwarding = fwds[0] === 'i' ? 'tun' : fwds[0] === 'm' ? 'nat' : 'dr';
  const svcPort = key.kind === 'ip' ? key.port : 0;
  // As ipvsadm: DR and TUN real servers take the service's port.
  const port = key.kind === 'ip' && forwarding !== 'nat' && check ? svcPort : (ap.port ?? svcPort);
  const tunnel = tunnelSpec(o, forwarding);
  const w = o.str('w');
  const x = o.str('x');
  const y = o.str('y');
  const dest: DestSpec = {
    address: ap.address,
    port,
    family: ipFamily(ap.address),
    forwarding,
    weight: w === undefined ? 1 : int(w, 0, 65535, 'weight'),
    upperThreshold: x === undefined ? 0 : int(x, 0, 0x7fffffff, 'upper threshold'),
    lowerThreshold: y === undefined ? 0 : int(y, 0, 0x7fffffff, 'lower threshold'),
    ...(tunnel ? { tunnel } : {}),
  };
  if (check) {
    try {
      validateDest(key, dest);
    } catch (e) {
      throw usage((e as Error).message);
    }
  }
  return dest;
}

function listOptions(o: Options): ListOptions {
  // --sort is ipvsadm's default order, accepted for its scripts.
  const sort = o.has('sort');
  if (sort && o.has('nosort')) throw usage('give only one of --sort, --nosort');
  return {
    numeric: o.has('n'),
    connections: o.has('c'),
    stats: o.has('stats'),
    rate: o.has('rate'),
    thresholds: o.has('thresholds'),
    persistentConn: o.has('persistent-conn'),
    tunInfo: o.has('tun-info'),
    exact: o.has('exact'),
    noSort: o.has('nosort'),
    timeout: o.has('timeout'),
    daemon: o.has('daemon'),
  };
}

function daemonSpec(o: Options, state: 'master' | 'backup'): DaemonSpec {
  const groupText = o.str('mcast-group');
  const group = groupText === undefined ? undefined : parseIp(groupText);
  if (group === null) throw usage(`illegal multicast group ${groupText}`);
  const port = o.str('mcast-port');
  const ttl = o.str('mcast-ttl');
  const maxLen = o.str('sync-maxlen');
  return {
    state,
    ifname: o.str('mcast-interface') ?? 'eth0',
    syncId: int(o.str('syncid') ?? '0', 0, 255, 'syncid'),
    ...(group ? { group } : {}),
    ...(port ? { port: int(port, 1, 65535, 'mcast-port') } : {}),
    ...(ttl ? { ttl: int(ttl, 1, 255, 'mcast-ttl') } : {}),
    ...(maxLen ? { maxLen: int(maxLen, 1, 65535 - 28, 'sync-maxlen') } : {}),
  };
}

type Parser = (o: Options, t: Tokens) => ParsedIpvs;

/** One small parser per command. */
const PARSERS: Readonly<Record<CommandName, Parser>> = {
  'add-service': (o) => {
    const key = needKey(o, 'add-service');
    return { command: 'add-service', key, service: serviceSpec(o, key) };
  },
  'edit-service': (o) => {
    const key = needKey(o, 'edit-service');
    return { command: 'edit-service', key, service: serviceSpec(o, key) };
  },
  'delete-service': (o) => ({ command: 'delete-service', key: needKey(o, 'delete-service') }),
  'add-server': (o) => {
    const key = needKey(o, 'add-server');
    return { command: 'add-server', key, dest: destSpec(o, key, 'add-server', true) };
  },
  'edit-server': (o) => {
    const key = needKey(o, 'edit-server');
    return { command: 'edit-server', key, dest: destSpec(o, key, 'edit-server', true) };
  },
  'delete-server': (o) => {
    const key = needKey(o, 'delete-server');
    return { command: 'delete-server', key, dest: destSpec(o, key, 'delete-server', false) };
  },
  list: (o) => {
    const key = serviceKey(o);
    const list = listOptions(o);
    if (list.connections && key)
      throw usage(`option ${o.get('c')!.spelled} lists every connection: give no service`);
    return key ? { command: 'list', key, list } : { command: 'list', list };
  },
  save: (o) => {
    const key = serviceKey(o);
    // Always numeric: the rules are for -R, which takes addresses and port numbers.
    o.has('n');
    const noSort = o.has('nosort');
    return key ? { command: 'save', key, noSort } : { command: 'save', noSort };
  },
  zero: (o) => {
    const key = serviceKey(o);
    return key ? { command: 'zero', key } : { command: 'zero' };
  },
  clear: () => ({ command: 'clear' }),
  restore: (o) => {
    o.has('n');
    return { command: 'restore' };
  },
  help: () => ({ command: 'help' }),
  'set-timeout': (_o, t) => {
    const [tcp, fin, udp] = t.set!;
    return {
      command: 'set-timeout',
      timeouts: {
        tcp: int(tcp!, 0, 0x7fffffff, 'tcp timeout'),
        tcpFin: int(fin!, 0, 0x7fffffff, 'tcpfin timeout'),
        udp: int(udp!, 0, 0x7fffffff, 'udp timeout'),
      },
    };
  },
  'start-daemon': (o, t) => ({ command: 'start-daemon', daemon: daemonSpec(o, t.daemonState!) }),
  'stop-daemon': (o, t) => {
    o.has('mcast-interface'); // ipvsadm accepts it here; the kernel needs only the state
    return { command: 'stop-daemon', state: t.daemonState! };
  },
};

/** Parses one command line (without the program name). */
export function parseIpvsArgs(argv: readonly string[]): ParsedIpvs {
  const args = [...argv];
  const words: Array<{ name: CommandName; spelled: string }> = [];
  const first = args[0];
  let addOrEdit: 'add' | 'edit' | 'delete' | undefined;
  if (first !== undefined && !first.startsWith('-')) {
    if (WORDS.has(first)) words.push({ name: first as CommandName, spelled: first });
    else if (first === 'add' || first === 'edit' || first === 'delete') addOrEdit = first;
    else throw usage(`unknown ipvs command ${JSON.stringify(first)}`);
    args.shift();
  }
  const t = tokenize(args);
  if (addOrEdit) {
    const name = `${addOrEdit}-${t.opts.has('r') ? 'server' : 'service'}` as CommandName;
    words.push({ name, spelled: addOrEdit });
  }
  const all = [...words, ...t.cmds];
  const names = [...new Set(all.map((c) => c.name))];
  // -h with anything else is still a request for help, as in ipvsadm.
  if (names.includes('help')) return { command: 'help' };
  if (names.length === 0) throw usage('no command given (e.g. list -n, -A, -a, -C, -S)');
  if (names.length > 1) throw usage(`more than one command given: ${all.map((c) => c.spelled).join(', ')}`);
  const command = names[0]!;
  const o = new Options(t, command);
  const parsed = PARSERS[command](o, t);
  o.done();
  const netns = t.opts.get('netns');
  if (netns === undefined) return parsed;
  if (netns.value === true || !netns.value) throw usage('option --netns needs a value');
  return { ...parsed, netns: netns.value };
}

/** Splits an ipvsadm-save line into arguments (it never quotes). */
export function splitRuleLine(line: string): string[] {
  return line.trim().split(/\s+/).filter(Boolean);
}

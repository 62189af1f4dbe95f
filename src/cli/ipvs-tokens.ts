// The lexical half of ipvsadm's command line: option letters and long names,
// grouped short options (`-Ln`), values attached or separate, and the
// optional value of -p. Every option keeps the spelling it was given so that
// an error can name it. Pure.
import { isIPv6 } from 'node:net';
import { type Ip, parseIp } from '../kernel/vocabulary.js';
import { UsageError } from './errors.js';

export type CommandName =
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
  | 'stop-daemon'
  | 'help';

/** Short option letters that are commands. */
const SHORT_CMDS: Readonly<Record<string, CommandName>> = {
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
  h: 'help',
};

/** Long names of short options. */
const LONG_ALIASES: Readonly<Record<string, string>> = {
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
  help: 'h',
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
  connection: 'c',
  'sched-flags': 'b',
  ops: 'o',
  ipv6: '6',
};
const SHORT_WITH_VALUE = new Set(['t', 'u', 'f', 's', 'M', 'r', 'w', 'x', 'y', 'b']);
const SHORT_FLAGS = new Set(['g', 'i', 'm', 'n', 'o', '6', 'c']);
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
  'sort',
  'timeout',
  'daemon',
  'tun-nocsum',
  'tun-csum',
  'tun-remcsum',
]);

/** One option as given: its canonical name (a letter or a long name), its value, its spelling. */
export interface Opt {
  readonly value: string | true;
  readonly spelled: string;
}

export interface Tokens {
  /** Commands, each with the spelling that gave it. */
  readonly cmds: Array<{ name: CommandName; spelled: string }>;
  readonly opts: Map<string, Opt>;
  /** Values of --set (tcp tcpfin udp) and of --start-daemon/--stop-daemon. */
  readonly set?: readonly string[];
  readonly daemonState?: 'master' | 'backup';
}

export const usage = (m: string): UsageError => new UsageError(m);

export function int(v: string, min: number, max: number, what: string): number {
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

export function tokenize(argv: readonly string[]): Tokens {
  const cmds: Tokens['cmds'] = [];
  const opts = new Map<string, Opt>();
  let set: string[] | undefined;
  let daemonState: 'master' | 'backup' | undefined;
  const put = (name: string, value: string | true, spelled: string) => {
    const cmd = SHORT_CMDS[name];
    if (cmd) cmds.push({ name: cmd, spelled });
    else if (opts.has(name)) throw usage(`option ${spelled} given twice`);
    else opts.set(name, { value, spelled });
  };
  // -p takes an optional timeout, as in ipvsadm: the next word when it is a number.
  const optionalNumber = (i: number) => {
    const next = argv[i + 1];
    return next !== undefined && /^\d+$/.test(next);
  };
  for (let i = 0; i < argv.length; i++) {
    const tok = argv[i]!;
    if (tok.startsWith('--') && tok.length > 2) {
      const eq = tok.indexOf('=');
      const name = eq < 0 ? tok.slice(2) : tok.slice(2, eq);
      const inline = eq < 0 ? undefined : tok.slice(eq + 1);
      const spelled = `--${name}`;
      const alias = LONG_ALIASES[name];
      if (alias && SHORT_WITH_VALUE.has(alias)) {
        const v = inline ?? argv[++i];
        if (v === undefined) throw usage(`option ${spelled} needs a value`);
        put(alias, v, spelled);
      } else if (alias === 'p') {
        put('p', inline ?? (optionalNumber(i) ? argv[++i]! : true), spelled);
      } else if (alias) {
        if (inline !== undefined) throw usage(`option ${spelled} takes no value`);
        put(alias, true, spelled);
      } else if (LONG_WITH_VALUE.has(name)) {
        const v = inline ?? argv[++i];
        if (v === undefined) throw usage(`option ${spelled} needs a value`);
        put(name, v, spelled);
      } else if (name === 'set') {
        set = argv.slice(i + 1, i + 4);
        if (set.length < 3) throw usage('--set needs three values: tcp tcpfin udp');
        cmds.push({ name: 'set-timeout', spelled });
        i += 3;
      } else if (name === 'start-daemon' || name === 'stop-daemon') {
        const v = argv[++i];
        if (v !== 'master' && v !== 'backup') throw usage(`${spelled} needs master or backup`);
        cmds.push({ name, spelled });
        daemonState = v;
      } else if (LONG_FLAGS.has(name)) {
        if (inline !== undefined) throw usage(`option ${spelled} takes no value`);
        put(name, true, spelled);
      } else {
        throw usage(`unknown option ${spelled}`);
      }
    } else if (tok.startsWith('-') && tok.length > 1) {
      for (let j = 1; j < tok.length; j++) {
        const c = tok[j]!;
        const spelled = `-${c}`;
        if (SHORT_WITH_VALUE.has(c)) {
          const v = tok.slice(j + 1) || argv[++i];
          if (v === undefined) throw usage(`option ${spelled} needs a value`);
          put(c, v, spelled);
          break;
        }
        if (c === 'p') {
          put('p', tok.slice(j + 1) || (optionalNumber(i) ? argv[++i]! : true), spelled);
          break;
        }
        if (!SHORT_CMDS[c] && !SHORT_FLAGS.has(c)) throw usage(`unknown option ${spelled}`);
        put(c, true, spelled);
      }
    } else {
      throw usage(`unexpected argument ${JSON.stringify(tok)}`);
    }
  }
  return { cmds, opts, ...(set ? { set } : {}), ...(daemonState ? { daemonState } : {}) };
}

/** Word forms: `list`, `save`, `add -t ... [-r ...]`, and so on. */
export const WORDS: ReadonlySet<string> = new Set([
  'list',
  'save',
  'restore',
  'clear',
  'zero',
  'help',
  'add-service',
  'edit-service',
  'delete-service',
  'add-server',
  'edit-server',
  'delete-server',
  'set-timeout',
  'start-daemon',
  'stop-daemon',
]);

// Health checker blocks inside real_server. Values not set on the checker
// come from the real server, then the virtual server, then keepalived's
// per-checker defaults.
import type { Ip } from '../../kernel/vocabulary.js';
import type { Token } from '../lexer.js';
import type {
  Checker,
  CheckerCommon,
  CheckerType,
  DnsQueryType,
  HttpChecker,
  HttpUrl,
  SmtpHost,
} from '../model.js';
import type { ConfigNode } from '../parser.js';
import { append, type Reader, type StaticTable, staticTable, type Table } from '../values.js';

export const CHECKER_TYPES: readonly CheckerType[] = [
  'HTTP_GET',
  'SSL_GET',
  'TCP_CHECK',
  'SMTP_CHECK',
  'DNS_CHECK',
  'MISC_CHECK',
  'UDP_CHECK',
  'PING_CHECK',
  'FILE_CHECK',
  'BFD_CHECK',
];

/** Settings a checker inherits; null where nothing upstream set them. */
export interface CheckerDefaults {
  address: Ip;
  port: number;
  connectTimeout: number | null;
  retry: number | null;
  delayBeforeRetry: number | null;
  warmup: number | null;
  delayLoop: number;
  alpha: boolean | null;
  virtualhost: string | null;
}

const DNS_TYPES: readonly DnsQueryType[] = ['A', 'NS', 'CNAME', 'SOA', 'MX', 'TXT', 'AAAA'];
const HTTP_PROTOCOLS = ['1.0', '1.0C', '1.1'] as const;

/** What a checker block sets itself; null where it does not. One shape for all, so no literal per block. */
class Common {
  connectIp: Ip | null = null;
  connectPort: number | null = null;
  bindTo: string | null = null;
  bindIf: string | null = null;
  bindPort: number | null = null;
  fwmark: number | null = null;
  connectTimeout: number | null = null;
  retry: number | null = null;
  delayBeforeRetry: number | null = null;
  warmup: number | null = null;
  delayLoop: number | null = null;
  alpha: boolean | null = null;
  logAllFailures: boolean | null = null;
}

/** The retry/timing knobs every checker but FILE and BFD has. */
export const TIMING: StaticTable<Common> = {
  connect_timeout: (r, n, t) => set(t, 'connectTimeout', r.timer(n)),
  retry: (r, n, t) => set(t, 'retry', r.int(n, 0, 2147483647)),
  nb_get_retry: (r, n, t) => {
    r.sink.warning(n.name, `nb_get_retry is deprecated: use retry`);
    set(t, 'retry', r.int(n, 0, 2147483647));
  },
  delay_before_retry: (r, n, t) => set(t, 'delayBeforeRetry', r.timer(n)),
  warmup: (r, n, t) => set(t, 'warmup', r.timer(n)),
  delay_loop: (r, n, t) => set(t, 'delayLoop', r.timer(n)),
  alpha: (r, n, t) => set(t, 'alpha', r.bool(n)),
  log_all_failures: (r, n, t) => set(t, 'logAllFailures', r.bool(n)),
};

const CONNECTION: StaticTable<Common> = {
  connect_ip: (r, n, t) => set(t, 'connectIp', r.ip(n)),
  connect_port: (r, n, t) => set(t, 'connectPort', r.port(n)),
  bindto: (r, n, t) => set(t, 'bindTo', r.ip(n)),
  bind_if: (r, n, t) => set(t, 'bindIf', r.string(n)),
  bind_port: (r, n, t) => set(t, 'bindPort', r.port(n)),
  fwmark: (r, n, t) => set(t, 'fwmark', r.int(n, 0, 4294967295)),
};
const PLAIN_CHECKER = staticTable(TIMING, CONNECTION);

/** Closures over one state, for the checker kinds that add their own keywords. */
function bind<S>(r: Reader, table: StaticTable<S>, state: S): Table {
  const out: Table = Object.create(null) as Table;
  for (const [k, h] of Object.entries(table)) out[k] = (n) => h(r, n, state);
  return out;
}

function set<T extends object, K extends keyof T>(target: T, key: K, value: T[K] | null): void {
  if (value !== null) target[key] = value;
}

function common(t: Common, d: CheckerDefaults, type: CheckerType): CheckerCommon {
  const delayLoop = t.delayLoop ?? d.delayLoop;
  const defaultRetry = type === 'DNS_CHECK' ? 3 : 1;
  const defaultDelay =
    type === 'HTTP_GET' || type === 'SSL_GET' ? 3000 : type === 'DNS_CHECK' ? delayLoop : 1000;
  return {
    connectIp: t.connectIp ?? d.address,
    connectPort: t.connectPort ?? d.port,
    bindTo: t.bindTo ?? null,
    bindIf: t.bindIf ?? null,
    bindPort: t.bindPort ?? null,
    fwmark: t.fwmark ?? null,
    connectTimeout: t.connectTimeout ?? d.connectTimeout ?? 5000,
    retry: t.retry ?? d.retry ?? defaultRetry,
    delayBeforeRetry: t.delayBeforeRetry ?? d.delayBeforeRetry ?? defaultDelay,
    warmup: t.warmup ?? d.warmup ?? delayLoop,
    delayLoop,
    alpha: t.alpha ?? d.alpha ?? false,
    logAllFailures: t.logAllFailures ?? false,
  };
}

/** TCP_CHECK and PING_CHECK: common() with the type last, built in one literal. */
function plainChecker(t: Common, d: CheckerDefaults, type: 'TCP_CHECK' | 'PING_CHECK'): Checker {
  const delayLoop = t.delayLoop ?? d.delayLoop;
  return {
    connectIp: t.connectIp ?? d.address,
    connectPort: t.connectPort ?? d.port,
    bindTo: t.bindTo,
    bindIf: t.bindIf,
    bindPort: t.bindPort,
    fwmark: t.fwmark,
    connectTimeout: t.connectTimeout ?? d.connectTimeout ?? 5000,
    retry: t.retry ?? d.retry ?? 1,
    delayBeforeRetry: t.delayBeforeRetry ?? d.delayBeforeRetry ?? 1000,
    warmup: t.warmup ?? d.warmup ?? delayLoop,
    delayLoop,
    alpha: t.alpha ?? d.alpha ?? false,
    logAllFailures: t.logAllFailures ?? false,
    type,
  };
}

/** Parses "200-299 404" into inclusive ranges. */
function statusCodes(r: Reader, toks: Token[]): [number, number][] {
  const out: [number, number][] = [];
  for (const tok of toks) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(tok.text);
    const lo = m ? Number(m[1]) : Number.NaN;
    const hi = m?.[2] ? Number(m[2]) : lo;
    if (!m || lo < 100 || hi > 599 || hi < lo) {
      r.invalid(tok, 'HTTP status_code', 'codes 100..599 or ranges like 200-299');
      continue;
    }
    out.push([lo, hi]);
  }
  return out;
}

function readUrl(r: Reader, node: ConfigNode): HttpUrl | null {
  if (!r.needsBlock(node)) return null;
  const u: HttpUrl = {
    path: '',
    digest: null,
    statusCodes: [],
    virtualhost: null,
    regex: null,
    regexNoMatch: false,
    regexOptions: [],
  };
  r.block(
    node,
    {
      path: (n) => set(u, 'path', r.string(n)),
      digest: (n) => {
        const d = r.arg(n);
        if (d && !/^[0-9a-fA-F]{32}$/.test(d.text)) r.invalid(d, 'digest', 'an MD5 digest of 32 hex digits');
        else if (d) u.digest = d.text.toLowerCase();
      },
      status_code: (n) => {
        if (r.arg(n, 0, 'status codes')) append(u.statusCodes, statusCodes(r, n.args));
      },
      virtualhost: (n) => set(u, 'virtualhost', r.string(n)),
      regex: (n) => set(u, 'regex', r.string(n)),
      regex_no_match: () => {
        u.regexNoMatch = true;
      },
      regex_options: (n) => {
        u.regexOptions = n.args.map((a) => a.text);
      },
      regex_stack: () => {},
      regex_min_offset: (n) => void r.int(n, 0, 2147483647),
      regex_max_offset: (n) => void r.int(n, 0, 2147483647),
    },
    'url',
  );
  if (!u.path) return r.dropped(node.name, `url has no path: dropped, as keepalived does`);
  if (u.statusCodes.length === 0) u.statusCodes.push([200, 299]);
  return u;
}

export function readChecker(r: Reader, node: ConfigNode, d: CheckerDefaults): Checker | null {
  const type = node.name.text as CheckerType;
  if (node.children === null) {
    return r.dropped(node.name, `${type} needs a block '{ ... }': ignored, as keepalived does`);
  }
  const t = new Common();
  if (type === 'FILE_CHECK') return readFileCheck(r, node);
  if (type === 'BFD_CHECK') {
    let name: string | null = null;
    r.block(
      node,
      {
        name: (n) => {
          name = r.string(n);
        },
      },
      type,
    );
    // Refused, never run as if healthy: floatlb speaks no BFD (RFC 5880/5881).
    r.sink.error(
      node.name,
      'BFD_CHECK is not supported: floatlb has no BFD sessions to follow, so this real server could never be checked; use PING_CHECK or TCP_CHECK',
    );
    return name === null ? null : { type, name };
  }
  if (type === 'MISC_CHECK') return readMisc(r, node, d);
  if (type === 'TCP_CHECK' || type === 'PING_CHECK') {
    r.blockWith(node, PLAIN_CHECKER, type, t);
    return plainChecker(t, d, type);
  }
  const table: Table = bind(r, PLAIN_CHECKER, t);
  switch (type) {
    case 'HTTP_GET':
    case 'SSL_GET': {
      const h: Omit<HttpChecker, keyof CheckerCommon> = {
        type,
        httpProtocol: null,
        virtualhost: d.virtualhost,
        enableSni: false,
        fastRecovery: false,
        urls: [],
      };
      Object.assign(table, {
        url: (n: ConfigNode) => {
          const u = readUrl(r, n);
          if (u) h.urls.push(u);
        },
        http_protocol: (n: ConfigNode) => set(h, 'httpProtocol', r.oneOf(n, HTTP_PROTOCOLS)),
        virtualhost: (n: ConfigNode) => set(h, 'virtualhost', r.string(n)),
        enable_sni: (n: ConfigNode) => set(h, 'enableSni', r.bool(n)),
        fast_recovery: (n: ConfigNode) => set(h, 'fastRecovery', r.bool(n)),
      });
      r.block(node, table, type);
      if (h.urls.length === 0) r.sink.warning(node.name, `${type} has no url block, so it checks nothing`);
      return { ...common(t, d, type), ...h };
    }
    case 'SMTP_CHECK': {
      let heloName: string | null = null;
      const hosts: SmtpHost[] = [];
      table.helo_name = (n) => {
        heloName = r.string(n);
      };
      table.host = (n) => {
        if (!r.needsBlock(n)) return;
        const h = new Common();
        r.blockWith(n, CONNECTION, 'SMTP_CHECK host', h);
        hosts.push({
          connectIp: h.connectIp ?? d.address,
          connectPort: h.connectPort ?? 25,
          bindTo: h.bindTo ?? null,
        });
      };
      r.block(node, table, type);
      return { ...common(t, d, type), type, heloName, hosts };
    }
    case 'DNS_CHECK': {
      let queryType: DnsQueryType = 'SOA';
      let name = '.';
      table.type = (n) => {
        queryType = r.oneOf(n, DNS_TYPES, 0, true) ?? queryType;
      };
      table.name = (n) => {
        name = r.string(n) ?? name;
      };
      r.block(node, table, type);
      return { ...common(t, d, type), type, queryType, name };
    }
    case 'UDP_CHECK': {
      const u = {
        payload: null as string | null,
        requireReply: false,
        requireReplyData: null as string | null,
      };
      let minReplyLength = 0;
      let maxReplyLength = 255;
      table.payload = (n) => {
        u.payload = hexString(r, n);
      };
      table.require_reply = (n) => {
        u.requireReply = true;
        u.requireReplyData = n.args.length ? hexString(r, n, true) : null;
      };
      table.min_reply_length = (n) => {
        minReplyLength = r.int(n, 0, 65535) ?? minReplyLength;
      };
      table.max_reply_length = (n) => {
        maxReplyLength = r.int(n, 0, 65535) ?? maxReplyLength;
      };
      r.block(node, table, type);
      return { ...common(t, d, type), type, ...u, minReplyLength, maxReplyLength };
    }
  }
  return null;
}

function hexString(r: Reader, n: ConfigNode, allowX = false): string | null {
  const text = n.args.map((a) => a.text).join('');
  const re = allowX ? /^[0-9a-fA-FxX]+$/ : /^[0-9a-fA-F]+$/;
  if (!re.test(text)) return r.invalid(n.args[0] ?? n.name, `${n.name.text} data`, 'hex digits');
  return text.toLowerCase();
}

function readMisc(r: Reader, node: ConfigNode, d: CheckerDefaults): Checker | null {
  const t = new Common();
  const m = { path: '', timeout: null as number | null, dynamic: false, user: null as string | null };
  let group: string | null = null;
  r.block(
    node,
    {
      ...bind(r, TIMING, t),
      misc_path: (n) => set(m, 'path', r.string(n)),
      misc_timeout: (n) => set(m, 'timeout', r.timer(n)),
      misc_dynamic: (n) => set(m, 'dynamic', r.bool(n)),
      user: (n) => {
        m.user = r.string(n);
        group = n.args[1]?.text ?? null;
      },
    },
    'MISC_CHECK',
  );
  if (!m.path) return r.dropped(node.name, `MISC_CHECK has no misc_path: dropped, as keepalived does`);
  const c = common(t, d, 'MISC_CHECK');
  return {
    type: 'MISC_CHECK',
    path: m.path,
    timeout: m.timeout ?? c.delayLoop,
    dynamic: m.dynamic,
    user: m.user,
    group,
    retry: t.retry ?? d.retry ?? 0,
    delayBeforeRetry: c.delayBeforeRetry,
    warmup: c.warmup,
    delayLoop: c.delayLoop,
    alpha: c.alpha,
    logAllFailures: c.logAllFailures,
  };
}

function readFileCheck(r: Reader, node: ConfigNode): Checker | null {
  // weight 0 (or none): the track_file's own weight and reverse apply, as in keepalived.
  const f = { trackFile: '', dynamic: false, weight: 0, reverse: false };
  r.block(
    node,
    {
      track_file: (n) => set(f, 'trackFile', r.string(n)),
      file: (n) => set(f, 'trackFile', r.string(n)),
      dynamic: (n) => {
        r.sink.warning(
          n.name,
          'FILE_CHECK dynamic changes nothing: a non-zero weight always adjusts the real server weight (keepalived 2.2.7 rejects this keyword)',
        );
        f.dynamic = true;
      },
      weight: (n) => {
        set(f, 'weight', r.int(n, -2147483647, 2147483647));
        const opt = n.args[1];
        if (opt && opt.text !== 'reverse' && opt.text !== 'noreverse')
          r.invalid(opt, 'FILE_CHECK weight option', 'reverse or noreverse');
        f.reverse = opt?.text === 'reverse';
      },
    },
    'FILE_CHECK',
  );
  if (!f.trackFile) return r.dropped(node.name, `FILE_CHECK has no track_file: dropped, as keepalived does`);
  return { type: 'FILE_CHECK', ...f };
}

// virtual_routes and virtual_rules lines, in `ip route add` / `ip rule add`
// words as keepalived reads them. What floatlb cannot program is warned at
// its token and left out; a line with nothing to program is dropped.
import {
  type Prefix,
  ROUTE_TYPES,
  type RouteSpec,
  type RouteType,
  type RuleSpec,
  SCOPES,
  TABLE_NAMES,
} from '../../kernel/routes.js';
import type { Token } from '../lexer.js';
import type { ConfigNode } from '../parser.js';
import type { Reader } from '../values.js';

/** Route options keepalived passes to the kernel that floatlb does not: each takes one value. */
const ROUTE_IGNORED_WITH_VALUE = new Set([
  'or',
  'tos',
  'dsfield',
  'protocol',
  'proto',
  'mtu',
  'hoplimit',
  'advmss',
  'rtt',
  'rttvar',
  'reordering',
  'window',
  'cwnd',
  'ssthresh',
  'realms',
  'rto_min',
  'initcwnd',
  'initrwnd',
  'features',
  'pref',
  'quickack',
  'fastopen_no_cookie',
  'congctl',
  'vrf',
  'expires',
  'track_group',
  'nexthop',
]);
const ROUTE_IGNORED_FLAGS = new Set(['onlink', 'append', 'prepend', 'lock']);

const RULE_IGNORED_WITH_VALUE = new Set([
  'tos',
  'dsfield',
  'realms',
  'goto',
  'uidrange',
  'protocol',
  'ip_proto',
  'sport',
  'dport',
  'suppress_prefixlength',
  'suppress_ifgroup',
  'tun_id',
  'track_group',
]);
const RULE_IGNORED_FLAGS = new Set(['l3mdev', 'not', 'nop']);

const familyOf = (a: string): 4 | 6 => (a.includes(':') ? 6 : 4);
/** Route options keepalived 2.2.7 stops loading at when the line ends before their value (exit 2). */
const VALUE_REQUIRED = new Set(['src', 'via', 'dev', 'scope', 'table', 'metric', 'mtu']);

/** A route line ending in an option that needs a value: refused, as keepalived refuses it. */
function routeValueMissing(r: Reader, words: readonly Token[]): boolean {
  const last = words[words.length - 1];
  if (words.length < 2 || !last || !VALUE_REQUIRED.has(last.text)) return false;
  r.sink.error(last, `route option ${last.text} needs a value: keepalived refuses the file without it`);
  return true;
}

function table(r: Reader, tok: Token | undefined, at: Token): number | null {
  if (!tok) return r.dropped(at, `${at.text} needs a routing table (a number, main, local or default)`);
  if (tok.text in TABLE_NAMES) return TABLE_NAMES[tok.text]!;
  return r.intToken(tok, 1, 0xffffffff, 'routing table');
}

/** `all`, `default`, or an address with an optional prefix. */
function prefix(r: Reader, tok: Token | undefined, at: Token, inet6: boolean): Prefix | null {
  if (!tok) return r.dropped(at, `${at.text} needs an address`);
  if (tok.text === 'all' || tok.text === 'default') return { address: inet6 ? '::' : '0.0.0.0', prefix: 0 };
  return r.prefixed(tok, `${at.text} address`);
}

export function readRoutes(r: Reader, node: ConfigNode): RouteSpec[] {
  const out: RouteSpec[] = [];
  for (const c of node.children ?? []) {
    const words = [c.name, ...c.args];
    const inet6 = words.some((w) => w.text === 'inet6');
    let type: RouteType = 'unicast';
    let dst: Prefix | null = null;
    let route: { -readonly [K in keyof RouteSpec]?: RouteSpec[K] } = {};
    let bad = false;
    for (let i = 0; i < words.length && !bad; i++) {
      const w = words[i]!;
      const next = () => words[++i];
      const t = w.text;
      if (i === words.length - 1 && routeValueMissing(r, words)) bad = true;
      else if (!dst && t in ROUTE_TYPES) type = t as RouteType;
      else if (t === 'inet6' || t === 'no_track' || t === 'to') continue;
      else if (t === 'src') route.src = r.ipToken(next() ?? w, 'route src') ?? undefined;
      else if (t === 'via' || t === 'gw') {
        let v = next();
        if (v?.text === 'inet' || v?.text === 'inet6') v = next();
        route.via = v ? (r.ipToken(v, 'route gateway') ?? undefined) : undefined;
      } else if (t === 'dev' || t === 'oif') route.dev = next()?.text;
      else if (t === 'scope') {
        const s = next();
        const n =
          s && (s.text in SCOPES ? SCOPES[s.text as keyof typeof SCOPES] : r.intToken(s, 0, 255, 'scope'));
        if (n !== null && n !== undefined) route.scope = n;
      } else if (t === 'table') {
        const n = table(r, next(), w);
        if (n !== null) route.table = n;
      } else if (t === 'metric' || t === 'priority' || t === 'preference') {
        const v = next();
        const n = v ? r.intToken(v, 0, 0xffffffff, 'route metric') : null;
        if (n !== null) route.metric = n;
      } else if (ROUTE_IGNORED_WITH_VALUE.has(t) || ROUTE_IGNORED_FLAGS.has(t)) {
        const v = ROUTE_IGNORED_WITH_VALUE.has(t) ? next() : undefined;
        r.sink.warning(
          w,
          `route option ${t}${v ? ` ${v.text}` : ''} is not supported by floatlb: the route is installed without it`,
        );
        if (t === 'nexthop') i = words.length; // the rest of the line describes the next hops
      } else if (!dst) {
        dst = prefix(r, w, w, inet6);
        if (!dst) bad = true;
      } else {
        // keepalived stops reading the route at a word it does not know.
        r.invalid(w, 'route option', 'src, via, gw, dev, scope, table, metric or a route type first');
        break;
      }
    }
    if (bad) continue;
    if (!dst) {
      r.dropped(c.name, 'virtual route without a destination: dropped, as keepalived does');
      continue;
    }
    const family = inet6 ? 6 : familyOf(dst.address);
    const mixed = [route.src, route.via].filter((a): a is string => !!a).some((a) => familyOf(a) !== family);
    if (mixed) {
      r.dropped(c.name, 'virtual route mixes IPv4 and IPv6 addresses: dropped');
      continue;
    }
    route = Object.fromEntries(Object.entries(route).filter(([, v]) => v !== undefined));
    out.push({ family, type, dst, ...route });
  }
  return out;
}

export function readRules(r: Reader, node: ConfigNode): RuleSpec[] {
  const out: RuleSpec[] = [];
  for (const c of node.children ?? []) {
    const words = [c.name, ...c.args];
    const inet6 = words.some((w) => w.text === 'inet6');
    const rule: { -readonly [K in keyof RuleSpec]?: RuleSpec[K] } = {};
    for (let i = 0; i < words.length; i++) {
      const w = words[i]!;
      const next = () => words[++i];
      const t = w.text;
      if (t === 'inet6' || t === 'no_track') continue;
      if (t === 'from' || t === 'to') {
        const p = prefix(r, next(), w, inet6);
        if (p && p.prefix > 0) rule[t] = p;
      } else if (t === 'table' || t === 'lookup') {
        const n = table(r, next(), w);
        if (n !== null) {
          rule.action = 'table';
          rule.table = n;
        }
      } else if (t === 'blackhole' || t === 'unreachable' || t === 'prohibit') rule.action = t;
      else if (t === 'priority' || t === 'preference' || t === 'pref') {
        const v = next();
        const n = v ? r.intToken(v, 0, 0xffffffff, 'rule priority') : null;
        if (n !== null) rule.priority = n;
      } else if (t === 'iif' || t === 'iifname' || t === 'dev') rule.iif = next()?.text;
      else if (t === 'oif' || t === 'oifname') rule.oif = next()?.text;
      else if (t === 'fwmark') {
        const v = next();
        const [m, k] = (v?.text ?? '').split('/');
        const num = (s: string | undefined) => (s && /^(0x[0-9a-f]+|\d+)$/i.test(s) ? Number(s) : null);
        if (v && num(m) !== null && (k === undefined || num(k) !== null)) {
          rule.fwmark = num(m)!;
          if (k !== undefined) rule.fwmask = num(k)!;
        } else if (v) r.invalid(v, 'fwmark', 'MARK or MARK/MASK');
      } else if (RULE_IGNORED_WITH_VALUE.has(t) || RULE_IGNORED_FLAGS.has(t)) {
        const v = RULE_IGNORED_WITH_VALUE.has(t) ? next() : undefined;
        r.sink.warning(
          w,
          `rule option ${t}${v ? ` ${v.text}` : ''} is not supported by floatlb: the rule is installed without it`,
        );
      } else r.invalid(w, 'rule option', 'from, to, table, priority, iif, oif, fwmark or an action');
    }
    if (!rule.action) {
      r.dropped(c.name, 'virtual rule without a table or an action: dropped, as keepalived does');
      continue;
    }
    const family = inet6 ? 6 : familyOf(rule.from?.address ?? rule.to?.address ?? '0.0.0.0');
    out.push({
      family,
      action: rule.action,
      ...Object.fromEntries(Object.entries(rule).filter(([k, v]) => k !== 'action' && v !== undefined)),
    });
  }
  return out;
}

// Routes and policy rules over rtnetlink: the vocabulary (RouteSpec,
// RuleSpec), the pure RTM_NEWROUTE / RTM_NEWRULE payloads, and a RouteTable
// that adds and removes them. VRRP installs virtual_routes and virtual_rules
// through the RouteTable interface; tests use the in-memory fake beside it.
import { type Attr, bytes, encodeAttrs, NLM_F_CREATE, NLM_F_EXCL, str, u32 } from './netlink/codec.js';
import type { Rtnl } from './rtnetlink.js';
import { AF_INET, AF_INET6 } from './sockaddr.js';
import { ipToBytes } from './vocabulary.js';

const RTM_NEWROUTE = 24;
const RTM_DELROUTE = 25;
const RTM_NEWRULE = 32;
const RTM_DELRULE = 33;

const RTA_DST = 1;
const RTA_OIF = 4;
const RTA_GATEWAY = 5;
const RTA_PRIORITY = 6;
const RTA_PREFSRC = 7;
const RTA_TABLE = 15;

const FRA_DST = 1;
const FRA_SRC = 2;
const FRA_IIFNAME = 3;
const FRA_PRIORITY = 6;
const FRA_FWMARK = 10;
const FRA_TABLE = 15;
const FRA_FWMASK = 16;
const FRA_OIFNAME = 17;
const FRA_PROTOCOL = 21;

/** keepalived's own routing protocol number (iproute2 names it "keepalived"). */
export const RTPROT_KEEPALIVED = 18;
export const RT_TABLE_MAIN = 254;

export const ROUTE_TYPES = { unicast: 1, blackhole: 6, unreachable: 7, prohibit: 8, throw: 9 } as const;
export type RouteType = keyof typeof ROUTE_TYPES;
export const RULE_ACTIONS = { table: 1, blackhole: 6, unreachable: 7, prohibit: 8 } as const;
export type RuleAction = keyof typeof RULE_ACTIONS;
export const SCOPES = { global: 0, universe: 0, site: 200, link: 253, host: 254, nowhere: 255 } as const;
export const TABLE_NAMES: Readonly<Record<string, number>> = { default: 253, main: 254, local: 255 };

export interface Prefix {
  readonly address: string;
  readonly prefix: number;
}

export interface RouteSpec {
  readonly family: 4 | 6;
  readonly type: RouteType;
  readonly dst: Prefix;
  /** Preferred source (`src`). */
  readonly src?: string;
  /** Next hop (`via` / `gw`). */
  readonly via?: string;
  readonly dev?: string;
  /** rtm_scope; absent: global, as keepalived leaves it (not `ip route add`'s link for a gateway-less route). */
  readonly scope?: number;
  readonly table?: number;
  readonly metric?: number;
}

export interface RuleSpec {
  readonly family: 4 | 6;
  readonly action: RuleAction;
  readonly from?: Prefix;
  readonly to?: Prefix;
  /** For action 'table'. */
  readonly table?: number;
  readonly priority?: number;
  readonly iif?: string;
  readonly oif?: string;
  readonly fwmark?: number;
  readonly fwmask?: number;
}

/** The scope of a route that names none: global, as keepalived 2.2.7 installs it. */
export function routeScope(r: RouteSpec): number {
  return r.scope ?? SCOPES.global;
}

/** Pure: the rtmsg and attributes; dev is resolved by the caller. */
export function encodeRoute(r: RouteSpec, oif: number | null): Buffer {
  const table = r.table ?? RT_TABLE_MAIN;
  const hdr = Buffer.alloc(12);
  hdr.writeUInt8(r.family === 4 ? AF_INET : AF_INET6, 0);
  hdr.writeUInt8(r.dst.prefix, 1);
  hdr.writeUInt8(table < 256 ? table : 0, 4);
  hdr.writeUInt8(RTPROT_KEEPALIVED, 5);
  hdr.writeUInt8(routeScope(r), 6);
  hdr.writeUInt8(ROUTE_TYPES[r.type], 7);
  const attrs: Attr[] = [u32(RTA_TABLE, table)];
  if (r.dst.prefix > 0) attrs.push(bytes(RTA_DST, ipToBytes(r.dst.address)));
  if (r.src) attrs.push(bytes(RTA_PREFSRC, ipToBytes(r.src)));
  if (r.via) attrs.push(bytes(RTA_GATEWAY, ipToBytes(r.via)));
  if (oif !== null) attrs.push(u32(RTA_OIF, oif));
  if (r.metric !== undefined) attrs.push(u32(RTA_PRIORITY, r.metric));
  return Buffer.concat([hdr, encodeAttrs(attrs)]);
}

/** Pure: the fib_rule_hdr and attributes. */
export function encodeRule(r: RuleSpec): Buffer {
  const table = r.action === 'table' ? (r.table ?? RT_TABLE_MAIN) : 0;
  const hdr = Buffer.alloc(12);
  hdr.writeUInt8(r.family === 4 ? AF_INET : AF_INET6, 0);
  hdr.writeUInt8(r.to?.prefix ?? 0, 1);
  hdr.writeUInt8(r.from?.prefix ?? 0, 2);
  hdr.writeUInt8(table < 256 ? table : 0, 4);
  hdr.writeUInt8(RULE_ACTIONS[r.action], 7);
  const attrs: Attr[] = [{ type: FRA_PROTOCOL, value: Buffer.from([RTPROT_KEEPALIVED]) }];
  if (r.action === 'table') attrs.push(u32(FRA_TABLE, table));
  if (r.from && r.from.prefix > 0) attrs.push(bytes(FRA_SRC, ipToBytes(r.from.address)));
  if (r.to && r.to.prefix > 0) attrs.push(bytes(FRA_DST, ipToBytes(r.to.address)));
  if (r.priority !== undefined) attrs.push(u32(FRA_PRIORITY, r.priority));
  if (r.iif) attrs.push(str(FRA_IIFNAME, r.iif));
  if (r.oif) attrs.push(str(FRA_OIFNAME, r.oif));
  if (r.fwmark !== undefined) attrs.push(u32(FRA_FWMARK, r.fwmark));
  if (r.fwmask !== undefined) attrs.push(u32(FRA_FWMASK, r.fwmask));
  return Buffer.concat([hdr, encodeAttrs(attrs)]);
}

/** The text `ip route` / `ip rule` would take, for logs and errors. */
export function describeRoute(r: RouteSpec): string {
  return [
    r.type === 'unicast' ? '' : `${r.type} `,
    `${r.dst.address}/${r.dst.prefix}`,
    r.src ? ` src ${r.src}` : '',
    r.via ? ` via ${r.via}` : '',
    r.dev ? ` dev ${r.dev}` : '',
    r.table !== undefined ? ` table ${r.table}` : '',
    r.metric !== undefined ? ` metric ${r.metric}` : '',
  ].join('');
}

export function describeRule(r: RuleSpec): string {
  return [
    r.from ? `from ${r.from.address}/${r.from.prefix} ` : '',
    r.to ? `to ${r.to.address}/${r.to.prefix} ` : '',
    r.iif ? `iif ${r.iif} ` : '',
    r.oif ? `oif ${r.oif} ` : '',
    r.fwmark !== undefined ? `fwmark ${r.fwmark}${r.fwmask !== undefined ? `/${r.fwmask}` : ''} ` : '',
    r.priority !== undefined ? `priority ${r.priority} ` : '',
    r.action === 'table' ? `table ${r.table ?? RT_TABLE_MAIN}` : r.action,
  ].join('');
}

/** Adds and removes routes and rules; adding what is there and removing what is not both succeed. */
export interface RouteTable {
  addRoute(r: RouteSpec): Promise<void>;
  deleteRoute(r: RouteSpec): Promise<void>;
  addRule(r: RuleSpec): Promise<void>;
  deleteRule(r: RuleSpec): Promise<void>;
}

const code = (e: unknown): string | undefined => (e as { code?: string }).code;

async function tolerate(p: Promise<unknown>, ok: readonly string[]): Promise<void> {
  try {
    await p;
  } catch (e) {
    if (!ok.includes(code(e) ?? '')) throw e;
  }
}

export class KernelRouteTable implements RouteTable {
  constructor(private readonly rtnl: Rtnl) {}

  private async oif(r: RouteSpec): Promise<number | null> {
    return r.dev ? (await this.rtnl.link(r.dev)).index : null;
  }

  async addRoute(r: RouteSpec): Promise<void> {
    const payload = encodeRoute(r, await this.oif(r));
    await tolerate(
      this.rtnl.nl.request({
        type: RTM_NEWROUTE,
        flags: NLM_F_CREATE | NLM_F_EXCL,
        payload,
        what: `add route ${describeRoute(r)}`,
      }),
      ['EEXIST'],
    );
  }

  async deleteRoute(r: RouteSpec): Promise<void> {
    let oif: number | null;
    try {
      oif = await this.oif(r);
    } catch (e) {
      // The interface is gone, and its routes with it.
      if (code(e) === 'ENODEV') return;
      throw e;
    }
    const payload = encodeRoute(r, oif);
    await tolerate(
      this.rtnl.nl.request({ type: RTM_DELROUTE, payload, what: `delete route ${describeRoute(r)}` }),
      ['ESRCH', 'ENOENT'],
    );
  }

  async addRule(r: RuleSpec): Promise<void> {
    await tolerate(
      this.rtnl.nl.request({
        type: RTM_NEWRULE,
        flags: NLM_F_CREATE | NLM_F_EXCL,
        payload: encodeRule(r),
        what: `add rule ${describeRule(r)}`,
      }),
      ['EEXIST'],
    );
  }

  async deleteRule(r: RuleSpec): Promise<void> {
    await tolerate(
      this.rtnl.nl.request({
        type: RTM_DELRULE,
        payload: encodeRule(r),
        what: `delete rule ${describeRule(r)}`,
      }),
      ['ENOENT', 'ESRCH'],
    );
  }
}

/** In memory, with the kernel's idempotence as KernelRouteTable presents it. */
export class FakeRouteTable implements RouteTable {
  readonly routes = new Map<string, RouteSpec>();
  readonly rules = new Map<string, RuleSpec>();
  /** Every call, in order, for tests that look at sequencing. */
  readonly log: string[] = [];

  async addRoute(r: RouteSpec): Promise<void> {
    this.log.push(`add route ${describeRoute(r)}`);
    this.routes.set(describeRoute(r), r);
  }

  async deleteRoute(r: RouteSpec): Promise<void> {
    this.log.push(`delete route ${describeRoute(r)}`);
    this.routes.delete(describeRoute(r));
  }

  async addRule(r: RuleSpec): Promise<void> {
    this.log.push(`add rule ${describeRule(r)}`);
    this.rules.set(describeRule(r), r);
  }

  async deleteRule(r: RuleSpec): Promise<void> {
    this.log.push(`delete rule ${describeRule(r)}`);
    this.rules.delete(describeRule(r));
  }
}

// static_ipaddress, static_routes and static_rules as keepalived 2.2.7 holds
// them: installed at start whatever the VRRP state, a reload applies the
// difference, and a stop removes them (rules, then routes, then addresses).
// Adding what is already there is success, so a restart does not blip them.
import type { FloatlbConfig, VirtualIp } from '../config/model.js';
import {
  describeRoute,
  describeRule,
  type RouteSpec,
  type RouteTable,
  type RuleSpec,
} from '../kernel/routes.js';
import { logger } from '../util/log.js';
import type { Vip } from '../vrrp/settings.js';
import type { VipManager } from '../vrrp/speaker.js';

const log = logger('daemon');

export interface StaticNet {
  readonly addresses: readonly Vip[];
  readonly routes: readonly RouteSpec[];
  readonly rules: readonly RuleSpec[];
}

export const NO_STATIC: StaticNet = { addresses: [], routes: [], rules: [] };

/** What the config asks for; an address without dev goes on default_interface (keepalived: eth0). */
export function staticFromConfig(c: FloatlbConfig): StaticNet {
  const ifname = c.globalDefs.defaultInterface ?? 'eth0';
  const toVip = (v: VirtualIp): Vip => ({
    address: v.address,
    prefixLen: v.prefix,
    ifname: v.dev ?? ifname,
    ...(v.label ? { label: v.label } : {}),
  });
  return { addresses: c.staticIpaddress.map(toVip), routes: c.staticRoutes, rules: c.staticRules };
}

const keyA = (v: Vip) => `${v.address}/${v.prefixLen} dev ${v.ifname}`;
const minus = <T>(a: readonly T[], b: readonly T[], k: (x: T) => string): T[] => {
  const inB = new Set(b.map(k));
  return a.filter((x) => !inB.has(k(x)));
};

/** Pure: what goes from `held` to `next`. */
export function diffStatic(held: StaticNet, next: StaticNet): { add: StaticNet; remove: StaticNet } {
  return {
    add: {
      addresses: minus(next.addresses, held.addresses, keyA),
      routes: minus(next.routes, held.routes, describeRoute),
      rules: minus(next.rules, held.rules, describeRule),
    },
    remove: {
      addresses: minus(held.addresses, next.addresses, keyA),
      routes: minus(held.routes, next.routes, describeRoute),
      rules: minus(held.rules, next.rules, describeRule),
    },
  };
}

export class StaticNetwork {
  private held: StaticNet = NO_STATIC;
  /** Kernel calls that failed (each is logged). */
  errors = 0;

  constructor(
    private readonly addrs: VipManager,
    private readonly table: RouteTable,
  ) {}

  /** Brings the kernel to `next`: removals first (rules, routes, addresses), then additions. */
  async apply(next: StaticNet): Promise<void> {
    const { add, remove } = diffStatic(this.held, next);
    await this.remove(remove);
    for (const a of add.addresses) await this.run(`add address ${keyA(a)}`, () => this.addrs.add(a));
    for (const r of add.routes) await this.run(`add route ${describeRoute(r)}`, () => this.table.addRoute(r));
    for (const r of add.rules) await this.run(`add rule ${describeRule(r)}`, () => this.table.addRule(r));
    this.held = next;
  }

  /** The stop: everything static goes. */
  async release(): Promise<void> {
    await this.remove(this.held);
    this.held = NO_STATIC;
  }

  private async remove(s: StaticNet): Promise<void> {
    for (const r of s.rules) await this.run(`delete rule ${describeRule(r)}`, () => this.table.deleteRule(r));
    for (const r of s.routes)
      await this.run(`delete route ${describeRoute(r)}`, () => this.table.deleteRoute(r));
    for (const a of s.addresses) await this.run(`delete address ${keyA(a)}`, () => this.addrs.remove(a));
  }

  private async run(what: string, f: () => Promise<void>): Promise<void> {
    try {
      await f();
    } catch (e) {
      this.errors++;
      log.error({ err: (e as Error).message }, `static: could not ${what}`);
    }
  }
}

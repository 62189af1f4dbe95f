// static_ipaddress, static_routes and static_rules as keepalived 2.2.7 holds
// them: installed at start whatever the VRRP state, a reload applies the
// difference, and a stop removes them (rules, then routes, then addresses).
// Adding what is already there is success, so a restart does not blip them.
import type { FloatlbConfig, VirtualIp } from '../config/model.js';
import type { RouteSpec, RouteTable, RuleSpec } from '../kernel/routes.js';
import { logger } from '../util/log.js';
import type { Vip } from '../vrrp/settings.js';
import type { VipManager } from '../vrrp/speaker-seams.js';
import { applyRoutes, diffRoutes, minus } from '../vrrp/virtual-routes.js';

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

/** Pure: what goes from `held` to `next`; routes and rules compare as virtual_routes do. */
export function diffStatic(held: StaticNet, next: StaticNet): { add: StaticNet; remove: StaticNet } {
  const { added, removed } = diffRoutes(held, next);
  return {
    add: { addresses: minus(next.addresses, held.addresses, keyA), ...added },
    remove: { addresses: minus(held.addresses, next.addresses, keyA), ...removed },
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
    this.errors += await applyRoutes(this.table, 'add', add, 'static');
    this.held = next;
  }

  /** The stop: everything static goes. */
  async release(): Promise<void> {
    await this.remove(this.held);
    this.held = NO_STATIC;
  }

  private async remove(s: StaticNet): Promise<void> {
    this.errors += await applyRoutes(this.table, 'remove', s, 'static');
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

// virtual_routes and virtual_rules as a master holds them: routes after the
// VIPs (a route may name a VIP as its source), rules after the routes, and
// the reverse on the way out, as keepalived orders them.
import {
  describeRoute,
  describeRule,
  type RouteSpec,
  type RouteTable,
  type RuleSpec,
} from '../kernel/routes.js';
import { logger } from '../util/log.js';

const log = logger('vrrp');

export interface HeldRoutes {
  readonly routes: readonly RouteSpec[];
  readonly rules: readonly RuleSpec[];
}

export const NO_ROUTES: HeldRoutes = { routes: [], rules: [] };

/** Installs or removes them all; a failure is logged and counted, the rest still go. */
export async function applyRoutes(
  table: RouteTable,
  op: 'add' | 'remove',
  held: HeldRoutes,
  instance: string,
): Promise<number> {
  let failed = 0;
  const run = async (what: string, f: () => Promise<void>) => {
    try {
      await f();
    } catch (e) {
      failed++;
      log.error({ instance, err: (e as Error).message }, `(${instance}) could not ${op} ${what}`);
    }
  };
  if (op === 'add') {
    for (const r of held.routes) await run(`route ${describeRoute(r)}`, () => table.addRoute(r));
    for (const r of held.rules) await run(`rule ${describeRule(r)}`, () => table.addRule(r));
  } else {
    for (const r of held.rules) await run(`rule ${describeRule(r)}`, () => table.deleteRule(r));
    for (const r of held.routes) await run(`route ${describeRoute(r)}`, () => table.deleteRoute(r));
  }
  return failed;
}

/** The items of `a` whose key is not among `b`'s. */
export function minus<T>(a: readonly T[], b: readonly T[], k: (x: T) => string): T[] {
  const inB = new Set(b.map(k));
  return a.filter((x) => !inB.has(k(x)));
}

/** What a reload adds and removes: routes and rules compared by what they program. */
export function diffRoutes(
  before: HeldRoutes,
  after: HeldRoutes,
): { added: HeldRoutes; removed: HeldRoutes } {
  const keyR = (r: RouteSpec) => JSON.stringify(r);
  const keyU = (r: RuleSpec) => JSON.stringify(r);
  return {
    added: {
      routes: minus(after.routes, before.routes, keyR),
      rules: minus(after.rules, before.rules, keyU),
    },
    removed: {
      routes: minus(before.routes, after.routes, keyR),
      rules: minus(before.rules, after.rules, keyU),
    },
  };
}

// The control API as one table: method, path, parameters, schemas and
// handler per row. The server dispatches on it and /v1/openapi.json is
// generated from it (openapi.ts).

import type { PoolStatus } from '../director/desired.js';
import { type Director, DirectorError } from '../director/director.js';
import { type Ip, parseIp } from '../kernel/vocabulary.js';
import { openapi } from './openapi.js';
import {
  adminOpsSchema,
  anyObject,
  linkSchema,
  memberStateSchema,
  opsSchema,
  poolJson,
  poolSchema,
  poolsSchema,
  realServerBody,
  serviceJson,
  servicesSchema,
  statusSchema,
} from './schemas.js';
import {
  BadRequest,
  defineRoute,
  fail,
  matchPath,
  ok,
  type Reply,
  type Route,
  type RouteContext,
  type Schema,
} from './table.js';

export type { Json, ReloadReport, Reply, RouteContext } from './table.js';
export { BadRequest, serviceJson };

export type MemberVerdict = 'running' | 'abnormal' | 'stopped';

/**
 * The member's state as checkLB.sh reports it: linked and healthy is
 * running, linked but unhealthy (or pools disagree) is abnormal, and
 * unlinked is stopped.
 */
export function memberVerdict(
  pools: readonly PoolStatus[],
  node: string,
): { verdict: MemberVerdict; why: string } {
  const entries = pools.flatMap((p) => p.members.filter((m) => m.node === node).map((m) => ({ p, m })));
  const linked = entries.filter((e) => e.m.link === 'linked');
  if (linked.length === 0) return { verdict: 'stopped', why: 'not linked' };
  if (linked.length !== entries.length)
    return { verdict: 'abnormal', why: 'linked on some ports of the VIP only' };
  const sick = linked.find((e) => !e.m.healthy);
  if (sick) return { verdict: 'abnormal', why: `fails health checks on port ${sick.m.port}` };
  const off = linked.find((e) => !e.m.weight);
  if (off) return { verdict: 'abnormal', why: `linked but carries no weight on port ${off.m.port}` };
  const dis = linked.find((e) => e.p.disagreement);
  if (dis) return { verdict: 'abnormal', why: dis.p.disagreement! };
  return { verdict: 'running', why: 'linked and healthy' };
}

/**
 * The canonical address, as the config model holds it: 2001:DB8:0::50 finds
 * 2001:db8::50. Leading zeros in IPv4, zone indexes and names are refused.
 */
function ip(text: string, what: string): Ip {
  const a = parseIp(text);
  if (a === null) throw new BadRequest(`${what} ${JSON.stringify(text)} is not an IPv4 or IPv6 address`);
  return a;
}

function field(body: Readonly<Record<string, unknown>>, name: string): string {
  const v = body[name];
  if (typeof v !== 'string' || !v) throw new BadRequest(`body field "${name}" must be a non-empty string`);
  return v;
}

/**
 * Desired state is only half the answer: when the kernel refused the last
 * changes, a member that should be running is reported abnormal.
 */
function kernelAgrees(
  d: Director,
  v: { verdict: MemberVerdict; why: string },
): { verdict: MemberVerdict; why: string } {
  const errors = d.lastReconcile?.errors ?? [];
  if (v.verdict !== 'running' || errors.length === 0) return v;
  return { verdict: 'abnormal', why: `the data plane refused changes: ${errors[0]}` };
}

/** The member's verdict, or the 404 that says which of VIP and node is unknown. */
function member(d: Director, p: { vip: string; node: string }) {
  const vip = ip(p.vip, 'LB IP');
  const pools = d.poolsForVip(vip);
  const node = ip(p.node, 'node');
  if (!pools.length) return fail(404, `no virtual server answers on ${vip}`);
  if (!pools.some((x) => x.members.some((m) => m.node === node)))
    return fail(404, `${node} is not a real server behind ${vip}`);
  return { vip, node, ...kernelAgrees(d, memberVerdict(pools, node)) };
}

async function setLink(ctx: RouteContext, p: { vip: string; node: string }, to: 'linked' | 'unlinked') {
  const d = ctx.director;
  const vip = ip(p.vip, 'LB IP');
  const node = ip(p.node, 'node');
  const r = await d.setLink(vip, node, to);
  const v = memberVerdict(d.poolsForVip(vip), node);
  const body = {
    vip,
    node,
    state: v.verdict,
    operations: r.ops.length,
    errors: [...r.errors],
    persisted: r.persisted,
  };
  if (r.errors.length) return { status: 500, body, text: r.errors.join('; ') };
  return ok(body, v.verdict);
}

async function override(
  ctx: RouteContext,
  body: Readonly<Record<string, unknown>> | null,
  o: (b: Readonly<Record<string, unknown>>) => { drain?: boolean; weight?: number } | null,
): Promise<Reply> {
  if (!body) throw new BadRequest('a JSON body is required');
  const vs = field(body, 'virtualServer');
  const server = field(body, 'server');
  if (body.durable !== undefined && typeof body.durable !== 'boolean')
    throw new BadRequest('body field "durable" must be a boolean');
  // The reply comes when the kernel committed; `persisted` says whether the
  // admin state was durable by then (`durable: true` waits for it).
  const r = await ctx.director.setOverride(vs, server, o(body), { durable: body.durable === true });
  return {
    status: r.errors.length ? 500 : 200,
    body: { operations: r.ops.length, errors: [...r.errors], persisted: r.persisted },
  };
}

const VIP = 'The LB IP (VIP), IPv4 or IPv6.';
const NODE = "A real server's address (the node's own IP).";
const member2 = { vip: VIP, node: NODE };

const rows = [
  defineRoute({
    method: 'GET',
    path: '/v1/status',
    summary: 'Director status: data plane, pools, counters, VRRP.',
    response: statusSchema,
    handler(ctx) {
      const d = ctx.director;
      return ok({
        plane: d.plane.kind,
        planeReason: ctx.planeReason ?? null,
        configFile: ctx.configFile,
        startedAt: ctx.startedAt.toISOString(),
        counters: { ...d.counters },
        lastReconcile: d.lastReconcile
          ? { operations: d.lastReconcile.ops.length, errors: [...d.lastReconcile.errors] }
          : null,
        configWarnings: [...d.configWarnings, ...d.globalWarnings],
        refusedServices: d.refusedServices(),
        pools: d.poolsStatus().map(poolJson),
        vrrp: ctx.vrrp(),
      });
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/services',
    summary: 'Virtual services as the kernel holds them, with stats.',
    response: servicesSchema,
    async handler(ctx) {
      return ok((await ctx.director.plane.list()).map(serviceJson));
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/pools',
    summary: 'Every pool with its members, links and health.',
    response: poolsSchema,
    handler: (ctx) => ok(ctx.director.poolsStatus().map(poolJson)),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/pools/{vip}',
    summary: 'Pools answering on one VIP.',
    params: { vip: VIP },
    response: { type: 'array', items: poolSchema },
    handler(ctx, { params }) {
      const vip = ip(params.vip, 'LB IP');
      const pools = ctx.director.poolsForVip(vip);
      if (!pools.length) return fail(404, `no virtual server answers on ${vip}`);
      return ok(pools.map(poolJson));
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/pools/{vip}/members/{node}',
    summary: "A member's state: running (linked, healthy), abnormal, or stopped (unlinked), with the reason.",
    params: member2,
    response: memberStateSchema,
    handler(ctx, { params }) {
      const m = member(ctx.director, params);
      if ('status' in m) return m;
      return ok({ vip: m.vip, node: m.node, state: m.verdict, reason: m.why });
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/pools/{vip}/members/{node}/state',
    summary: "The member's state as one word of plain text (running, abnormal or stopped), for scripts.",
    params: member2,
    response: { type: 'string', enum: ['running', 'abnormal', 'stopped'] },
    produces: 'text',
    handler(ctx, { params }) {
      const m = member(ctx.director, params);
      if ('status' in m) return m;
      return ok(m.verdict, m.verdict);
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/pools/{vip}/members/{node}/link',
    summary: 'Make the node carry weight; in an active/standby pool every other member is unlinked.',
    params: member2,
    response: linkSchema,
    produces: 'json-or-text',
    handler: (ctx, { params }) => setLink(ctx, params, 'linked'),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/pools/{vip}/members/{node}/unlink',
    summary: 'Hold the node at weight 0.',
    params: member2,
    response: linkSchema,
    produces: 'json-or-text',
    handler: (ctx, { params }) => setLink(ctx, params, 'unlinked'),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/realservers/drain',
    summary: 'Weight 0 until undrained.',
    requestBody: realServerBody,
    response: adminOpsSchema,
    handler: (ctx, { body }) => override(ctx, body, () => ({ drain: true })),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/realservers/undrain',
    summary: 'End a drain.',
    requestBody: realServerBody,
    response: adminOpsSchema,
    handler: (ctx, { body }) => override(ctx, body, () => ({ drain: false })),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/realservers/weight',
    summary: 'Override the weight (null clears it).',
    requestBody: realServerBody,
    response: adminOpsSchema,
    handler: (ctx, { body }) =>
      override(ctx, body, (b) => {
        if (b.weight === null) return null;
        if (typeof b.weight !== 'number')
          throw new BadRequest('body field "weight" must be a number or null');
        return { weight: b.weight };
      }),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/reload',
    summary: 'Re-read the config and apply only the difference.',
    response: {
      ...opsSchema,
      properties: { ...(opsSchema.properties as Schema), warnings: { type: 'array' } },
    },
    async handler(ctx) {
      const r = await ctx.reload();
      return ok({ operations: r.operations, errors: [...r.errors], warnings: [...r.warnings] });
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/vrrp',
    summary: 'VRRP instances and their state.',
    response: anyObject,
    handler: (ctx) => ok(ctx.vrrp()),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/openapi.json',
    summary: 'This description.',
    response: anyObject,
    handler: () => ok(openapi(ROUTES)),
  }),
  defineRoute({
    method: 'GET',
    path: '/metrics',
    summary: 'Prometheus metrics.',
    response: { type: 'string' },
    produces: 'text',
    async handler(ctx) {
      if (!ctx.metrics) return fail(404, 'no metrics registry');
      const m = await ctx.metrics();
      return { status: 200, body: null, text: m.text, contentType: m.contentType };
    },
  }),
];
export const ROUTES: readonly Route[] = rows;

/** The row for a request, with its decoded path parameters. */
export function findRoute(
  method: string,
  path: string,
): { route: Route; params: Record<string, string> } | null {
  for (const r of ROUTES) {
    if (r.method !== method) continue;
    const params = matchPath(r.path, path);
    if (params) return { route: r, params };
  }
  return null;
}

export async function route(
  ctx: RouteContext,
  method: string,
  path: string,
  body: Record<string, unknown> | null,
): Promise<Reply> {
  const found = findRoute(method, path);
  if (!found) return fail(404, `no route ${method} ${path}`);
  try {
    return await found.route.handler(ctx, { params: found.params, body });
  } catch (e) {
    if (e instanceof BadRequest) return fail(400, e.message);
    if (e instanceof DirectorError) return fail(e.status, e.message);
    throw e;
  }
}

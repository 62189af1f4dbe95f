// Control API handlers. Each returns [status, body]; the server does
// transport, authentication and logging.

import type { PoolStatus } from '../director/desired.js';
import { type Director, DirectorError } from '../director/director.js';
import type { DataPlane, ServiceState, Stats } from '../kernel/dataplane.js';
import { serviceId } from '../kernel/dataplane.js';
import { type Ip, parseIp, schedFlagNames } from '../kernel/vocabulary.js';
import { OPENAPI } from './openapi.js';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type Reply = readonly [number, Json];

export class BadRequest extends Error {}

export interface RouteContext {
  readonly director: Director;
  readonly vrrp: () => Json;
  readonly startedAt: Date;
  readonly configFile: string;
  /** Why this data plane was chosen (shown in status). */
  readonly planeReason?: string;
  /** The process's one reload, the same that SIGHUP runs. */
  readonly reload: () => Promise<ReloadReport>;
}

/** What a reload did: data-plane operations, their errors, config warnings. */
export interface ReloadReport {
  readonly operations: number;
  readonly errors: readonly string[];
  readonly warnings: readonly string[];
}

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

function stats(s: Stats | null): Json {
  if (!s) return null;
  return Object.fromEntries(Object.entries(s).map(([k, v]) => [k, Number(v)]));
}

export function serviceJson(s: ServiceState): Json {
  return {
    id: serviceId(s.key),
    key: s.key as unknown as Json,
    scheduler: s.scheduler,
    flags: schedFlagNames(s.scheduler, s.flags),
    persistence: s.persistence as unknown as Json,
    stats: stats(s.stats),
    servers: s.dests.map((d) => ({
      address: d.address,
      port: d.port,
      forwarding: d.forwarding,
      weight: d.weight,
      activeConns: d.activeConns,
      inactiveConns: d.inactiveConns,
      stats: stats(d.stats),
    })),
  };
}

/** The canonical address, as the config model holds it: 2001:DB8:0::50 finds 2001:db8::50. */
function ip(text: string | undefined, what: string): Ip {
  const v = decodeURIComponent(text ?? '');
  const a = parseIp(v);
  if (a === null) throw new BadRequest(`${what} ${JSON.stringify(v)} is not an IPv4 or IPv6 address`);
  return a;
}

function field(body: Record<string, unknown>, name: string): string {
  const v = body[name];
  if (typeof v !== 'string' || !v) throw new BadRequest(`body field "${name}" must be a non-empty string`);
  return v;
}

async function planeServices(plane: DataPlane): Promise<Json> {
  return (await plane.list()).map(serviceJson);
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

export async function route(
  ctx: RouteContext,
  method: string,
  path: string,
  body: Record<string, unknown> | null,
): Promise<Reply> {
  const d = ctx.director;
  const parts = path.split('?')[0]!.split('/').filter(Boolean);
  const is = (m: string, ...p: string[]) =>
    method === m && parts.length === p.length && p.every((x, i) => x === '*' || x === parts[i]);

  try {
    if (is('GET', 'v1', 'status')) {
      return [
        200,
        {
          plane: d.plane.kind,
          planeReason: ctx.planeReason ?? null,
          configFile: ctx.configFile,
          startedAt: ctx.startedAt.toISOString(),
          counters: d.counters,
          lastReconcile: d.lastReconcile
            ? { operations: d.lastReconcile.ops.length, errors: [...d.lastReconcile.errors] }
            : null,
          configWarnings: d.configWarnings,
          pools: d.poolsStatus() as unknown as Json,
          vrrp: ctx.vrrp(),
        },
      ];
    }
    if (is('GET', 'v1', 'services')) return [200, await planeServices(d.plane)];
    if (is('GET', 'v1', 'pools')) return [200, d.poolsStatus() as unknown as Json];
    if (is('GET', 'v1', 'pools', '*')) {
      const vip = ip(parts[2], 'LB IP');
      const pools = d.poolsForVip(vip);
      if (!pools.length) return [404, { error: `no virtual server answers on ${vip}` }];
      return [200, pools as unknown as Json];
    }
    if (is('GET', 'v1', 'pools', '*', 'members', '*')) {
      const vip = ip(parts[2], 'LB IP');
      const pools = d.poolsForVip(vip);
      const node = ip(parts[4], 'node');
      if (!pools.length) return [404, { error: `no virtual server answers on ${vip}` }];
      if (!pools.some((p) => p.members.some((m) => m.node === node))) {
        return [404, { error: `${node} is not a real server behind ${vip}` }];
      }
      const v = kernelAgrees(d, memberVerdict(pools, node));
      return [200, { vip, node, state: v.verdict, reason: v.why }];
    }
    if (
      is('POST', 'v1', 'pools', '*', 'members', '*', 'link') ||
      is('POST', 'v1', 'pools', '*', 'members', '*', 'unlink')
    ) {
      const vip = ip(parts[2], 'LB IP');
      const node = ip(parts[4], 'node');
      const r = await d.setLink(vip, node, parts[5] === 'link' ? 'linked' : 'unlinked');
      const v = memberVerdict(d.poolsForVip(vip), node);
      return [
        r.errors.length ? 500 : 200,
        { vip, node, state: v.verdict, operations: r.ops.length, errors: [...r.errors] },
      ];
    }
    if (method === 'POST' && parts[0] === 'v1' && parts[1] === 'realservers' && parts.length === 3) {
      if (!body) throw new BadRequest('a JSON body is required');
      const vs = field(body, 'virtualServer');
      const server = field(body, 'server');
      let o: { drain?: boolean; weight?: number } | null;
      if (parts[2] === 'drain') o = { drain: true };
      else if (parts[2] === 'undrain') o = { drain: false };
      else if (parts[2] === 'weight') {
        if (body.weight === null) o = null;
        else if (typeof body.weight !== 'number')
          throw new BadRequest('body field "weight" must be a number or null');
        else o = { weight: body.weight };
      } else return [404, { error: `no action ${parts[2]}` }];
      const r = await d.setOverride(vs, server, o);
      return [r.errors.length ? 500 : 200, { operations: r.ops.length, errors: [...r.errors] }];
    }
    if (is('POST', 'v1', 'reload')) {
      const r = await ctx.reload();
      return [200, { operations: r.operations, errors: [...r.errors], warnings: [...r.warnings] }];
    }
    if (is('GET', 'v1', 'vrrp')) return [200, ctx.vrrp()];
    if (is('GET', 'v1', 'openapi.json')) return [200, OPENAPI as unknown as Json];
    return [404, { error: `no route ${method} ${path}` }];
  } catch (e) {
    if (e instanceof BadRequest) return [400, { error: e.message }];
    if (e instanceof DirectorError) return [e.status, { error: e.message }];
    throw e;
  }
}

// JSON Schemas of the control API's bodies, and the mappers that turn the
// director's and the data plane's types into exactly those bodies.
import type { MemberStatus, PoolStatus } from '../director/desired.js';
import type { Persistence, ServiceKey, ServiceState, Stats } from '../kernel/dataplane.js';
import { serviceId } from '../kernel/dataplane.js';
import { formatNetmask, schedFlagNames } from '../kernel/vocabulary.js';
import type { Json, Schema } from './table.js';

const str = { type: 'string' } as const;
const int = { type: 'integer' } as const;
const bool = { type: 'boolean' } as const;
const nullable = (type: string): Schema => ({ type: [type, 'null'] });
const obj = (properties: Record<string, Schema>, required = Object.keys(properties)): Schema => ({
  type: 'object',
  properties,
  required,
});
const arr = (items: Schema): Schema => ({ type: 'array', items });

export const errorSchema = obj({ error: str });
export const anyObject: Schema = { type: 'object' };
export const opsSchema = obj({ operations: int, errors: arr(str) });
/** An admin change: the kernel's outcome, and whether the admin state was on disk before the reply. */
export const adminOpsSchema = obj({ operations: int, errors: arr(str), persisted: bool });

export const memberSchema = obj({
  node: str,
  port: int,
  link: { type: 'string', enum: ['linked', 'unlinked'] },
  healthy: bool,
  roleUp: nullable('boolean'),
  weight: nullable('integer'),
});

export const poolSchema = obj({
  id: str,
  vip: nullable('string'),
  activeStandby: bool,
  active: nullable('string'),
  members: arr(memberSchema),
  quorumUp: bool,
  sorryServerInUse: bool,
  disagreement: nullable('string'),
});
export const poolsSchema = arr(poolSchema);

export const memberStateSchema = obj({
  vip: str,
  node: str,
  state: { type: 'string', enum: ['running', 'abnormal', 'stopped'] },
  reason: str,
});

export const linkSchema = obj({
  vip: str,
  node: str,
  state: { type: 'string', enum: ['running', 'abnormal', 'stopped'] },
  operations: int,
  errors: arr(str),
  persisted: bool,
});

const statsSchema: Schema = { type: ['object', 'null'], additionalProperties: { type: 'number' } };

export const servicesSchema = arr(
  obj({
    id: str,
    key: obj(
      {
        kind: { type: 'string', enum: ['ip', 'fwmark'] },
        family: { type: 'string', enum: ['inet', 'inet6'] },
        protocol: str,
        address: str,
        port: int,
        fwmark: int,
      },
      ['kind', 'family'],
    ),
    scheduler: str,
    flags: arr(str),
    persistence: { type: ['object', 'null'], properties: { timeoutSec: int, prefix: int, netmask: str } },
    stats: statsSchema,
    servers: arr(
      obj({
        address: str,
        port: int,
        forwarding: str,
        weight: int,
        activeConns: int,
        inactiveConns: int,
        stats: statsSchema,
      }),
    ),
  }),
);

export const statusSchema = obj({
  plane: str,
  planeReason: nullable('string'),
  configFile: str,
  startedAt: { type: 'string', format: 'date-time' },
  counters: anyObject,
  lastReconcile: { type: ['object', 'null'], properties: { operations: int, errors: arr(str) } },
  configWarnings: arr(str),
  /** Services the data plane cannot program, each with the reason and the nearest supported setting. */
  refusedServices: arr(obj({ service: str, reason: str })),
  pools: poolsSchema,
  vrrp: {},
});

export const realServerBody = obj(
  {
    virtualServer: { type: 'string', examples: ['tcp/10.0.0.200:80'] },
    server: { type: 'string', examples: ['10.0.0.11:80'] },
    weight: { type: ['integer', 'null'], minimum: 0, maximum: 65535 },
    durable: {
      type: 'boolean',
      description:
        'Reply only once the admin state is on disk (fsync). Default: reply when the kernel has the change; the reply says `persisted`.',
    },
  },
  ['virtualServer', 'server'],
);

function memberJson(m: MemberStatus): Json {
  return {
    node: m.node,
    port: m.port,
    link: m.link,
    healthy: m.healthy,
    roleUp: m.roleUp,
    weight: m.weight,
  };
}

export function poolJson(p: PoolStatus): Json {
  return {
    id: p.id,
    vip: p.vip,
    activeStandby: p.activeStandby,
    active: p.active,
    members: p.members.map(memberJson),
    quorumUp: p.quorumUp,
    sorryServerInUse: p.sorryServerInUse,
    disagreement: p.disagreement,
  };
}

function keyJson(k: ServiceKey): Json {
  return k.kind === 'ip'
    ? { kind: k.kind, family: k.family, protocol: k.protocol, address: k.address, port: k.port }
    : { kind: k.kind, family: k.family, fwmark: k.fwmark };
}

function persistenceJson(p: Persistence | null, family: 'inet' | 'inet6'): Json {
  return p ? { timeoutSec: p.timeoutSec, prefix: p.prefix, netmask: formatNetmask(family, p.prefix) } : null;
}

function statsJson(s: Stats | null): Json {
  if (!s) return null;
  return Object.fromEntries(Object.entries(s).map(([k, v]) => [k, Number(v)]));
}

export function serviceJson(s: ServiceState): Json {
  return {
    id: serviceId(s.key),
    key: keyJson(s.key),
    scheduler: s.scheduler,
    flags: schedFlagNames(s.scheduler, s.flags),
    persistence: persistenceJson(s.persistence, s.key.family),
    stats: statsJson(s.stats),
    servers: s.dests.map((d) => ({
      address: d.address,
      port: d.port,
      forwarding: d.forwarding,
      weight: d.weight,
      activeConns: d.activeConns,
      inactiveConns: d.inactiveConns,
      stats: statsJson(d.stats),
    })),
  };
}

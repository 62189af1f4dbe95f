// Pure: the fewest data-plane operations that turn what the kernel holds into
// what is desired. Services floatlb does not own are never touched.
import {
  type DataPlaneOp,
  type DestSpec,
  destId,
  type ServiceSpec,
  type ServiceState,
  serviceId,
} from '../kernel/dataplane.js';
import type { DesiredService } from './desired.js';

export function sameService(a: ServiceSpec, b: ServiceSpec): boolean {
  if (a.scheduler !== b.scheduler || a.flags !== b.flags) return false;
  if ((a.pe ?? '') !== (b.pe ?? '')) return false;
  const pa = a.persistence;
  const pb = b.persistence;
  if (!pa || !pb) return !pa && !pb;
  return pa.timeoutSec === pb.timeoutSec && pa.prefix === pb.prefix;
}

export function sameDest(a: DestSpec, b: DestSpec): boolean {
  const tun = (d: DestSpec) =>
    d.forwarding === 'tun'
      ? `${d.tunnel?.type ?? 'ipip'}/${d.tunnel?.port ?? 0}/${d.tunnel?.csum ?? 'nocsum'}`
      : '';
  return (
    a.weight === b.weight &&
    a.forwarding === b.forwarding &&
    a.upperThreshold === b.upperThreshold &&
    a.lowerThreshold === b.lowerThreshold &&
    tun(a) === tun(b)
  );
}

export interface DiffResult {
  readonly ops: readonly DataPlaneOp[];
  /** Ids of every service floatlb now owns (desired ones). */
  readonly owned: ReadonlySet<string>;
}

/**
 * actual: what the kernel holds (by serviceId, or listed). ownedBefore:
 * services floatlb created earlier, which it may delete when they leave the
 * config; null for a partial diff of only the services given, which deletes
 * no service.
 */
export function diffServices(
  desired: readonly DesiredService[],
  actual: readonly ServiceState[] | ReadonlyMap<string, ServiceState>,
  ownedBefore: ReadonlySet<string> | null,
): DiffResult {
  const byId: ReadonlyMap<string, ServiceState> =
    actual instanceof Map
      ? actual
      : new Map((actual as readonly ServiceState[]).map((s) => [serviceId(s.key), s]));
  const adds: DataPlaneOp[] = [];
  const updates: DataPlaneOp[] = [];
  const removals: DataPlaneOp[] = [];
  const owned = new Set<string>();

  for (const d of desired) {
    const id = serviceId(d.spec.key);
    if (owned.has(id)) continue; // two config blocks for one service: the first wins
    owned.add(id);
    const cur = byId.get(id);
    if (!cur) {
      adds.push({ op: 'add-service', service: d.spec });
      for (const dest of d.dests) adds.push({ op: 'add-dest', key: d.spec.key, dest });
      continue;
    }
    if (!sameService(cur, d.spec)) updates.push({ op: 'update-service', service: d.spec });
    const curDests = new Map(cur.dests.map((x) => [destId(x), x]));
    const want = new Set<string>();
    for (const dest of d.dests) {
      const did = destId(dest);
      want.add(did);
      const c = curDests.get(did);
      if (!c) adds.push({ op: 'add-dest', key: d.spec.key, dest });
      else if (!sameDest(c, dest)) updates.push({ op: 'update-dest', key: d.spec.key, dest });
    }
    for (const [did, c] of curDests) {
      if (!want.has(did))
        removals.push({ op: 'delete-dest', key: d.spec.key, dest: { address: c.address, port: c.port } });
    }
  }
  if (ownedBefore)
    for (const [id, s] of byId) {
      if (!owned.has(id) && ownedBefore.has(id)) removals.push({ op: 'delete-service', key: s.key });
    }
  return { ops: [...adds, ...updates, ...removals], owned };
}

export function describeOp(op: DataPlaneOp): string {
  const svc = 'service' in op ? serviceId(op.service.key) : serviceId(op.key);
  if (op.op === 'add-dest' || op.op === 'update-dest') {
    return `${op.op} ${svc} -> ${destId(op.dest)} ${op.dest.forwarding} w=${op.dest.weight}`;
  }
  if (op.op === 'delete-dest') return `${op.op} ${svc} -> ${destId(op.dest)}`;
  if (op.op === 'delete-service') return `${op.op} ${svc}`;
  return `${op.op} ${svc} ${op.service.scheduler}`;
}

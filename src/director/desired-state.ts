// What each configured virtual server wants, kept between reconciles so that
// a health event or an admin change recomputes only the virtual servers it
// touches (by their index in the config) instead of the whole config.
import type { FloatlbConfig } from '../config/index.js';
import type { VirtualServer } from '../config/model.js';
import { type DataPlane, serviceId } from '../kernel/dataplane.js';
import { logger } from '../util/log.js';
import type { AdminState } from './admin-state.js';
import type { PlannedTarget } from './checks.js';
import {
  type DesiredService,
  desiredForVirtualServer,
  type HealthResult,
  type PoolStatus,
  type VirtualServerDesired,
  virtualServerId,
  virtualServerVip,
} from './desired.js';

const log = logger('director');

export interface TargetResult {
  readonly up: boolean;
  readonly weight?: number;
  readonly weightDelta?: number;
}

export class DesiredState {
  private perVs: VirtualServerDesired[] = [];
  private byVsId = new Map<string, number[]>();
  private byVip = new Map<string, number[]>();
  /** Which virtual server programs each service (two config blocks for one service: the first). */
  private owner = new Map<string, number>();
  private health = new Map<string, HealthResult>();
  private roles = new Map<string, boolean>();
  quorum = new Map<string, boolean>();
  private refused = new Map<string, string>();
  /** Virtual servers computed since start (tests see that a change recomputes only its own). */
  computed = 0;

  /** quorumChange: a quorum transition; a new service that starts without quorum counts as one. */
  constructor(private readonly quorumChange: (vs: VirtualServer, up: boolean) => void) {}

  /** A new config: indexes its virtual servers; nothing is computed until the next full pass. */
  index(config: FloatlbConfig): void {
    this.byVsId = new Map();
    this.byVip = new Map();
    config.virtualServers.forEach((vs, i) => {
      push(this.byVsId, virtualServerId(vs), i);
      const vip = virtualServerVip(vs);
      if (vip) push(this.byVip, vip, i);
    });
    this.perVs = [];
  }

  byId(id: string): readonly number[] {
    return this.byVsId.get(id) ?? [];
  }

  byVipAddress(vip: string): readonly number[] {
    return this.byVip.get(vip) ?? [];
  }

  /** Records one target's new result; returns the virtual servers it concerns. */
  setResult(t: PlannedTarget, r: TargetResult): readonly number[] {
    if (t.purpose === 'role') this.roles.set(t.realServer, r.up);
    else this.health.set(t.realServer, healthResult(r));
    return this.byId(t.realServer.slice(0, t.realServer.lastIndexOf('|')));
  }

  /** Replaces every result (a full pass reads them all from the checker). */
  readResults(
    states: ReadonlyArray<TargetResult & { id: string }>,
    targets: ReadonlyMap<string, PlannedTarget>,
  ): void {
    this.health = new Map();
    this.roles = new Map();
    for (const s of states) {
      const t = targets.get(s.id);
      if (t) this.setResult(t, s); // else: a target of a config being replaced
    }
  }

  /**
   * Recomputes the virtual servers given (null: all of them) and returns
   * their services that the plane can program. A service the plane cannot
   * program is refused alone: the others are programmed, and whatever the
   * kernel already holds for it stays as it is.
   */
  compute(
    config: FloatlbConfig,
    admin: AdminState,
    only: Iterable<number> | null,
    plane: DataPlane,
  ): DesiredService[] {
    const indices = only === null ? config.virtualServers.map((_, i) => i) : [...only];
    const inputs = { config, health: this.health, roles: this.roles, admin, quorum: this.quorum };
    for (const i of indices) {
      const vs = config.virtualServers[i]!;
      const r = desiredForVirtualServer(vs, inputs);
      this.computed++;
      this.perVs[i] = r;
      const was = this.quorum.get(r.pool.id);
      if (was === undefined ? !r.quorumUp : was !== r.quorumUp) {
        log.info({ virtualServer: r.pool.id }, r.quorumUp ? 'quorum gained' : 'quorum lost');
        this.quorumChange(vs, r.quorumUp);
      }
      this.quorum.set(r.pool.id, r.quorumUp);
    }
    if (only === null) {
      this.perVs.length = indices.length;
      this.quorum = new Map(this.perVs.map((r) => [r.pool.id, r.quorumUp]));
      this.owner = new Map();
      this.perVs.forEach((r, i) => {
        for (const s of r.services) {
          const id = serviceId(s.spec.key);
          if (!this.owner.has(id)) this.owner.set(id, i);
        }
      });
    }
    const before = this.refused;
    if (only === null) this.refused = new Map();
    const out: DesiredService[] = [];
    for (const i of indices) {
      for (const s of this.perVs[i]!.services) {
        const id = serviceId(s.spec.key);
        if (this.owner.get(id) !== i) continue;
        const why = plane.refusal?.(s.spec, s.dests) ?? null;
        if (why !== null && before.get(id) !== why)
          log.error({ service: id, reason: why }, 'service refused by the data plane');
        if (why === null) {
          this.refused.delete(id);
          out.push(s);
        } else this.refused.set(id, why);
      }
    }
    return out;
  }

  isRefused(serviceId: string): boolean {
    return this.refused.has(serviceId);
  }

  refusedServices(): Array<{ service: string; reason: string }> {
    return [...this.refused].map(([service, reason]) => ({ service, reason }));
  }

  pools(): PoolStatus[] {
    return this.perVs.map((r) => r.pool);
  }

  /** Pools answering on a VIP (several ports of one LB IP form one pool). */
  poolsForVip(vip: string): PoolStatus[] {
    return this.byVipAddress(vip).flatMap((i) => this.perVs[i]?.pool ?? []);
  }
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const l = m.get(k);
  if (l) l.push(v);
  else m.set(k, [v]);
}

function healthResult(s: TargetResult): HealthResult {
  return {
    up: s.up,
    ...(s.weight === undefined ? {} : { weight: s.weight }),
    ...(s.weightDelta === undefined ? {} : { weightDelta: s.weightDelta }),
  };
}

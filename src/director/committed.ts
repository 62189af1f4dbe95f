// The director's record of what the kernel holds. It is read from the plane
// at start, after an apply that failed and on the periodic resync; between
// those, every apply that succeeded is folded in, so a change is diffed
// against memory and never waits for the whole table to be read back.
import {
  type DataPlaneOp,
  type DestState,
  destId,
  type ServiceState,
  serviceId,
} from '../kernel/dataplane.js';

export class Committed {
  private readonly byId: Map<string, ServiceState>;

  constructor(listed: readonly ServiceState[] = []) {
    this.byId = new Map(listed.map((s) => [serviceId(s.key), s]));
  }

  get services(): ReadonlyMap<string, ServiceState> {
    return this.byId;
  }

  /** Records operations the plane accepted, as the kernel now holds them. */
  fold(ops: readonly DataPlaneOp[]): void {
    for (const op of ops) {
      if (op.op === 'add-service' || op.op === 'update-service') {
        const id = serviceId(op.service.key);
        const cur = this.byId.get(id);
        this.byId.set(id, { ...op.service, dests: cur?.dests ?? [], stats: null });
        continue;
      }
      const id = serviceId(op.key);
      if (op.op === 'delete-service') {
        this.byId.delete(id);
        continue;
      }
      const cur = this.byId.get(id);
      if (!cur) continue;
      const did = destId(op.dest);
      const dests = cur.dests.filter((d) => destId(d) !== did);
      if (op.op !== 'delete-dest') {
        const d: DestState = {
          ...op.dest,
          activeConns: 0,
          inactiveConns: 0,
          persistentConns: 0,
          stats: null,
        };
        const at = cur.dests.findIndex((x) => destId(x) === did);
        if (at >= 0) dests.splice(at, 0, d);
        else dests.push(d);
      }
      this.byId.set(id, { ...cur, dests });
    }
  }
}

// An in-memory DataPlane for unit tests of the director. It behaves like the
// kernel where a reconciler can go wrong: EEXIST on duplicate adds, ENOENT on
// changes to things that are not there, EINVAL on a real server IPVS does not
// take (see destRefusal), and addresses stored as bytes, so
// list() reports them canonical whatever spelling apply() was given.
import {
  type ApplyResult,
  type DataPlane,
  type DataPlaneOp,
  type DestState,
  destId,
  destRefusal,
  type ServiceKey,
  type ServiceState,
  serviceId,
} from '../../src/kernel/dataplane.js';
import { formatIp, type Ip, ipToBytes } from '../../src/kernel/vocabulary.js';

/** Text to bytes and back, as an address makes the round trip through the kernel. */
const asKernel = (a: string): Ip => formatIp(ipToBytes(a));
const keyAsKernel = (k: ServiceKey): ServiceKey =>
  k.kind === 'ip' ? { ...k, address: asKernel(k.address) } : k;

export class FakeDataPlane implements DataPlane {
  readonly kind = 'ipvs' as const;
  readonly services = new Map<string, ServiceState>();
  readonly log: DataPlaneOp[] = [];
  applyCalls = 0;
  /** Full reads of the table: what the director should do only at start, after errors and on resync. */
  listCalls = 0;

  async list(): Promise<ServiceState[]> {
    this.listCalls++;
    return [...this.services.values()].map((s) => ({ ...s, dests: [...s.dests] }));
  }

  async apply(ops: readonly DataPlaneOp[]): Promise<ApplyResult> {
    this.applyCalls++;
    const errors: Array<{ op: DataPlaneOp; error: Error }> = [];
    const fail = (op: DataPlaneOp, code: string) =>
      errors.push({ op, error: Object.assign(new Error(`${op.op}: ${code}`), { code }) });
    for (const op of ops) {
      this.log.push(op);
      const key = keyAsKernel('service' in op ? op.service.key : op.key);
      const id = serviceId(key);
      const cur = this.services.get(id);
      switch (op.op) {
        case 'add-service':
          if (cur) fail(op, 'EEXIST');
          else this.services.set(id, { ...op.service, key, dests: [], stats: null });
          break;
        case 'update-service':
          if (!cur) fail(op, 'ESRCH');
          else this.services.set(id, { ...cur, ...op.service, key });
          break;
        case 'delete-service':
          if (!cur) fail(op, 'ESRCH');
          else this.services.delete(id);
          break;
        default: {
          if (!cur) {
            fail(op, 'ESRCH');
            break;
          }
          const address = asKernel(op.dest.address);
          const did = destId({ address, port: op.dest.port });
          const others = cur.dests.filter((d) => destId(d) !== did);
          const exists = others.length !== cur.dests.length;
          if (op.op === 'delete-dest') {
            if (!exists) fail(op, 'ENOENT');
            else this.services.set(id, { ...cur, dests: others });
          } else if (destRefusal(key, op.dest)) fail(op, 'EINVAL');
          else if (op.op === 'add-dest' && exists) fail(op, 'EEXIST');
          else if (op.op === 'update-dest' && !exists) fail(op, 'ENOENT');
          else {
            const d: DestState = {
              ...op.dest,
              address,
              activeConns: 0,
              inactiveConns: 0,
              persistentConns: 0,
              stats: null,
            };
            const idx = cur.dests.findIndex((x) => destId(x) === did);
            const dests = [...cur.dests];
            if (idx >= 0) dests[idx] = d;
            else dests.push(d);
            this.services.set(id, { ...cur, dests });
          }
        }
      }
    }
    return { applied: ops.length - errors.length, errors, transactions: 1 };
  }

  close(): void {}
}

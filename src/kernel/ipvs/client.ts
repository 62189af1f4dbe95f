// IpvsClient: the IPVS command set over generic netlink, and IpvsDataPlane,
// the DataPlane that batches operations into few datagrams.
import type {
  ApplyResult,
  DataPlane,
  DataPlaneOp,
  DestSpec,
  LvsGlobalControl,
  ServiceKey,
  ServiceSpec,
  ServiceState,
  SyncDaemonControl,
} from '../dataplane.js';
import { NLM_F_DUMP } from '../netlink/codec.js';
import { GenlSocket } from '../netlink/genl.js';
import { NetlinkError, type NlRequest } from '../netlink/socket.js';
import {
  type IpvsDest,
  type IpvsInfo,
  type IpvsService,
  type IpvsTimeouts,
  requests,
  type SyncDaemon,
} from './codec.js';
import { IPVS_GENL_NAME } from './constants.js';
import { decodeConfig, decodeDaemon, decodeDest, decodeInfo, decodeService } from './decode.js';
import { describeKey, explainKernelError, IpvsError, validateOp } from './validate.js';

export interface IpvsClientOptions {
  /** Network namespace to program: a name under /run/netns or a path. */
  readonly netns?: string;
  /**
   * Requests per burst. Every request is acknowledged, and the acks of one
   * burst must fit the socket's receive buffer before we read them.
   */
  readonly batchSize?: number;
}

function opRequest(op: DataPlaneOp): Buffer {
  switch (op.op) {
    case 'add-service':
      return requests.newService(op.service);
    case 'update-service':
      return requests.setService(op.service);
    case 'delete-service':
      return requests.delService(op.key);
    case 'add-dest':
      return requests.newDest(op.key, op.dest);
    case 'update-dest':
      return requests.setDest(op.key, op.dest);
    case 'delete-dest':
      return requests.delDest(op.key, op.dest);
  }
}

export class IpvsClient {
  private readonly genl: GenlSocket;
  private readonly familyId: number;
  private readonly batchSize: number;

  private constructor(genl: GenlSocket, familyId: number, batchSize: number) {
    this.genl = genl;
    this.familyId = familyId;
    this.batchSize = batchSize;
  }

  /** Opens a socket and resolves the IPVS family; fails clearly without IPVS. */
  static async open(opts: IpvsClientOptions = {}): Promise<IpvsClient> {
    const genl = new GenlSocket(opts.netns ? { netns: opts.netns } : {});
    try {
      const fam = await genl.family(IPVS_GENL_NAME);
      return new IpvsClient(genl, fam.id, opts.batchSize ?? 1024);
    } catch (e) {
      genl.close();
      if (e instanceof NetlinkError && e.code === 'ENOENT') {
        throw new IpvsError(
          'IPVS is not available in this kernel (no IPVS generic netlink family)',
          'ENOENT',
          true,
        );
      }
      throw e;
    }
  }

  /** Netlink datagrams sent so far, to report batching. */
  get datagramsSent(): number {
    return this.genl.nl.datagramsSent;
  }

  close(): void {
    this.genl.close();
  }

  private async one(payload: Buffer, what: string, dump = false) {
    return this.genl.nl.request({
      type: this.familyId,
      payload,
      what,
      ...(dump ? { flags: NLM_F_DUMP } : {}),
    });
  }

  async info(): Promise<IpvsInfo> {
    const m = await this.one(requests.getInfo(), 'get IPVS info');
    if (!m[0]) throw new Error('IPVS info: empty reply');
    return decodeInfo(m[0].payload);
  }

  async services(): Promise<IpvsService[]> {
    const msgs = await this.one(requests.getServices(), 'list services', true);
    return msgs.map((m) => decodeService(m.payload));
  }

  /** One service, or null when it does not exist. */
  async service(key: ServiceKey): Promise<IpvsService | null> {
    try {
      const m = await this.one(requests.getService(key), `get service ${describeKey(key)}`);
      return m[0] ? decodeService(m[0].payload) : null;
    } catch (e) {
      if (e instanceof NetlinkError && e.code === 'ESRCH') return null;
      throw e;
    }
  }

  async dests(key: ServiceKey): Promise<IpvsDest[]> {
    const msgs = await this.one(requests.getDests(key), `list real servers of ${describeKey(key)}`, true);
    return msgs.map((m) => decodeDest(m.payload, key.family));
  }

  /** Every service with its real servers; the dest dumps go out in bursts. */
  async list(): Promise<ServiceState[]> {
    const svcs = await this.services();
    const out: ServiceState[] = [];
    for (let i = 0; i < svcs.length; i += this.batchSize) {
      const part = svcs.slice(i, i + this.batchSize);
      const res = await this.genl.nl.requestMany(
        part.map((s) => ({
          type: this.familyId,
          flags: NLM_F_DUMP,
          payload: requests.getDests(s.key),
          what: `list real servers of ${describeKey(s.key)}`,
        })),
      );
      for (let j = 0; j < part.length; j++) {
        const s = part[j]!;
        let r = res[j]!;
        // A dump still running makes the next one in the same datagram EBUSY.
        if (r instanceof NetlinkError && r.code === 'EBUSY') {
          r = await this.one(requests.getDests(s.key), `list real servers of ${describeKey(s.key)}`, true);
        }
        if (r instanceof NetlinkError) {
          // The service went away between the two dumps.
          if (r.code === 'ESRCH') continue;
          throw r;
        }
        out.push({ ...s, dests: r.map((m) => decodeDest(m.payload, s.key.family)) });
      }
    }
    return out;
  }

  /** Applies the operations in order, in bursts; each one succeeds or fails on its own. */
  async apply(ops: readonly DataPlaneOp[]): Promise<ApplyResult> {
    const before = this.datagramsSent;
    const errors: Array<{ op: DataPlaneOp; error: Error }> = [];
    let applied = 0;
    const valid: DataPlaneOp[] = [];
    for (const op of ops) {
      try {
        validateOp(op);
        valid.push(op);
      } catch (e) {
        errors.push({ op, error: e as Error });
      }
    }
    for (let i = 0; i < valid.length; i += this.batchSize) {
      const part = valid.slice(i, i + this.batchSize);
      const reqs: NlRequest[] = part.map((op) => ({ type: this.familyId, payload: opRequest(op) }));
      const res = await this.genl.nl.requestMany(reqs);
      res.forEach((r, j) => {
        if (r instanceof NetlinkError) {
          errors.push({ op: part[j]!, error: explainKernelError(part[j]!, r.code, r.kernelMessage) });
        } else {
          applied++;
        }
      });
    }
    return { applied, errors, transactions: this.datagramsSent - before };
  }

  /** Runs one operation; throws an IpvsError when it is refused. */
  async run(op: DataPlaneOp): Promise<void> {
    validateOp(op);
    try {
      await this.genl.nl.request({ type: this.familyId, payload: opRequest(op) });
    } catch (e) {
      if (e instanceof NetlinkError) throw explainKernelError(op, e.code, e.kernelMessage);
      throw e;
    }
  }

  addService(service: ServiceSpec): Promise<void> {
    return this.run({ op: 'add-service', service });
  }
  updateService(service: ServiceSpec): Promise<void> {
    return this.run({ op: 'update-service', service });
  }
  deleteService(key: ServiceKey): Promise<void> {
    return this.run({ op: 'delete-service', key });
  }
  addDest(key: ServiceKey, dest: DestSpec): Promise<void> {
    return this.run({ op: 'add-dest', key, dest });
  }
  updateDest(key: ServiceKey, dest: DestSpec): Promise<void> {
    return this.run({ op: 'update-dest', key, dest });
  }
  deleteDest(key: ServiceKey, dest: Pick<DestSpec, 'address' | 'port'>): Promise<void> {
    return this.run({ op: 'delete-dest', key, dest });
  }

  async flush(): Promise<void> {
    await this.one(requests.flush(), 'flush IPVS table');
  }

  /** Zeroes the counters of one service, or of all. */
  async zero(key?: ServiceKey): Promise<void> {
    await this.one(requests.zero(key), key ? `zero ${describeKey(key)}` : 'zero counters');
  }

  async getTimeouts(): Promise<IpvsTimeouts> {
    const m = await this.one(requests.getConfig(), 'get timeouts');
    if (!m[0]) throw new Error('IPVS config: empty reply');
    return decodeConfig(m[0].payload);
  }

  /** Sets the timeouts in seconds; a zero leaves that one unchanged. */
  async setTimeouts(t: IpvsTimeouts): Promise<void> {
    await this.one(requests.setConfig(t), 'set timeouts');
  }

  async daemons(): Promise<SyncDaemon[]> {
    const msgs = await this.one(requests.getDaemons(), 'list sync daemons', true);
    return msgs.map((m) => decodeDaemon(m.payload));
  }

  async startDaemon(d: SyncDaemon): Promise<void> {
    if (!d.ifname || d.ifname.length > 15)
      throw new IpvsError(`bad interface name ${d.ifname}`, 'EINVAL', false);
    try {
      await this.one(requests.newDaemon(d), `start ${d.state} sync daemon`);
    } catch (e) {
      if (e instanceof NetlinkError && e.code === 'EEXIST') {
        throw new IpvsError(`start ${d.state} sync daemon: already running`, 'EEXIST', true);
      }
      throw e;
    }
  }

  async stopDaemon(state: SyncDaemon['state']): Promise<void> {
    await this.one(requests.delDaemon(state), `stop ${state} sync daemon`);
  }
}

/** The DataPlane over IPVS. */
export class IpvsDataPlane implements DataPlane {
  readonly kind = 'ipvs' as const;
  readonly client: IpvsClient;
  readonly syncDaemon: SyncDaemonControl;
  readonly lvsGlobals: LvsGlobalControl;

  private constructor(client: IpvsClient) {
    this.client = client;
    this.lvsGlobals = {
      getTimeouts: () => client.getTimeouts(),
      setTimeouts: (t) => client.setTimeouts(t),
      flushAll: () => client.flush(),
    };
    this.syncDaemon = {
      running: () => client.daemons(),
      start: (d) => client.startDaemon(d),
      stop: (state) => client.stopDaemon(state),
    };
  }

  static async open(opts: IpvsClientOptions = {}): Promise<IpvsDataPlane> {
    return new IpvsDataPlane(await IpvsClient.open(opts));
  }

  list(): Promise<ServiceState[]> {
    return this.client.list();
  }

  apply(ops: readonly DataPlaneOp[]): Promise<ApplyResult> {
    return this.client.apply(ops);
  }

  close(): void {
    this.client.close();
  }
}

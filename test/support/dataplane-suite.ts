// The behavioural suite every DataPlane passes, whatever it programs: the
// same cases run against nftables here (test/host/nft-plane.test.ts) and
// against IPVS in the lab VM (test/kernel/ipvs-plane.test.ts). A plane comes from a factory given the
// director's namespace; the topology is client -> director -> real servers.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Netns } from '../../lab/netns.js';
import { forwarding, type TopologySpec } from '../../lab/topology.js';
import type { DataPlane, DestSpec, ServiceKey, ServiceSpec } from '../../src/kernel/dataplane.js';
import { canonicalIp as asIp } from '../../src/kernel/vocabulary.js';
import { buildTestTopology } from './netns.js';

export interface PlaneLab {
  readonly client: Netns;
  readonly director: Netns;
  readonly servers: ReadonlyArray<{ readonly ns: Netns; readonly name: string; readonly address: string }>;
  readonly vip: string;
  readonly vport: number;
  readonly rport: number;
  delete(): void;
}

const SERVER_JS = `
const http = require('node:http');
const name = process.argv[1];
const srv = http.createServer((q, s) => { s.setHeader('content-type', 'text/plain'); s.end(name); });
// A held connection stays open however long a case takes (node closes an idle one after 5 s).
srv.keepAliveTimeout = 0;
srv.listen(Number(process.argv[2]), '0.0.0.0', () => console.log('ready'));
`;

/** client 10.98.1.2 -- director (VIP 10.98.1.100) -- bridge 10.98.2.0/24 -- real servers. */
export function planeTopology(servers: number): TopologySpec {
  const rs = Array.from({ length: servers }, (_, i) => `r${i}`);
  return {
    nodes: ['c', 'd', ...rs],
    veths: [
      {
        a: { node: 'c', ifname: 'nfc0', addrs: ['10.98.1.2/24'] },
        b: { node: 'd', ifname: 'nfd0', addrs: ['10.98.1.1/24', '10.98.1.100/32'] },
      },
    ],
    bridges: [
      {
        name: 'nfbr0',
        in: 'd',
        addrs: ['10.98.2.1/24'],
        ports: rs.map((node, i) => ({ node, ifname: 'nfr0', addrs: [`10.98.2.${11 + i}/24`] })),
      },
    ],
    routes: [
      { node: 'c', dst: 'default', via: '10.98.1.1' },
      ...rs.map((node) => ({ node, dst: 'default', via: '10.98.2.1' })),
    ],
    sysctls: forwarding(['d']),
  };
}

/** The plane topology with an HTTP server on port 8080 in each real server. */
export async function buildPlaneLab(tag: string, servers = 3): Promise<PlaneLab> {
  const topo = await buildTestTopology(tag, planeTopology(servers));
  const rs = Array.from({ length: servers }, (_, i) => ({
    ns: topo.node(`r${i}`),
    name: `rs${i + 1}`,
    address: asIp(`10.98.2.${11 + i}`),
  }));
  try {
    await Promise.all(
      rs.map(
        (r) =>
          new Promise<void>((resolve, reject) => {
            const child = r.ns.spawn('node', ['-e', SERVER_JS, r.name, '8080'], { stdio: 'pipe' });
            child.stdout!.once('data', () => resolve());
            child.once('exit', (c) => reject(new Error(`real server ${r.name} exited ${c}`)));
          }),
      ),
    );
  } catch (e) {
    topo.destroy();
    throw e;
  }
  return {
    client: topo.node('c'),
    director: topo.node('d'),
    servers: rs,
    vip: '10.98.1.100',
    vport: 80,
    rport: 8080,
    delete: () => topo.destroy(),
  };
}

const CLIENT_JS = `
const http = require('node:http');
const [host, port, n, conc] = process.argv.slice(1).map((x, i) => (i ? Number(x) : x));
const counts = {};
let left = n;
function one() {
  if (left-- <= 0) return Promise.resolve();
  return new Promise((res) => {
    const q = http.get({ host, port, agent: false, timeout: 3000 }, (r) => {
      let b = ''; r.on('data', (d) => (b += d)); r.on('end', () => { counts[b] = (counts[b] || 0) + 1; res(); });
    });
    q.on('error', () => { counts['<error>'] = (counts['<error>'] || 0) + 1; res(); });
    q.on('timeout', () => q.destroy());
  }).then(one);
}
Promise.all(Array.from({ length: conc }, one)).then(() => console.log(JSON.stringify(counts)));
`;

/** n HTTP requests from the client, each on a new connection; server name -> count. */
export async function requests(t: PlaneLab, n: number, conc = 8): Promise<Record<string, number>> {
  const out = await t.client.execAsync(
    'node',
    '-e',
    CLIENT_JS,
    t.vip,
    String(t.vport),
    String(n),
    String(conc),
  );
  return JSON.parse(out) as Record<string, number>;
}

const HOLD_JS = `
const net = require('node:net');
const s = net.connect(Number(process.argv[2]), process.argv[1]);
let buf = '';
s.on('data', (d) => { buf += d; const i = buf.indexOf('\\r\\n\\r\\n'); if (i >= 0) {
  const m = /content-length: (\\d+)/i.exec(buf.slice(0, i)); const len = m ? Number(m[1]) : 0;
  if (buf.length >= i + 4 + len) { console.log(buf.slice(i + 4, i + 4 + len)); buf = buf.slice(i + 4 + len); } } });
s.on('error', (e) => console.log('<error ' + e.code + '>'));
s.on('close', () => console.log('<closed>'));
process.stdin.on('data', () => s.write('GET / HTTP/1.1\\r\\nhost: x\\r\\nconnection: keep-alive\\r\\n\\r\\n'));
`;

/** One long-lived keep-alive connection through the VIP; ask() sends a request on it. */
export interface HeldConnection {
  ask(): Promise<string>;
  close(): void;
}

export function hold(t: PlaneLab): HeldConnection {
  const child = t.client.spawn('node', ['-e', HOLD_JS, t.vip, String(t.vport)], { stdio: 'pipe' });
  const lines: string[] = [];
  const waiters: Array<(l: string) => void> = [];
  let partial = '';
  child.stdout!.on('data', (d: Buffer) => {
    partial += d.toString();
    for (let i = partial.indexOf('\n'); i >= 0; i = partial.indexOf('\n')) {
      const l = partial.slice(0, i);
      partial = partial.slice(i + 1);
      const w = waiters.shift();
      if (w) w(l);
      else lines.push(l);
    }
  });
  return {
    ask: () =>
      new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no answer on the held connection')), 5000);
        const done = (l: string) => {
          clearTimeout(timer);
          resolve(l);
        };
        const ready = lines.shift();
        if (ready !== undefined) done(ready);
        else waiters.push(done);
        child.stdin!.write('x\n');
      }),
    close: () => child.kill('SIGKILL'),
  };
}

/** Real server i of the lab, NAT, on its port: what the plane tests program. */
export function labDest(t: PlaneLab, i: number, weight: number): DestSpec {
  return {
    address: asIp(t.servers[i]!.address),
    port: t.rport,
    family: 'inet',
    forwarding: 'nat',
    weight,
    upperThreshold: 0,
    lowerThreshold: 0,
  };
}

export interface SuiteContext {
  readonly topo: () => PlaneLab;
  readonly plane: () => DataPlane;
  readonly key: ServiceKey;
  service(over?: Partial<ServiceSpec>): ServiceSpec;
  dest(i: number, weight: number): DestSpec;
}

export interface DataPlaneSuiteOptions {
  readonly name: string;
  readonly tag: string;
  /** A plane that programs the director's namespace. */
  readonly makePlane: (directorNs: string) => DataPlane | Promise<DataPlane>;
  /** Extra cases (health integration through the director, plane-specific checks). */
  readonly extra?: (ctx: SuiteContext) => void;
}

export function dataPlaneSuite(o: DataPlaneSuiteOptions): void {
  describe(`data plane behaviour: ${o.name}`, () => {
    let topo: PlaneLab;
    let plane: DataPlane;
    const key: ServiceKey = {
      kind: 'ip',
      family: 'inet',
      protocol: 'tcp',
      address: asIp('10.98.1.100'),
      port: 80,
    };
    const ctx: SuiteContext = {
      topo: () => topo,
      plane: () => plane,
      key,
      service: (over = {}) => ({ key, scheduler: 'rr', flags: 0, persistence: null, ...over }),
      dest: (i, weight) => labDest(topo, i, weight),
    };
    const ok = async (ops: Parameters<DataPlane['apply']>[0]) => {
      const r = await plane.apply(ops);
      expect(r.errors.map((e) => e.error.message)).toEqual([]);
      return r;
    };

    beforeAll(async () => {
      topo = await buildPlaneLab(o.tag);
      plane = await o.makePlane(topo.director.name);
    });
    afterAll(() => {
      plane?.close();
      topo?.delete();
    });
    beforeEach(async () => {
      const svcs = await plane.list();
      if (svcs.length) await ok(svcs.map((s) => ({ op: 'delete-service' as const, key: s.key })));
    });

    it('balances new connections over every server (rr)', async () => {
      await ok([
        { op: 'add-service', service: ctx.service() },
        ...[0, 1, 2].map((i) => ({ op: 'add-dest' as const, key, dest: ctx.dest(i, 1) })),
      ]);
      const c = await requests(topo, 300);
      expect(Object.keys(c).sort()).toEqual(['rs1', 'rs2', 'rs3']);
      for (const n of Object.values(c)) expect(Math.abs(n - 100)).toBeLessThanOrEqual(10);
    });

    it('follows weight ratios within 10% over 400 connections (wrr 1:2:5)', async () => {
      const w = [1, 2, 5];
      await ok([
        { op: 'add-service', service: ctx.service({ scheduler: 'wrr' }) },
        ...w.map((x, i) => ({ op: 'add-dest' as const, key, dest: ctx.dest(i, x) })),
      ]);
      const c = await requests(topo, 400);
      w.forEach((x, i) => {
        const want = (400 * x) / 8;
        expect(Math.abs((c[`rs${i + 1}`] ?? 0) - want)).toBeLessThanOrEqual(want * 0.1);
      });
    });

    it('weight 0 admits no new connections while an established one keeps working', async () => {
      await ok([
        { op: 'add-service', service: ctx.service() },
        { op: 'add-dest', key, dest: ctx.dest(0, 1) },
      ]);
      const held = hold(topo);
      try {
        expect(await held.ask()).toBe('rs1');
        await ok([
          { op: 'add-dest', key, dest: ctx.dest(1, 1) },
          { op: 'update-dest', key, dest: ctx.dest(0, 0) },
        ]);
        expect(await requests(topo, 40)).toEqual({ rs2: 40 });
        expect(await held.ask()).toBe('rs1');
        const st = (await plane.list())[0]!;
        expect(st.dests.find((d) => d.address === topo.servers[0]!.address)?.weight).toBe(0);
      } finally {
        held.close();
      }
    });

    it('keeps a client on one server with persistence', async () => {
      await ok([
        {
          op: 'add-service',
          service: ctx.service({ persistence: { timeoutSec: 300, prefix: 32 } }),
        },
        ...[0, 1, 2].map((i) => ({ op: 'add-dest' as const, key, dest: ctx.dest(i, 1) })),
      ]);
      const c = await requests(topo, 30, 1);
      expect(Object.keys(c)).toHaveLength(1);
      expect(Object.values(c)[0]).toBe(30);
    });

    it('lists what it applied', async () => {
      await ok([
        { op: 'add-service', service: ctx.service({ scheduler: 'wrr' }) },
        { op: 'add-dest', key, dest: ctx.dest(0, 3) },
        { op: 'add-dest', key, dest: ctx.dest(1, 0) },
      ]);
      const [s, ...rest] = await plane.list();
      expect(rest).toEqual([]);
      expect(s!.key).toEqual(key);
      expect(s!.scheduler).toBe('wrr');
      expect(s!.dests.map((d) => [d.address, d.port, d.weight, d.forwarding]).sort()).toEqual([
        [topo.servers[0]!.address, 8080, 3, 'nat'],
        [topo.servers[1]!.address, 8080, 0, 'nat'],
      ]);
    });

    o.extra?.(ctx);
  });
}

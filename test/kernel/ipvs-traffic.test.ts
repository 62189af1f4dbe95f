// Real TCP/HTTP traffic through IPVS programmed by floatlb, in NAT, DR and
// TUN modes. Topology (all namespaces):
//
//   client 10.10.0.2 -- router 10.10.0.1 | 10.20.0.1 == LAN bridge == director 10.20.0.10 (VIP 10.20.0.100)
//                                                                  \= rs1 10.20.0.11, rs2 10.20.0.12
//
// DR and TUN replies go from the real servers straight to the router; NAT
// replies go back through the director (the real servers' default route).
import type { ChildProcess } from 'node:child_process';
import { execFile, execFileSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Netns } from '../../lab/netns.js';
import type { Topology } from '../../lab/topology.js';
import { parseIpvsArgs } from '../../src/cli/ipvs-args.js';
import { runIpvs } from '../../src/cli/ipvs-run.js';
import type { DestSpec, Forwarding, ServiceKey } from '../../src/kernel/dataplane.js';
import { IpvsClient } from '../../src/kernel/ipvs/client.js';
import { setArp, setIpForward, setRpFilter, setVsKnob } from '../../src/kernel/sysctl.js';
import { canonicalIp as asIp } from '../../src/kernel/vocabulary.js';
import { buildTestTopology } from '../support/netns.js';
import { requireIpvs, requireTool } from '../support/require.js';

const execFileP = promisify(execFile);
const VIP = '10.20.0.100';
const RS = [
  { name: 'rs1', ip: '10.20.0.11' },
  { name: 'rs2', ip: '10.20.0.12' },
];
const key: ServiceKey = { kind: 'ip', family: 'inet', protocol: 'tcp', address: asIp(VIP), port: 80 };

let client: Netns;
let router: Netns;
let director: Netns;
let servers: Netns[] = [];
let topo: Topology | undefined;
let ipvs: IpvsClient;

const SERVER = `
const http = require('http');
const name = process.argv[1];
const s = http.createServer((q, r) => { r.setHeader('content-type', 'text/plain'); r.end(name); });
s.keepAliveTimeout = 600000;
s.listen(80, '0.0.0.0', () => console.log('up'));
`;

// count N: N requests, each on a new connection; a request that fails is
// recorded with its local port and the rest go on. hold N: keep one
// connection open and name its server, wait for a line on stdin, make N
// new connections, then ask again on the held one.
const CLIENT = `
const http = require('http');
const [mode, n, vip] = process.argv.slice(1);
const get = (agent) => new Promise((res, rej) => {
  let port = 0;
  const req = http.get({ host: vip, port: 80, path: '/', agent }, (r) => {
    let b = ''; r.on('data', (c) => (b += c)); r.on('end', () => res({ body: b, reused: req.reusedSocket }));
  });
  req.on('socket', (s) => s.on('connect', () => (port = s.localPort)));
  req.setTimeout(15000, () => req.destroy(new Error('timeout')));
  req.on('error', (e) => rej(Object.assign(e, { port, at: new Date().toISOString() })));
});
async function many(k) {
  const counts = {}; const errors = [];
  for (let i = 0; i < k; i++) {
    try { const { body } = await get(false); counts[body] = (counts[body] || 0) + 1; }
    catch (e) { errors.push({ i, port: e.port, at: e.at, err: e.message }); }
  }
  return { counts, errors };
}
(async () => {
  if (mode === 'count') { console.log(JSON.stringify(await many(Number(n)))); return; }
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const first = await get(agent);
  console.log('READY ' + first.body);
  process.stdin.once('data', async () => {
    const { counts, errors } = await many(Number(n));
    const held = await get(agent);
    console.log(JSON.stringify({ counts, errors, held }));
    agent.destroy();
  });
})().catch((e) => { console.error(JSON.stringify({ err: e.message, port: e.port, at: e.at })); process.exit(1); });
`;

interface CountResult {
  counts: Record<string, number>;
  errors: Array<{ i: number; port: number; at: string; err: string }>;
}

function lines(p: ChildProcess): AsyncIterableIterator<string> {
  return createInterface({ input: p.stdout! })[Symbol.asyncIterator]();
}

async function firstLine(p: ChildProcess): Promise<string> {
  const it = lines(p);
  const r = await it.next();
  return r.done ? '' : r.value;
}

// Async, so the test worker's event loop stays free to talk to vitest.
async function countConnections(n: number): Promise<CountResult> {
  const { stdout } = await execFileP(
    'ip',
    ['netns', 'exec', client.name, 'node', '-e', CLIENT, 'count', String(n), VIP],
    {
      encoding: 'utf8',
      timeout: 600_000,
    },
  );
  return JSON.parse(stdout) as CountResult;
}

function dest(ip: string, forwarding: Forwarding, weight: number): DestSpec {
  return {
    address: asIp(ip),
    port: 80,
    family: 'inet',
    forwarding,
    weight,
    upperThreshold: 0,
    lowerThreshold: 0,
  };
}

function routeVia(ns: Netns, gw: string): void {
  ns.ip('route', 'replace', 'default', 'via', gw);
}

beforeAll(async () => {
  requireIpvs();
  requireTool('ipvsadm');
  const t = await buildTestTopology('', {
    nodes: ['cl', 'rt', 'dir', ...RS.map((r) => r.name)],
    veths: [
      {
        a: { node: 'cl', ifname: 'eth0', addrs: ['10.10.0.2/24'] },
        b: { node: 'rt', ifname: 'cl0', addrs: ['10.10.0.1/24'] },
      },
    ],
    bridges: [
      {
        name: 'lan',
        in: 'rt',
        addrs: ['10.20.0.1/24'],
        ports: [
          { node: 'dir', ifname: 'eth0', addrs: ['10.20.0.10/24'] },
          ...RS.map((r) => ({ node: r.name, ifname: 'eth0', addrs: [`${r.ip}/24`] })),
        ],
      },
    ],
    routes: [
      { node: 'cl', dst: 'default', via: '10.10.0.1' },
      { node: 'dir', dst: 'default', via: '10.20.0.1' },
    ],
  });
  topo = t;
  client = t.node('cl');
  router = t.node('rt');
  director = t.node('dir');
  servers = RS.map((r) => t.node(r.name));
  setIpForward(true, { netns: router.name });
  setIpForward(true, { netns: director.name });
  // A new connection that reuses the port of a closed one to a weight-0
  // server is rescheduled rather than sent to that server.
  setVsKnob('expire_nodest_conn', 1, { netns: director.name });
  // One-armed NAT: replies come in and go out on eth0. Without this the
  // director tells the real servers (ICMP redirect) to bypass it, and the
  // replies would reach the client un-NATed if they listened.
  for (const ifname of ['all', 'eth0']) director.sysctl(`net.ipv4.conf.${ifname}.send_redirects`, 0);
  director.ip('addr', 'add', `${VIP}/32`, 'dev', 'eth0');
  for (const s of servers) {
    // DR: the VIP on lo, kept quiet on the LAN. TUN: the VIP on tunl0 (the lab loads ipip), no
    // reverse-path filter.
    s.ip('addr', 'add', `${VIP}/32`, 'dev', 'lo');
    s.ip('link', 'set', 'tunl0', 'up');
    s.ip('addr', 'add', `${VIP}/32`, 'dev', 'tunl0');
    for (const ifname of ['all', 'eth0']) setArp(ifname, { ignore: 1, announce: 2 }, { netns: s.name });
    for (const ifname of ['all', 'default', 'eth0', 'tunl0']) setRpFilter(ifname, 0, { netns: s.name });
    for (const ifname of ['all', 'eth0']) s.sysctl(`net.ipv4.conf.${ifname}.accept_redirects`, 0);
  }
  await Promise.all(
    servers.map((s, i) => {
      const p = s.spawn('node', ['-e', SERVER, RS[i]!.name], { stdio: 'pipe' });
      return firstLine(p);
    }),
  );
  ipvs = await IpvsClient.open({ netns: director.name });
});

// What the kernel saw, printed when a case fails: enough to tell a lost SYN
// from a lost reply and which hop dropped it.
afterEach((ctx) => {
  if (ctx.task.result?.state !== 'fail') return;
  const show = (ns: Netns, cmd: string) => {
    try {
      return execFileSync('ip', ['netns', 'exec', ns.name, 'sh', '-c', cmd], { encoding: 'utf8' });
    } catch (e) {
      return String(e);
    }
  };
  const counters =
    'nstat -az | grep -E "Redirects|TcpExtListenDrops|TcpAttemptFails|TcpRetransSegs|IpOutNoRoutes|IpInAddrErrors"';
  const dump = [
    `director:\n${show(director, `ipvsadm -Ln --stats; ipvsadm -Lnc | grep -v TIME_WAIT; ip neigh; ${counters}`)}`,
    ...servers.map(
      (s) =>
        `${s.name}:\n${show(s, `ip route get 10.10.0.2; ip neigh; ss -tan | grep -v TIME-WAIT; ${counters}`)}`,
    ),
    `router:\n${show(router, `ip neigh; ${counters}`)}`,
    `client:\n${show(client, `ss -tan; ${counters}`)}`,
  ];
  console.error(`ipvs-traffic: ${ctx.task.name} failed; kernel state:\n${dump.join('\n')}`);
});

afterAll(() => {
  ipvs?.close();
  topo?.destroy();
});

// ipvsadm -Lnc and floatlb ipvs -Lnc side by side, with live connections:
// one held open (ESTABLISHED) and a few closed ones (TIME_WAIT). Each of ours
// is taken between two of ipvsadm's, so every entry both of those show is in
// ours, ours shows nothing neither shows, and our expiry lies between theirs
// (within 1 s, as the clock ticks between readings).
describe('the connection table', () => {
  const EXPIRE = /^(\S+ +)(\d\d+):(\d\d)( .*)$/;
  /** Entry lines by everything but the expiry, with the expiry in seconds. */
  const entries = (text: string) => {
    const m = new Map<string, number>();
    for (const l of text.split('\n').slice(2).filter(Boolean)) {
      const x = EXPIRE.exec(l);
      expect(x, l).not.toBeNull();
      m.set(`${x![1]}MM:SS${x![4]}`, Number(x![2]) * 60 + Number(x![3]));
    }
    return m;
  };

  it('floatlb ipvs -Lnc lists the same entries in the same layout as ipvsadm -Lnc', async () => {
    await ipvs.flush();
    for (const s of servers) routeVia(s, '10.20.0.10');
    expect(
      (
        await ipvs.apply([
          { op: 'add-service', service: { key, scheduler: 'rr', flags: 0, persistence: null } },
          { op: 'add-dest', key, dest: dest(RS[0]!.ip, 'nat', 1) },
          { op: 'add-dest', key, dest: dest(RS[1]!.ip, 'nat', 1) },
        ])
      ).errors,
    ).toEqual([]);
    expect((await countConnections(4)).errors).toEqual([]);
    const p = client.spawn('node', ['-e', CLIENT, 'hold', '0', VIP], { stdio: 'pipe' });
    const held = lines(p);
    expect(String((await held.next()).value)).toMatch(/^READY rs[12]$/);
    try {
      const theirs = (args: string[]) =>
        execFileSync('ip', ['netns', 'exec', director.name, 'ipvsadm', ...args], { encoding: 'utf8' });
      const ours = async (args: string[]) => {
        let out = '';
        await runIpvs(parseIpvsArgs([...args, '--netns', director.name]), {
          write: (t) => {
            out += t;
          },
          readStdin: async () => '',
        });
        return out;
      };
      for (const args of [['-Lnc'], ['-L', '-n', '-c', '--persistent-conn']]) {
        const before = theirs(args);
        const mine = await ours(args);
        const after = theirs(args);
        const [a, o, b] = [before, mine, after].map(entries);
        // Same title lines, byte for byte.
        expect(mine.split('\n').slice(0, 2)).toEqual(before.split('\n').slice(0, 2));
        expect([...o.keys()].filter((k) => k.includes('ESTABLISHED')).length, mine).toBeGreaterThan(0);
        expect([...o.keys()].filter((k) => k.includes('TIME_WAIT')).length, mine).toBeGreaterThan(0);
        for (const k of a.keys()) if (b.has(k)) expect(o.has(k), `${args}: ${k} missing\n${mine}`).toBe(true);
        for (const [k, sec] of o) {
          expect(a.has(k) || b.has(k), `${args}: ${k} not listed by ipvsadm\n${before}`).toBe(true);
          const hi = a.get(k) ?? b.get(k)!;
          const lo = b.get(k) ?? a.get(k)!;
          expect(sec, k).toBeLessThanOrEqual(hi + 1);
          expect(sec, k).toBeGreaterThanOrEqual(lo - 1);
        }
      }
      // A capture for the unit golden test: the file and ipvsadm's output
      // taken while the file did not change.
      for (let i = 0; i < 20; i++) {
        const cat = () =>
          execFileSync('ip', ['netns', 'exec', director.name, 'cat', '/proc/net/ip_vs_conn'], {
            encoding: 'utf8',
          });
        const f1 = cat();
        const out = theirs(['-Lnc']);
        if (cat() === f1) {
          console.log(`ipvs-conn-capture ${JSON.stringify({ proc: f1, lnc: out })}`);
          break;
        }
      }
    } finally {
      p.stdin!.write('go\n');
      await held.next();
    }
  });
});

describe.each<[Forwarding, string]>([
  ['nat', '10.20.0.10'],
  ['dr', '10.20.0.1'],
  ['tun', '10.20.0.1'],
])('%s forwarding', (forwarding, gateway) => {
  it('weights 1:3 split 400 new connections within 10%', async () => {
    await ipvs.flush();
    for (const s of servers) routeVia(s, gateway);
    const r = await ipvs.apply([
      { op: 'add-service', service: { key, scheduler: 'wrr', flags: 0, persistence: null } },
      { op: 'add-dest', key, dest: dest(RS[0]!.ip, forwarding, 1) },
      { op: 'add-dest', key, dest: dest(RS[1]!.ip, forwarding, 3) },
    ]);
    expect(r.errors).toEqual([]);
    const { counts, errors } = await countConnections(400);
    expect(errors).toEqual([]);
    expect((counts.rs1 ?? 0) + (counts.rs2 ?? 0)).toBe(400);
    expect(Math.abs((counts.rs1 ?? 0) - 100)).toBeLessThanOrEqual(10);
    expect(Math.abs((counts.rs2 ?? 0) - 300)).toBeLessThanOrEqual(30);
  });

  it('weight 0 takes no new connections; an established one keeps working', async () => {
    const p = client.spawn('node', ['-e', CLIENT, 'hold', '40', VIP], { stdio: 'pipe' });
    const it = lines(p);
    const ready = String((await it.next()).value);
    expect(ready).toMatch(/^READY rs[12]$/);
    const heldName = ready.split(' ')[1]!;
    const held = RS.find((r) => r.name === heldName)!;
    const other = RS.find((r) => r.name !== heldName)!;
    await ipvs.updateDest(key, dest(held.ip, forwarding, 0));
    p.stdin!.write('go\n');
    const res = JSON.parse((await it.next()).value as string) as {
      counts: Record<string, number>;
      errors: CountResult['errors'];
      held: { body: string; reused: boolean };
    };
    expect(res.errors).toEqual([]);
    expect(res.counts).toEqual({ [other.name]: 40 });
    expect(res.held).toEqual({ body: heldName, reused: true });
  });

  it('floatlb ipvs list --stats and --rate print what ipvsadm prints', async () => {
    const ours = async (args: string[]) => {
      let out = '';
      await runIpvs(parseIpvsArgs([...args, '--netns', director.name]), {
        write: (s) => {
          out += s;
        },
        readStdin: async () => '',
      });
      return out;
    };
    const theirs = (args: string[]) =>
      execFileSync('ip', ['netns', 'exec', director.name, 'ipvsadm', ...args], { encoding: 'utf8' });
    // The kernel folds its per-CPU counters in every 2 s (the estimator):
    // compare readings taken back to back until one pair agrees.
    const settled = async (args: string[]) => {
      let a = '';
      for (let i = 0; i < 40; i++) {
        a = await ours(args);
        if (a === theirs(args)) return { ours: a, same: true };
        await new Promise((r) => setTimeout(r, 300));
      }
      return { ours: a, same: false };
    };
    const stats = await settled(['-Ln', '--stats']);
    expect(stats.same).toBe(true);
    expect(stats.ours).toMatch(/TCP {2}10\.20\.0\.100:80 +[1-9]\d* /);
    // InActConn falls as TIME_WAIT entries of the earlier cases expire, at a
    // moment that depends on the machine's speed: settle it like the counters.
    expect((await settled(['-Ln'])).same).toBe(true);
    expect((await settled(['-Ln', '--rate'])).same).toBe(true);
  });
});

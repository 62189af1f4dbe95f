// The batched TCP connect prober (src/kernel/tcp-connect.ts) against real
// listeners in a test namespace, over a veth with IPv4 and IPv6: open port,
// refused port, a blackholed port that must time out, 2,000 probes at once,
// bindto / bind_port seen by the server, abort, and TCP_CHECK's reasons.
import { execFileSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Netns } from '../../lab/netns.js';
import { probe } from '../../src/health/probes/index.js';
import { tcpConnectInFlight, tcpConnectProbe } from '../../src/kernel/tcp-connect.js';
import { testNetns } from '../support/netns.js';

const OPEN = 7301;
const CLOSED = 7302;
const DROPPED = 7303;

// Inside the namespace: listeners on OPEN (both families) that record each
// peer and close at once. A line N on stdin prints and clears the record as
// soon as it holds at least N peers (the handshake completes in the kernel
// before the server's accept callback runs).
const SERVER = `
const net = require('node:net');
const rl = require('node:readline').createInterface({ input: process.stdin });
let peers = [];
let want = -1;
let up = 0;
const flush = () => {
  if (want < 0 || peers.length < want) return;
  console.log(JSON.stringify(peers));
  peers = [];
  want = -1;
};
for (const host of process.argv.slice(1)) {
  const srv = net.createServer((s) => {
    peers.push(s.remoteAddress + ' ' + s.remotePort);
    s.on('error', () => {});
    s.destroy();
    flush();
  });
  srv.listen({ host, port: ${OPEN}, backlog: 4096 }, () => {
    if (++up === process.argv.length - 1) console.log('ready');
  });
}
rl.on('line', (l) => {
  want = Number(l);
  flush();
});
`;

let ns: Netns;
let ifname: string;
const k = process.pid % 250;
const v4 = { local: `10.252.${k}.1`, alt: `10.252.${k}.3`, remote: `10.252.${k}.2` };
const v6 = {
  local: `fd00:fa57:${k.toString(16)}::1`,
  alt: `fd00:fa57:${k.toString(16)}::3`,
  remote: `fd00:fa57:${k.toString(16)}::2`,
};
const lines: string[] = [];
let wake: (() => void) | null = null;
let send: (line: string) => void = () => {};

async function nextLine(): Promise<string> {
  while (lines.length === 0) {
    await new Promise<void>((r) => {
      wake = r;
    });
  }
  return lines.shift()!;
}

/** The peers accepted since the last call, once there are at least n. */
async function peers(n = 0): Promise<string[]> {
  send(String(n));
  return JSON.parse(await nextLine()) as string[];
}

const ip = (...args: string[]) => execFileSync('ip', args);

beforeAll(async () => {
  ns = testNetns('tcpfast');
  ifname = `tf${process.pid % 100000}`;
  ip('link', 'add', ifname, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns.name);
  for (const a of [`${v4.local}/24`, `${v4.alt}/24`]) ip('addr', 'add', a, 'dev', ifname);
  for (const a of [`${v6.local}/64`, `${v6.alt}/64`]) ip('-6', 'addr', 'add', a, 'dev', ifname, 'nodad');
  ip('link', 'set', ifname, 'up');
  ns.ip('addr', 'add', `${v4.remote}/24`, 'dev', 'eth0');
  ns.ip('-6', 'addr', 'add', `${v6.remote}/64`, 'dev', 'eth0', 'nodad');
  ns.ip('link', 'set', 'eth0', 'up');
  // A blackhole: SYNs to DROPPED vanish, so only the timeout can end a probe.
  ns.exec(
    'nft',
    `add table inet tf; add chain inet tf in { type filter hook input priority 0; }; add rule inet tf in tcp dport ${DROPPED} drop`,
  );
  const child = ns.spawn(process.execPath, ['-e', SERVER, v4.remote, v6.remote], { stdio: 'pipe' });
  createInterface({ input: child.stdout! }).on('line', (l) => {
    lines.push(l);
    wake?.();
  });
  send = (l) => child.stdin!.write(`${l}\n`);
  expect(await nextLine()).toBe('ready');
});

afterAll(() => {
  ns?.delete();
});

describe('tcpConnectProbe', () => {
  it('open port: ok, over IPv4 and IPv6', async () => {
    const a = await tcpConnectProbe(v4.remote, OPEN, { timeoutMs: 2000 });
    const b = await tcpConnectProbe(v6.remote, OPEN, { timeoutMs: 2000 });
    expect([a.ok, b.ok]).toEqual([true, true]);
    expect(a.latencyMs).toBeGreaterThanOrEqual(0);
    expect(await peers(2)).toHaveLength(2);
  });

  it('closed port: ECONNREFUSED, over IPv4 and IPv6', async () => {
    for (const host of [v4.remote, v6.remote]) {
      expect(await tcpConnectProbe(host, CLOSED, { timeoutMs: 2000 })).toMatchObject({
        ok: false,
        error: 'ECONNREFUSED',
      });
    }
  });

  it('blackholed port: times out at the connect timeout, not before', async () => {
    // A probe with a far later deadline, started first, is still in flight
    // when this one times out: each probe ends at its own deadline, in order,
    // however slow the machine is.
    const ctl = new AbortController();
    let longDone = false;
    const long = tcpConnectProbe(v4.remote, DROPPED, { timeoutMs: 60_000 }, ctl.signal).then((x) => {
      longDone = true;
      return x;
    });
    const r = await tcpConnectProbe(v4.remote, DROPPED, { timeoutMs: 400 });
    expect(r).toMatchObject({ ok: false, error: 'ETIMEDOUT', timedOut: true });
    expect(r.latencyMs).toBeGreaterThanOrEqual(400);
    expect(longDone).toBe(false);
    ctl.abort();
    expect(await long).toMatchObject({ aborted: true });
    const r6 = await tcpConnectProbe(v6.remote, DROPPED, { timeoutMs: 250 });
    expect(r6).toMatchObject({ ok: false, timedOut: true });
    expect(r6.latencyMs).toBeGreaterThanOrEqual(250);
    expect(tcpConnectInFlight()).toBe(0);
  });

  it('abort ends a probe at once and frees its socket', async () => {
    const ctl = new AbortController();
    const p = tcpConnectProbe(v4.remote, DROPPED, { timeoutMs: 10_000 }, ctl.signal);
    expect(tcpConnectInFlight()).toBe(1);
    setTimeout(() => ctl.abort(), 50);
    expect(await p).toMatchObject({ ok: false, error: 'ABORTED', aborted: true });
    expect(tcpConnectInFlight()).toBe(0);
    const pre = new AbortController();
    pre.abort();
    expect(await tcpConnectProbe(v4.remote, OPEN, { timeoutMs: 1000 }, pre.signal)).toMatchObject({
      aborted: true,
    });
  });

  it('2,000 concurrent probes all complete with the right verdict', async () => {
    await peers();
    const jobs: Array<Promise<string>> = [];
    const expected: string[] = [];
    for (let i = 0; i < 2000; i++) {
      const host = i % 2 ? v6.remote : v4.remote;
      const kind = i % 10 === 9 ? 'dropped' : i % 3 === 0 ? 'closed' : 'open';
      const port = kind === 'open' ? OPEN : kind === 'closed' ? CLOSED : DROPPED;
      expected.push(kind === 'open' ? 'ok' : kind === 'closed' ? 'ECONNREFUSED' : 'ETIMEDOUT');
      // Only the dropped ones wait out their timeout; the others get a
      // liveness bound so that a loaded machine cannot turn them into timeouts.
      const timeoutMs = kind === 'dropped' ? 1500 : 30_000;
      jobs.push(tcpConnectProbe(host, port, { timeoutMs }).then((r) => (r.ok ? 'ok' : r.error!)));
    }
    expect(tcpConnectInFlight()).toBeGreaterThan(0);
    const got = await Promise.all(jobs);
    const wrong = got.flatMap((g, i) => (g === expected[i] ? [] : [`#${i}: ${g} != ${expected[i]}`]));
    expect(wrong).toEqual([]);
    expect(tcpConnectInFlight()).toBe(0);
    const opened = expected.filter((e) => e === 'ok').length;
    expect((await peers(opened)).length).toBe(opened);
  });

  it('bindto and bind_port: only the chosen source address and port get through', async () => {
    // A filter in the server's namespace admits one source address and port
    // and drops the rest, so the verdicts show which source each probe used.
    const port = 40000 + (process.pid % 20000);
    ns.exec(
      'sh',
      '-c',
      `nft add table inet tfbind && nft add chain inet tfbind in '{ type filter hook input priority 0; }' && ` +
        `nft add rule inet tfbind in tcp dport ${OPEN} ip saddr != ${v4.alt} drop && ` +
        `nft add rule inet tfbind in tcp dport ${OPEN} ip6 saddr != ${v6.alt} drop`,
    );
    try {
      const probe = (host: string, o: { bindAddr?: string; bindPort?: number }) =>
        tcpConnectProbe(host, OPEN, { timeoutMs: 800, ...o }).then((r) => (r.ok ? 'ok' : r.error));
      expect(await probe(v4.remote, { bindAddr: v4.alt })).toBe('ok');
      expect(await probe(v4.remote, {})).toBe('ETIMEDOUT');
      expect(await probe(v6.remote, { bindAddr: v6.alt })).toBe('ok');
      expect(await probe(v6.remote, { bindAddr: v6.local })).toBe('ETIMEDOUT');
      ns.exec(
        'nft',
        'add',
        'rule',
        'inet',
        'tfbind',
        'in',
        'tcp',
        'dport',
        String(OPEN),
        'tcp',
        'sport',
        '!=',
        String(port),
        'drop',
      );
      expect(await probe(v4.remote, { bindAddr: v4.alt, bindPort: port })).toBe('ok');
      // The same fixed source port again at once: the reset close left no TIME_WAIT.
      expect(await probe(v4.remote, { bindAddr: v4.alt, bindPort: port })).toBe('ok');
      expect(await probe(v4.remote, { bindAddr: v4.alt })).toBe('ETIMEDOUT');
    } finally {
      ns.exec('nft', 'delete', 'table', 'inet', 'tfbind');
    }
  });

  it('bind failures are reported by errno name', async () => {
    expect(await tcpConnectProbe(v4.remote, OPEN, { timeoutMs: 1000, bindAddr: '192.0.2.99' })).toMatchObject(
      {
        ok: false,
        error: 'EADDRNOTAVAIL',
      },
    );
    expect(await tcpConnectProbe(v4.remote, OPEN, { timeoutMs: 1000, bindAddr: v6.alt })).toMatchObject({
      ok: false,
      error: 'EAFNOSUPPORT',
    });
  });
});

describe('TCP_CHECK through the health prober', () => {
  const base = { type: 'TCP_CHECK' as const, host: v4.remote, port: OPEN, connectTimeout: 300 };
  const signal = new AbortController().signal;

  it('keeps its reasons: refused, timeout, and connect_ip/connect_port override the target', async () => {
    expect(await probe({ ...base, bindto: v4.alt }, signal)).toMatchObject({ ok: true });
    expect(await probe({ ...base, port: CLOSED }, signal)).toMatchObject({
      ok: false,
      reason: `connect ${v4.remote}:${CLOSED}: ECONNREFUSED`,
    });
    expect(await probe({ ...base, port: DROPPED }, signal)).toMatchObject({
      ok: false,
      reason: 'timeout after 300 ms',
    });
    expect(
      await probe({ ...base, port: CLOSED, connectPort: OPEN, connectIp: v6.remote }, signal),
    ).toMatchObject({
      ok: true,
    });
  });

  it('a host name still works (the node:net path)', async () => {
    const r = await probe({ ...base, host: 'localhost', port: CLOSED }, signal);
    expect(r.ok).toBe(false);
    expect(r.reason).toMatch(/^connect localhost:7302: ECONNREFUSED/);
  });
});

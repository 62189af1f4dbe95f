// UDP_CHECK and DNS_CHECK against an echo server and a DNS responder (built
// on the project's codec) in a test namespace.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Netns } from '../../lab/netns.js';
import { HealthChecker } from '../../src/health/checker.js';
import { probe } from '../../src/health/probes/index.js';
import { testNetns } from '../support/netns.js';
import { linkToNetns, makeCert, PORTS, Recorder, type Servers, startServers } from './health-support.js';

const FAST = { delayLoop: 200, warmup: 0, connectTimeout: 600, retry: 0 } as const;
let ns: Netns;
let srv: Servers;
let addr: string;
let hc: HealthChecker;
let rec: Recorder;

beforeAll(async () => {
  ns = testNetns('hcudp');
  addr = linkToNetns(ns).remote;
  srv = await startServers(ns, addr, makeCert());
  hc = new HealthChecker();
  rec = new Recorder(hc);
});

afterAll(async () => {
  await hc?.stop();
  ns?.delete();
});

describe('UDP_CHECK', () => {
  it('needs a matching reply with require_reply; ICMP port-unreachable means down', async () => {
    const spec = {
      type: 'UDP_CHECK' as const,
      ...FAST,
      payload: Buffer.from('PING 1'),
      requireReply: Buffer.from('PONG'),
    };
    const signal = new AbortController().signal;
    expect(await probe({ ...spec, host: addr, port: PORTS.udp }, signal)).toMatchObject({ ok: true });
    expect(
      await probe({ ...spec, host: addr, port: PORTS.udp, requireReply: Buffer.from('PANG') }, signal),
    ).toMatchObject({ ok: false, reason: 'reply differs at byte 1' });

    await hc.setTargets([{ id: 'udp', host: addr, port: PORTS.udp, checks: [spec], alpha: true }]);
    hc.start();
    expect(await rec.next('udp')).toMatchObject({ up: true });
    await srv.send({ stop: 'udp' });
    expect(await rec.next('udp')).toEqual({
      target: 'udp',
      up: false,
      reason: `udp ${addr}:${PORTS.udp}: ECONNREFUSED`,
    });
    await srv.send({ start: 'udp' });
    expect(await rec.next('udp')).toMatchObject({ up: true });
  });

  it('without require_reply, silence passes and port-unreachable fails', async () => {
    const signal = new AbortController().signal;
    const spec = {
      type: 'UDP_CHECK' as const,
      ...FAST,
      connectTimeout: 300,
      host: addr,
      payload: Buffer.from('x'),
    };
    // The hang port has no UDP socket: the kernel answers port-unreachable.
    expect(await probe({ ...spec, port: PORTS.hang }, signal)).toMatchObject({ ok: false });
    // An nft rule that drops datagrams silently to a closed port: silence is a pass.
    ns.exec(
      'nft',
      'add table inet hc; add chain inet hc in { type filter hook input priority 0; }; add rule inet hc in udp dport 7999 drop',
    );
    try {
      expect(await probe({ ...spec, port: 7999 }, signal)).toMatchObject({ ok: true });
      expect(await probe({ ...spec, port: 7999, requireReply: new Uint8Array() }, signal)).toMatchObject({
        ok: false,
        reason: 'timeout after 300 ms',
      });
    } finally {
      ns.exec('nft', 'delete table inet hc');
    }
  });
});

describe('DNS_CHECK', () => {
  it('is up on NOERROR with an answer of the type, down on SERVFAIL or an empty answer', async () => {
    const spec = { type: 'DNS_CHECK' as const, ...FAST, dnsType: 'A' as const, name: 'www.hc.test' };
    await hc.setTargets([{ id: 'dns', host: addr, port: PORTS.dns, checks: [spec], alpha: true }]);
    hc.start();
    expect(await rec.next('dns')).toMatchObject({ up: true });
    await srv.send({ dns: { rcode: 2, answers: true } });
    expect(await rec.next('dns')).toEqual({ target: 'dns', up: false, reason: 'rcode 2' });
    await srv.send({ dns: { rcode: 0, answers: true } });
    expect(await rec.next('dns')).toMatchObject({ up: true });
    await srv.send({ dns: { rcode: 0, answers: false } });
    expect(await rec.next('dns')).toEqual({ target: 'dns', up: false, reason: 'no answer of type 1' });
    await srv.send({ dns: { rcode: 0, answers: true } });
    expect(await rec.next('dns')).toMatchObject({ up: true });
    await srv.send({ stop: 'dns' });
    expect(await rec.next('dns')).toMatchObject({
      up: false,
      reason: `dns ${addr}:${PORTS.dns}: ECONNREFUSED`,
    });
  });
});

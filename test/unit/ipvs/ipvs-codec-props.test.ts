// fast-check properties of the IPVS codec: every request the encoders build
// decodes back to what was given, for any service, destination and daemon.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type DestState,
  type Family,
  SCHEDULERS,
  type Scheduler,
  type ServiceSpec,
  type Stats,
} from '../../../src/kernel/dataplane.js';
import {
  daemonAttrs,
  destAttrs,
  type IpvsService,
  requests,
  type SyncDaemon,
  serviceAttrs,
} from '../../../src/kernel/ipvs/codec.js';
import {
  decodeConfig,
  decodeDaemon,
  decodeDaemonAttrs,
  decodeDest,
  decodeDestAttrs,
  decodeInfo,
  decodeService,
  decodeServiceAttrs,
} from '../../../src/kernel/ipvs/decode.js';
import { encodeAttrs, encodeGenl, NetlinkDecodeError } from '../../../src/kernel/netlink/codec.js';
import { canonicalIp as asIp, SCHED_FLAGS_MASK } from '../../../src/kernel/vocabulary.js';

const v4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((b) => b.join('.'));
const v6 = fc.ipV6().map((a) => {
  // Canonical text, as the decoder prints it.
  const b = Buffer.alloc(16);
  const full = a.includes('.') ? '::1' : a;
  const [h, t] = full.includes('::') ? full.split('::') : [full, undefined];
  const hs = h ? h.split(':') : [];
  const ts = t ? t.split(':') : [];
  const g = t === undefined ? hs : [...hs, ...Array(8 - hs.length - ts.length).fill('0'), ...ts];
  g.forEach((x, i) => {
    b.writeUInt16BE(Number.parseInt(x, 16), i * 2);
  });
  return b;
});
const addr = (f: Family) => (f === 'inet' ? v4 : v6.map((b) => bytesToCanonical(b))).map(asIp);
// The WHATWG URL parser prints IPv6 hosts in RFC 5952 form: an oracle that
// shares no code with the codec.
function bytesToCanonical(b: Buffer): string {
  // Avoid the IPv4-embedded forms, which print differently.
  if (b.subarray(0, 10).every((x) => x === 0)) b[0] = 0x20;
  const full = Array.from({ length: 8 }, (_, i) => b.readUInt16BE(2 * i).toString(16)).join(':');
  return new URL(`http://[${full}]/`).hostname.slice(1, -1);
}

const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const stats: fc.Arbitrary<Stats> = fc.record({
  conns: u64,
  inPackets: u64,
  outPackets: u64,
  inBytes: u64,
  outBytes: u64,
  cps: u64,
  inPps: u64,
  outPps: u64,
  inBps: u64,
  outBps: u64,
});
const SCHEDS: readonly Scheduler[] = SCHEDULERS;
const family = fc.constantFrom<Family>('inet', 'inet6');

const service: fc.Arbitrary<IpvsService> = family.chain((f) =>
  fc
    .record({
      key: fc.oneof(
        fc.record({
          kind: fc.constant('ip' as const),
          family: fc.constant(f),
          protocol: fc.constantFrom('tcp' as const, 'udp' as const, 'sctp' as const),
          address: addr(f),
          port: fc.nat(65535),
        }),
        fc.record({
          kind: fc.constant('fwmark' as const),
          family: fc.constant(f),
          fwmark: fc.integer({ min: 1, max: 0xffffffff }),
        }),
      ),
      scheduler: fc.constantFrom(...SCHEDS),
      bits: fc.nat(0x3f),
      persistence: fc.option(
        fc.record({
          timeoutSec: fc.integer({ min: 1, max: 2_000_000 }),
          prefix: fc.integer({ min: 1, max: f === 'inet' ? 32 : 128 }),
        }),
      ),
      stats: fc.option(stats),
    })
    .map(({ bits, ...s }) => ({ ...s, flags: bits & SCHED_FLAGS_MASK })),
);

const dest: fc.Arbitrary<DestState> = family.chain((f) =>
  fc
    .record({
      address: addr(f),
      port: fc.nat(65535),
      family: fc.constant(f),
      forwarding: fc.constantFrom('nat' as const, 'dr' as const, 'tun' as const),
      weight: fc.nat(65535),
      upperThreshold: fc.nat(0xffffffff),
      lowerThreshold: fc.nat(0xffffffff),
      activeConns: fc.nat(0xffffffff),
      inactiveConns: fc.nat(0xffffffff),
      persistentConns: fc.nat(0xffffffff),
      stats: fc.option(stats),
      tunnel: fc.oneof(
        fc.constant({ type: 'ipip' as const }),
        fc.record({
          type: fc.constant('gue' as const),
          port: fc.integer({ min: 1, max: 65535 }),
          csum: fc.constantFrom('nocsum' as const, 'csum' as const, 'remcsum' as const),
        }),
        fc.record({
          type: fc.constant('gre' as const),
          csum: fc.constantFrom('nocsum' as const, 'csum' as const, 'remcsum' as const),
        }),
      ),
    })
    .map(({ tunnel, ...d }) => (d.forwarding === 'tun' ? { ...d, tunnel } : d)),
);

const daemon: fc.Arbitrary<SyncDaemon> = fc.record({
  state: fc.constantFrom('master' as const, 'backup' as const),
  ifname: fc.stringMatching(/^[a-z][a-z0-9]{0,14}$/),
  syncId: fc.nat(255),
  maxLen: fc.integer({ min: 1, max: 65535 }),
  group: fc.oneof(v4, addr('inet6')),
  port: fc.integer({ min: 1, max: 65535 }),
  ttl: fc.integer({ min: 1, max: 255 }),
});

describe('IPVS codec properties', () => {
  it('decode(encode(service)) is the service', () => {
    fc.assert(
      fc.property(service, (s) => {
        expect(decodeServiceAttrs(encodeAttrs(serviceAttrs(s)))).toEqual(s);
      }),
    );
  });

  it('decode(encode(dest)) is the dest', () => {
    fc.assert(
      fc.property(dest, (d) => {
        expect(decodeDestAttrs(encodeAttrs(destAttrs(d)), d.family)).toEqual(d);
      }),
    );
  });

  it('decode(encode(daemon)) is the daemon', () => {
    fc.assert(
      fc.property(daemon, (d) => {
        expect(decodeDaemonAttrs(encodeAttrs(daemonAttrs(d)))).toEqual(d);
      }),
    );
  });

  it('a request payload carries the same service', () => {
    fc.assert(
      fc.property(service, (s) => {
        const spec: ServiceSpec = {
          key: s.key,
          scheduler: s.scheduler,
          flags: s.flags,
          persistence: s.persistence,
        };
        expect(decodeService(requests.newService(spec))).toEqual({ ...spec, stats: null });
      }),
    );
  });

  it('random bytes give a typed decode error or a value, never a crash', () => {
    const decoders = [
      (b: Buffer) => decodeService(b),
      (b: Buffer) => decodeDest(b),
      (b: Buffer) => decodeDaemon(b),
      (b: Buffer) => decodeInfo(b),
      (b: Buffer) => decodeConfig(b),
      (b: Buffer) => decodeServiceAttrs(b),
      (b: Buffer) => decodeDestAttrs(b, 'inet6'),
    ];
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(decoders.length - 1), (bytes, i) => {
        try {
          decoders[i]!(Buffer.from(bytes));
        } catch (e) {
          expect(e).toBeInstanceOf(NetlinkDecodeError);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('mutated valid replies give a typed decode error or a value', () => {
    fc.assert(
      fc.property(service, fc.array(fc.tuple(fc.nat(400), fc.nat(255)), { maxLength: 8 }), (s, muts) => {
        const b = encodeGenl(1, 1, [{ type: 1, value: serviceAttrs(s) }]);
        for (const [at, v] of muts) b[at % b.length] = v;
        try {
          decodeService(b);
        } catch (e) {
          expect(e).toBeInstanceOf(NetlinkDecodeError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

// Captured with strace from ipvsadm 1.31 in the lab VM (Debian 12, kernel 6.1):
//   ipvsadm -A -u 10.0.0.1:5060 -s rr -p 60 --pe sip     (genl payload of the NEW_SERVICE)
//   ipvsadm --set 900 120 300                             (the SET_CONFIG)
// and `ipvsadm -S -n` / `-L -n` for the same service.

import { describe, expect, it } from 'vitest';
import { parseIpvsArgs } from '../../../src/cli/ipvs-args.js';
import { formatDaemons, formatList, formatSave, formatTimeouts } from '../../../src/cli/ipvs-format.js';
import { parseRules } from '../../../src/cli/ipvs-run.js';
import type { DestState, ServiceState } from '../../../src/kernel/dataplane.js';
import { canonicalIp as asIp, SCHED_FLAG_BIT } from '../../../src/kernel/vocabulary.js';
import { LN, LN_DAEMON, LN_ONE, LN_PE, LN_STATS, SAVE, SAVE_PE } from './ipvsadm-captured.js';

const d = (x: Partial<DestState> & Pick<DestState, 'address' | 'port' | 'forwarding'>): DestState => ({
  family: x.address.includes(':') ? 'inet6' : 'inet',
  weight: 1,
  upperThreshold: 0,
  lowerThreshold: 0,
  activeConns: 0,
  inactiveConns: 0,
  persistentConns: 0,
  stats: null,
  ...x,
});

// The table the captured ipvsadm output was taken from, in kernel (hash) order.
const table: ServiceState[] = [
  {
    key: { kind: 'fwmark', family: 'inet6', fwmark: 7 },
    scheduler: 'fo',
    flags: 0,
    persistence: null,
    stats: null,
    dests: [],
  },
  {
    key: { kind: 'ip', family: 'inet', protocol: 'tcp', address: asIp('10.0.0.1'), port: 80 },
    scheduler: 'rr',
    flags: 0,
    persistence: null,
    stats: null,
    dests: [
      d({ address: asIp('10.1.0.6'), port: 80, forwarding: 'tun', tunnel: { type: 'gre', csum: 'csum' } }),
      d({ address: asIp('10.1.0.2'), port: 80, forwarding: 'nat', weight: 3 }),
      d({
        address: asIp('10.1.0.3'),
        port: 80,
        forwarding: 'dr',
        weight: 0,
        upperThreshold: 100,
        lowerThreshold: 10,
      }),
      d({ address: asIp('10.1.0.4'), port: 80, forwarding: 'tun', tunnel: { type: 'ipip' } }),
      d({
        address: asIp('10.1.0.5'),
        port: 80,
        forwarding: 'tun',
        tunnel: { type: 'gue', port: 6080, csum: 'csum' },
      }),
    ],
  },
  {
    key: { kind: 'ip', family: 'inet6', protocol: 'tcp', address: asIp('2001:db8::1'), port: 80 },
    scheduler: 'nq',
    flags: 0,
    persistence: { timeoutSec: 60, prefix: 64 },
    stats: null,
    dests: [d({ address: asIp('2001:db8::2'), port: 80, forwarding: 'nat', weight: 5 })],
  },
  {
    key: { kind: 'ip', family: 'inet', protocol: 'sctp', address: asIp('10.0.0.9'), port: 38412 },
    scheduler: 'wlc',
    flags: SCHED_FLAG_BIT['flag-3'],
    persistence: null,
    stats: null,
    dests: [],
  },
  {
    key: { kind: 'ip', family: 'inet', protocol: 'udp', address: asIp('10.0.0.1'), port: 53 },
    scheduler: 'mh',
    flags: SCHED_FLAG_BIT['mh-port'] | SCHED_FLAG_BIT.ops,
    persistence: null,
    stats: null,
    dests: [],
  },
  {
    key: { kind: 'fwmark', family: 'inet', fwmark: 7 },
    scheduler: 'lblc',
    flags: 0,
    persistence: { timeoutSec: 360, prefix: 32 },
    stats: null,
    dests: [],
  },
  {
    key: { kind: 'ip', family: 'inet', protocol: 'tcp', address: asIp('200.0.0.1'), port: 443 },
    scheduler: 'sh',
    flags: SCHED_FLAG_BIT['sh-fallback'] | SCHED_FLAG_BIT['sh-port'],
    persistence: { timeoutSec: 300, prefix: 24 },
    stats: null,
    dests: [],
  },
];
const info = { version: '1.2.1', versionCode: 0x010201, connTabSize: 4096 };

describe('output is byte-for-byte what ipvsadm 1.31 printed for the same table', () => {
  it('-Ln, including its sort order (200.0.0.1 before 10.0.0.1)', () => {
    expect(formatList(info, table)).toBe(LN);
  });
  it('-Ln --stats', () => {
    expect(formatList(info, table, { stats: true })).toBe(LN_STATS);
  });
  it('-S -n', () => {
    expect(formatSave(table)).toBe(SAVE);
  });
  it('-L -n -t one service', () => {
    expect(formatList(null, [table[1]!])).toBe(LN_ONE);
  });
  it('--daemon and --timeout', () => {
    expect(
      formatDaemons([
        { state: 'backup', ifname: 'lab0', syncId: 6, maxLen: 1400, group: '224.0.0.99', port: 8849, ttl: 2 },
        { state: 'master', ifname: 'lab0', syncId: 5, maxLen: 1472, group: '224.0.0.81', port: 8848, ttl: 1 },
      ]),
    ).toBe(LN_DAEMON);
    expect(formatTimeouts({ tcp: 900, tcpFin: 120, udp: 300 })).toBe(
      'Timeout (tcp tcpfin udp): 900 120 300\n',
    );
  });
});

describe('large counters', () => {
  const s = (n: bigint) => ({
    conns: n,
    inPackets: n,
    outPackets: n,
    inBytes: n,
    outBytes: n,
    cps: n,
    inPps: n,
    outPps: n,
    inBps: n,
    outBps: n,
  });
  const one = (n: bigint): ServiceState[] => [{ ...table[5]!, stats: s(n) }];
  it('scales to K, M, G, T as ipvsadm does, and --exact prints every digit', () => {
    const line = (n: bigint, exact = false) =>
      formatList(null, one(n), { stats: true, exact }).split('\n')[2]!.slice(33, 42);
    expect(line(99999999n)).toBe(' 99999999');
    expect(line(123456789n)).toBe('  123456K');
    expect(line(12345678901n)).toBe('   12345M');
    expect(line(12345678901234n)).toBe('   12345G');
    expect(line(123456789012345678n)).toBe('  123456T');
    expect(formatList(null, one(1234567890123n), { stats: true, exact: true }).split('\n')[2]).toBe(
      `FWM  7${' '.repeat(27)}${' 1234567890123'.repeat(5)}`,
    );
  });
});

describe('restore input', () => {
  it('ipvsadm-save output parses back to the table, rule for rule', () => {
    const parts = parseRules(`# saved\n${SAVE}\n`);
    expect(parts).toHaveLength(1);
    const ops = 'ops' in parts[0]! ? parts[0].ops : [];
    const services = ops.filter((o) => o.op === 'add-service');
    expect(services).toHaveLength(7);
    const back: ServiceState[] = services.map((o) => ({
      ...o.service,
      stats: null,
      dests: ops
        .filter((x) => x.op === 'add-dest' && JSON.stringify(x.key) === JSON.stringify(o.service.key))
        .map((x) =>
          d({ ...(x as unknown as { dest: DestState }).dest, upperThreshold: 0, lowerThreshold: 0 }),
        ),
    }));
    // Save drops thresholds, so compare what save prints.
    expect(formatSave(back)).toBe(SAVE);
  });
  it('refuses a bad line with its number, before anything runs', () => {
    expect(() => parseRules('-A -t 10.0.0.1:80 -s rr\n-A -t 10.0.0.2:80 -s nope\n')).toThrow(
      /line 2: illegal scheduling/,
    );
  });
  it('parses -C as a barrier', () => {
    expect(parseRules('-C\n-A -f 1 -s rr\n').map((p) => ('clear' in p ? 'clear' : p.ops.length))).toEqual([
      'clear',
      1,
    ]);
  });
  it('round-trips every captured save line through the argument parser', () => {
    for (const line of SAVE.trim().split('\n')) expect(() => parseIpvsArgs(line.split(' '))).not.toThrow();
  });
});

describe('persistence engine in the listing, as ipvsadm prints it', () => {
  const svc: ServiceState = {
    key: { kind: 'ip', family: 'inet', protocol: 'udp', address: asIp('10.0.0.1'), port: 5060 },
    scheduler: 'rr',
    pe: 'sip',
    flags: 0,
    persistence: { timeoutSec: 60, prefix: 32 },
    dests: [],
    stats: null,
  };
  it('-L -n and -S -n', () => {
    expect(formatList(info, [svc])).toBe(LN_PE);
    expect(formatSave([svc])).toBe(SAVE_PE);
  });
});

// The connection table: /proc/net/ip_vs_conn parsed, and listed as
// ipvsadm -L[n]c prints it.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatConnections, formatList, formatSave } from '../../../src/cli/ipvs-format.js';
import { namesFrom, parseServices } from '../../../src/cli/ipvs-names.js';
import type { ServiceState } from '../../../src/kernel/dataplane.js';
import { type ConnEntry, parseConnTable } from '../../../src/kernel/ipvs/conn.js';
import { canonicalIp, ipToBytes } from '../../../src/kernel/vocabulary.js';
import { CONN_PROC, LNC, LNC_PERSISTENT } from './ipvsadm-captured.js';

const TITLE = 'Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData\n';

type End = { readonly address: string; readonly port: number };
/** An entry with addresses in any valid spelling (ConnEntry holds them canonical). */
type AnyEntry = Omit<ConnEntry, 'client' | 'virtual' | 'dest'> & { client: End; virtual: End; dest: End };

/** The file's line for an entry, as the kernel prints it (ip_vs_conn_seq_show). */
function procLine(e: AnyEntry): string {
  const hex = (n: number, w: number) => n.toString(16).toUpperCase().padStart(w, '0');
  const addr = (a: string) =>
    e.family === 'inet'
      ? ipToBytes(a).toString('hex').toUpperCase()
      : (ipToBytes(a).toString('hex').match(/.{4}/g) ?? []).join(':');
  const pe = e.pe ? ` ${e.pe.name} ${e.pe.data}` : '';
  return `${e.protocol.padEnd(3)} ${addr(e.client.address)} ${hex(e.client.port, 4)} ${addr(e.virtual.address)} ${hex(e.virtual.port, 4)} ${addr(e.dest.address)} ${hex(e.dest.port, 4)} ${e.state.padEnd(11)} ${String(e.expiresSec).padStart(7)}${pe}\n`;
}

const PROC = `${TITLE}TCP 0A0A0002 A1B2 0A140064 0050 0A14000B 0050 ESTABLISHED     899
TCP 0A0A0002 A1B4 0A140064 0050 0A14000C 0050 TIME_WAIT       119
UDP 0A0A0002 0035 0A140064 0035 0A14000B 0035 UDP             299
TCP 2001:0db8:0000:0000:0000:0000:0000:0002 C350 2001:0db8:0000:0000:0000:0000:0000:0064 01BB 2001:0db8:0000:0000:0000:0000:0000:000b 01BB SYN_RECV         59
UDP 0A0A0002 13C4 0A140064 13C4 0A14000B 13C4 UDP            3599 sip 1234@example
`;

describe('/proc/net/ip_vs_conn', () => {
  it('parses addresses, ports, states, expiry and the persistence engine', () => {
    const t = parseConnTable(PROC);
    expect(t).toHaveLength(5);
    expect(t[0]).toEqual({
      protocol: 'TCP',
      family: 'inet',
      client: { address: '10.10.0.2', port: 0xa1b2 },
      virtual: { address: '10.20.0.100', port: 80 },
      dest: { address: '10.20.0.11', port: 80 },
      state: 'ESTABLISHED',
      expiresSec: 899,
    });
    expect(t[3]).toMatchObject({
      family: 'inet6',
      client: { address: '2001:db8::2', port: 50000 },
      dest: { address: '2001:db8::b', port: 443 },
    });
    expect(t[4]!.pe).toEqual({ name: 'sip', data: '1234@example' });
  });

  it('names the line it cannot read', () => {
    expect(() => parseConnTable(`${TITLE}TCP zz 0050\n`)).toThrow(/line 2: not a connection entry/);
  });

  it('reads back every entry the kernel can print (property)', () => {
    const v4 = fc.ipV4();
    const v6 = fc.ipV6().map((a) => {
      const b = ipToBytes(a);
      return (b.toString('hex').match(/.{4}/g) ?? []).map((g) => g.replace(/^0+(?=.)/, '')).join(':');
    });
    const port = fc.integer({ min: 0, max: 65535 });
    const entry = fc.boolean().chain((six) =>
      fc.record({
        protocol: fc.constantFrom('TCP', 'UDP', 'SCTP', 'IP'),
        family: fc.constant(six ? ('inet6' as const) : ('inet' as const)),
        client: fc.record({ address: six ? v6 : v4, port }),
        virtual: fc.record({ address: six ? v6 : v4, port }),
        dest: fc.record({ address: six ? v6 : v4, port }),
        state: fc.constantFrom(
          'ESTABLISHED',
          'TIME_WAIT',
          'SYN_RECV',
          'FIN_WAIT',
          'NONE',
          'UDP',
          'CLOSE_WAIT',
        ),
        expiresSec: fc.nat(1_000_000),
      }),
    );
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 8 }), (es) => {
        const text = TITLE + es.map(procLine).join('');
        const back = parseConnTable(text);
        expect(back.map((b) => [b.protocol, b.state, b.expiresSec, b.client.port, b.dest.port])).toEqual(
          es.map((e) => [e.protocol, e.state, e.expiresSec, e.client.port, e.dest.port]),
        );
        // Printing the parse again gives the same file.
        expect(TITLE + back.map(procLine).join('')).toBe(text);
      }),
    );
  });
});

describe('ipvsadm -L[n]c', () => {
  it('prints byte for byte what ipvsadm 1.31 printed for the same file (captured)', () => {
    expect(formatConnections(parseConnTable(CONN_PROC))).toBe(LNC);
    expect(formatConnections(parseConnTable(CONN_PROC), { persistentConn: true })).toBe(LNC_PERSISTENT);
  });

  it('lists each entry in the kernel order, in ipvsadm columns', () => {
    expect(formatConnections(parseConnTable(PROC))).toBe(
      [
        'IPVS connection entries',
        'pro expire state       source             virtual            destination',
        'TCP 14:59  ESTABLISHED 10.10.0.2:41394    10.20.0.100:80     10.20.0.11:80',
        'TCP 01:59  TIME_WAIT   10.10.0.2:41396    10.20.0.100:80     10.20.0.12:80',
        'UDP 04:59  UDP         10.10.0.2:53       10.20.0.100:53     10.20.0.11:53',
        'TCP 00:59  SYN_RECV    [2001:db8::2]:50000 [2001:db8::64]:443 [2001:db8::b]:443',
        'UDP 59:59  UDP         10.10.0.2:5060     10.20.0.100:5060   10.20.0.11:5060',
        '',
      ].join('\n'),
    );
  });

  it('--persistent-conn adds the engine columns to the entries that have them', () => {
    const out = formatConnections(parseConnTable(PROC), { persistentConn: true }).split('\n');
    expect(out[1]).toBe(
      'pro expire state       source             virtual            destination        pe name          pe_data',
    );
    expect(out[2]).toBe('TCP 14:59  ESTABLISHED 10.10.0.2:41394    10.20.0.100:80     10.20.0.11:80');
    expect(out[6]).toBe(
      'UDP 59:59  UDP         10.10.0.2:5060     10.20.0.100:5060   10.20.0.11:5060  sip                1234@example',
    );
  });

  it('without -n: IPv4 host names and TCP/UDP service names; IPv6 and SCTP stay numeric', () => {
    const services = parseServices(
      'http\t\t80/tcp\t\twww # WorldWideWeb\ndomain\t\t53/udp\nsip\t\t5060/udp\n',
    );
    const names = namesFrom(
      new Map([
        ['10.20.0.11', 'rs1.lab'],
        ['2001:db8::b', 'six.lab'],
      ]),
      services,
    );
    const out = formatConnections(parseConnTable(PROC), { names }).split('\n');
    expect(out[2]).toBe('TCP 14:59  ESTABLISHED 10.10.0.2:41394    10.20.0.100:http   rs1.lab:http');
    expect(out[4]).toBe('UDP 04:59  UDP         10.10.0.2:domain   10.20.0.100:domain rs1.lab:domain');
    // namesFrom is given a name for an IPv6 address only to show it is used as given.
    expect(out[5]).toBe('TCP 00:59  SYN_RECV    [2001:db8::2]:50000 [2001:db8::64]:443 [six.lab]:443');
  });

  it('names in the service list, as ipvsadm -L without -n; saved rules stay numeric for -R', () => {
    const svc: ServiceState = {
      key: { kind: 'ip', family: 'inet', protocol: 'tcp', address: canonicalIp('10.20.0.100'), port: 80 },
      scheduler: 'rr',
      flags: 0,
      persistence: null,
      stats: null,
      dests: [
        {
          address: canonicalIp('10.20.0.11'),
          port: 80,
          family: 'inet',
          forwarding: 'nat',
          weight: 1,
          upperThreshold: 0,
          lowerThreshold: 0,
          activeConns: 0,
          inactiveConns: 0,
          persistentConns: 0,
          stats: null,
        },
      ],
    };
    const names = namesFrom(new Map([['10.20.0.100', 'vip.lab']]), parseServices('http 80/tcp\n'));
    expect(formatList(null, [svc], { names }).split('\n').slice(2, 4)).toEqual([
      'TCP  vip.lab:http rr',
      '  -> 10.20.0.11:http              Masq    1      0          0         ',
    ]);
    expect(formatSave([svc])).toBe(
      '-A -t 10.20.0.100:80 -s rr\n-a -t 10.20.0.100:80 -r 10.20.0.11:80 -m -w 1\n',
    );
  });
});

// A generated IPVS table that covers every scheduler the lab kernel has, every
// flag, every forwarding mode and tunnel type, IPv4 and IPv6, TCP/UDP/SCTP,
// fwmark and persistence; and the ipvsadm command lines that program it.

import type { Netns } from '../../lab/netns.js';
import { IPVS_SCHEDULERS } from '../../lab/vm/config.js';
import type { DestSpec, Scheduler, ServiceSpec, ServiceState } from '../../src/kernel/dataplane.js';
import {
  canonicalIp as asIp,
  formatNetmask,
  IP_VS_SVC_F_ONEPACKET,
  type SchedFlagName,
  type SchedFlags,
  schedFlagBits,
  schedFlagNames,
} from '../../src/kernel/vocabulary.js';

/** The schedulers the lab VM's kernel has. */
export const LAB_SCHEDULERS: Scheduler[] = [...IPVS_SCHEDULERS];

function flagsFor(s: Scheduler, i: number, udp: boolean): SchedFlags {
  const base: SchedFlagName[][] =
    s === 'sh'
      ? [['sh-fallback', 'sh-port'], ['sh-port']]
      : s === 'mh'
        ? [['mh-fallback', 'mh-port'], ['mh-fallback']]
        : [[], ['flag-1'], ['flag-2'], ['flag-3'], ['flag-1', 'flag-3']];
  const f = [...base[i % base.length]!];
  if (udp && i % 2 === 0) f.push('ops');
  return schedFlagBits(f);
}

export function generateTable(): ServiceState[] {
  const out: ServiceState[] = [];
  const dest = (
    d: Partial<DestSpec> & Pick<DestSpec, 'address' | 'port' | 'forwarding'>,
  ): DestSpec & {
    activeConns: number;
    inactiveConns: number;
    persistentConns: number;
    stats: null;
  } => ({
    family: d.address.includes(':') ? 'inet6' : 'inet',
    weight: 1,
    upperThreshold: 0,
    lowerThreshold: 0,
    activeConns: 0,
    inactiveConns: 0,
    persistentConns: 0,
    stats: null,
    ...d,
  });
  LAB_SCHEDULERS.forEach((sched, i) => {
    // Addresses on both sides of 128.0.0.0 exercise ipvsadm's wrapping sort.
    const v4 = asIp(i % 2 === 0 ? `10.0.${i}.1` : `200.0.${i}.1`);
    const tcp: ServiceSpec = {
      key: { kind: 'ip', family: 'inet', protocol: 'tcp', address: v4, port: 80 + i },
      scheduler: sched,
      flags: flagsFor(sched, i, false),
      persistence:
        i % 3 === 0
          ? { timeoutSec: 300 + i, prefix: 24 }
          : i % 3 === 1
            ? { timeoutSec: 60, prefix: 32 }
            : null,
    };
    const tunnels: DestSpec['tunnel'][] = [
      { type: 'ipip' },
      { type: 'gue', port: 6080 + i, csum: 'csum' },
      { type: 'gue', port: 5555, csum: 'nocsum' },
      { type: 'gre', csum: 'csum' },
      { type: 'gre', csum: 'nocsum' },
      { type: 'gue', port: 7000, csum: 'remcsum' },
    ];
    out.push({
      ...tcp,
      stats: null,
      dests: [
        dest({ address: asIp(`10.1.${i}.2`), port: 8080, forwarding: 'nat', weight: i }),
        dest({
          address: asIp(`192.168.${i}.3`),
          port: 80 + i,
          forwarding: 'dr',
          weight: 3,
          upperThreshold: 100 + i,
          lowerThreshold: 10,
        }),
        dest({
          address: asIp(`10.1.${i}.4`),
          port: 80 + i,
          forwarding: 'tun',
          tunnel: tunnels[i % tunnels.length]!,
        }),
        dest({ address: asIp(`172.16.${i}.5`), port: 9000, forwarding: 'nat', weight: 65535 }),
      ],
    });
    const udp6: ServiceSpec = {
      key: {
        kind: 'ip',
        family: 'inet6',
        protocol: 'udp',
        address: asIp(`2001:db8:${(i + 1).toString(16)}::1`),
        port: 53,
      },
      scheduler: sched,
      flags: flagsFor(sched, i + 1, true),
      persistence: i % 2 === 0 ? { timeoutSec: 120, prefix: 64 + i } : null,
    };
    out.push({
      ...udp6,
      stats: null,
      dests: [
        dest({
          address: asIp(`2001:db8:${(i + 1).toString(16)}::2`),
          port: 5353,
          forwarding: 'nat',
          weight: 2,
        }),
        dest({
          address: asIp(`fd00::${(i + 3).toString(16)}`),
          port: 53,
          forwarding: 'dr',
          lowerThreshold: 5,
          upperThreshold: 50,
        }),
        dest({
          address: asIp(`2001:db8:${(i + 1).toString(16)}::4`),
          port: 53,
          forwarding: 'tun',
          tunnel: { type: 'ipip' },
        }),
      ],
    });
    if (i % 2 === 0) {
      out.push({
        key: { kind: 'ip', family: 'inet', protocol: 'sctp', address: asIp(`10.2.${i}.1`), port: 38412 },
        scheduler: sched,
        flags: flagsFor(sched, i + 2, false),
        persistence: null,
        stats: null,
        dests: [dest({ address: asIp(`10.2.${i}.2`), port: 38412, forwarding: 'nat' })],
      });
    }
    out.push({
      key: { kind: 'fwmark', family: i % 2 ? 'inet6' : 'inet', fwmark: 1 + i * 7 },
      scheduler: sched,
      flags: flagsFor(sched, i + 3, false),
      persistence: i % 2 ? { timeoutSec: 360, prefix: 96 } : { timeoutSec: 1800, prefix: 16 },
      stats: null,
      dests:
        i % 2
          ? [dest({ address: asIp(`fd00:1::${i + 1}`), port: 443, forwarding: 'dr' })]
          : [
              dest({ address: asIp(`10.3.${i}.2`), port: 8443, forwarding: 'nat', weight: 7 }),
              dest({ address: asIp(`10.3.${i}.3`), port: 443, forwarding: 'dr' }),
            ],
    });
  });
  return out;
}

const ap = (a: string, p: number) => (a.includes(':') ? `[${a}]:${p}` : `${a}:${p}`);

/** ipvsadm command lines (for `ipvsadm -R`) that program the table, thresholds included. */
export function ipvsadmLines(table: readonly ServiceState[]): string {
  const lines: string[] = [];
  for (const s of table) {
    const k = s.key;
    const name =
      k.kind === 'fwmark'
        ? `-f ${k.fwmark}${k.family === 'inet6' ? ' -6' : ''}`
        : `${k.protocol === 'tcp' ? '-t' : k.protocol === 'udp' ? '-u' : '--sctp-service'} ${ap(k.address, k.port)}`;
    let l = `-A ${name} -s ${s.scheduler}`;
    if (s.persistence)
      l += ` -p ${s.persistence.timeoutSec} -M ${formatNetmask(s.key.family, s.persistence.prefix)}`;
    if (s.flags & IP_VS_SVC_F_ONEPACKET) l += ' -o';
    const sf = schedFlagNames(s.scheduler, s.flags).filter((f) => f !== 'ops');
    if (sf.length) l += ` -b ${sf.join(',')}`;
    lines.push(l);
    for (const d of s.dests) {
      let dl = `-a ${name} -r ${ap(d.address, d.port)} ${d.forwarding === 'nat' ? '-m' : d.forwarding === 'dr' ? '-g' : '-i'} -w ${d.weight}`;
      dl += ` -x ${d.upperThreshold} -y ${d.lowerThreshold}`;
      if (d.tunnel) {
        dl += ` --tun-type ${d.tunnel.type}`;
        if (d.tunnel.port) dl += ` --tun-port ${d.tunnel.port}`;
        if (d.tunnel.csum) dl += ` --tun-${d.tunnel.csum}`;
      }
      lines.push(dl);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** ipvsadm wants an interface with an address and a default route before it adds IPv4 real servers. */
export function giveRoutes(ns: Netns): void {
  ns.ip('link', 'add', 'rt0', 'type', 'dummy');
  ns.ip('link', 'set', 'rt0', 'up');
  ns.ip('addr', 'add', '10.254.0.1/24', 'dev', 'rt0');
  ns.ip('-6', 'addr', 'add', 'fd00:fe::1/64', 'dev', 'rt0', 'nodad');
  ns.ip('route', 'add', 'default', 'via', '10.254.0.254');
  ns.ip('-6', 'route', 'add', 'default', 'via', 'fd00:fe::fe');
}

/** A table as the kernel reports it, without counters, in a stable order. */
export function normalize(table: readonly ServiceState[]): unknown[] {
  const key = (s: ServiceState) => JSON.stringify(s.key);
  return [...table]
    .sort((a, b) => key(a).localeCompare(key(b)))
    .map((s) => ({
      key: s.key,
      scheduler: s.scheduler,
      flags: s.flags,
      persistence: s.persistence,
      dests: [...s.dests]
        .map((d) => ({
          address: d.address,
          port: d.port,
          family: d.family,
          forwarding: d.forwarding,
          weight: d.weight,
          upperThreshold: d.upperThreshold,
          lowerThreshold: d.lowerThreshold,
          tunnel: d.tunnel ?? null,
        }))
        .sort((a, b) => `${a.address}/${a.port}`.localeCompare(`${b.address}/${b.port}`)),
    }));
}

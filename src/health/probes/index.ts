// Dispatch from a bound check to its prober.
import type { BoundCheck, ProbeResult } from '../types.js';
import { probeDns } from './dns.js';
import { probeHttp } from './http.js';
import { probeMisc } from './misc.js';
import { probeTcp } from './tcp.js';
import { probeUdp } from './udp.js';

export function probe(spec: BoundCheck, signal: AbortSignal): Promise<ProbeResult> {
  switch (spec.type) {
    case 'TCP_CHECK':
      return probeTcp(spec, signal);
    case 'HTTP_GET':
    case 'SSL_GET':
      return probeHttp(spec, signal);
    case 'UDP_CHECK':
      return probeUdp(spec, signal);
    case 'DNS_CHECK':
      return probeDns(spec, signal);
    case 'MISC_CHECK':
      return probeMisc(spec, signal);
  }
}

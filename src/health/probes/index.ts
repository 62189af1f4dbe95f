// Dispatch from a bound check to its prober.
import type { BoundCheck, ProbeResult } from '../types.js';
import { probeDns } from './dns.js';
import { probeFile } from './file.js';
import { probeHttp } from './http.js';
import { probeMisc } from './misc.js';
import { probePing } from './ping.js';
import { probeSmtp } from './smtp.js';
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
    case 'PING_CHECK':
      return probePing(spec, signal);
    case 'SMTP_CHECK':
      return probeSmtp(spec, signal);
    case 'FILE_CHECK':
      return probeFile(spec, signal);
  }
}

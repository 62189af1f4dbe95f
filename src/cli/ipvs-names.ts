// Host and service names for `floatlb ipvs` without -n, where ipvsadm prints
// them: an IPv4 address as its host name when the system resolver knows one
// (ipvsadm asks gethostbyaddr with an IPv4-sized address, so IPv6 addresses
// always stay numeric), and a TCP or UDP port as its /etc/services name.
import { lookupService } from 'node:dns/promises';
import { readFileSync } from 'node:fs';
import { isIPv4 } from 'node:net';

export interface Names {
  host(address: string): string;
  /** `protocol` as the kernel names it: tcp/TCP, udp/UDP; others stay numeric. */
  port(port: number, protocol: string): string;
}

export const NUMERIC: Names = { host: (a) => a, port: (p) => String(p) };

/** `name port/proto` lines of services(5): the first name for each port and protocol. */
export function parseServices(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const [name, pp] = raw.replace(/#.*/, '').trim().split(/\s+/);
    const hit = /^(\d+)\/(tcp|udp)$/.exec(pp ?? '');
    if (name && hit && !m.has(`${hit[1]}/${hit[2]}`)) m.set(`${hit[1]}/${hit[2]}`, name);
  }
  return m;
}

/** Names from tables already looked up (pure: the golden tests use it). */
export function namesFrom(hosts: ReadonlyMap<string, string>, services: ReadonlyMap<string, string>): Names {
  return {
    host: (a) => hosts.get(a) ?? a,
    port: (p, proto) => services.get(`${p}/${proto.toLowerCase()}`) ?? String(p),
  };
}

/** Looks up every IPv4 address given through the system resolver, and reads /etc/services. */
export async function systemNames(
  addresses: Iterable<string>,
  servicesFile = '/etc/services',
): Promise<Names> {
  let services = new Map<string, string>();
  try {
    services = parseServices(readFileSync(servicesFile, 'utf8'));
  } catch {
    // no services database: ports stay numeric, as with getservbyport
  }
  const hosts = new Map<string, string>();
  await Promise.all(
    [...new Set(addresses)]
      .filter((a) => isIPv4(a))
      .map(async (a) => {
        try {
          const { hostname } = await lookupService(a, 0);
          if (hostname && hostname !== a) hosts.set(a, hostname);
        } catch {
          // no name: the address itself
        }
      }),
  );
  return namesFrom(hosts, services);
}

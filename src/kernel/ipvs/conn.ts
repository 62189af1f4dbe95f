// The IPVS connection table as the kernel shows it in /proc/net/ip_vs_conn
// (ipvsadm -Lc reads the same file): one line per connection, addresses in
// hex (IPv4) or full IPv6 text, ports in hex, the state name, the seconds to
// expiry and, for a persistence engine, its name and data.
import { closeSync, openSync, readSync } from 'node:fs';
import { inNetns } from '../sock.js';
import { formatIp, type Ip, ipToBytes } from '../vocabulary.js';

export interface ConnEndpoint {
  readonly address: Ip;
  readonly port: number;
}

export interface ConnEntry {
  /** As the kernel names it: TCP, UDP, SCTP, or IP for a fwmark template. */
  readonly protocol: string;
  readonly family: 'inet' | 'inet6';
  readonly client: ConnEndpoint;
  readonly virtual: ConnEndpoint;
  readonly dest: ConnEndpoint;
  readonly state: string;
  readonly expiresSec: number;
  /** Persistence engine name and data (e.g. sip and a Call-ID), when set. */
  readonly pe?: { readonly name: string; readonly data: string };
}

const HEX4 = /^[0-9A-Fa-f]{8}$/;

function address(text: string): { address: Ip; family: 'inet' | 'inet6' } | null {
  if (HEX4.test(text)) return { address: formatIp(Buffer.from(text, 'hex')), family: 'inet' };
  if (!/^[0-9A-Fa-f:]+$/.test(text) || !text.includes(':')) return null;
  try {
    return { address: formatIp(ipToBytes(text)), family: 'inet6' };
  } catch {
    return null;
  }
}

function port(text: string): number | null {
  return /^[0-9A-Fa-f]{1,4}$/.test(text) ? Number.parseInt(text, 16) : null;
}

/** Parses the file's text; a line that is not an entry is an error naming it. */
export function parseConnTable(text: string): ConnEntry[] {
  const out: ConnEntry[] = [];
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    if (i === 0 || !line.trim()) return; // the title line
    const f = line.trim().split(/\s+/);
    const [proto, ca, cp, va, vp, da, dp, state, exp, peName, ...peData] = f;
    const c = address(ca ?? '');
    const v = address(va ?? '');
    const d = address(da ?? '');
    const ports = [port(cp ?? ''), port(vp ?? ''), port(dp ?? '')];
    if (!proto || !c || !v || !d || ports.includes(null) || !state || !/^\d+$/.test(exp ?? ''))
      throw new Error(`/proc/net/ip_vs_conn line ${i + 1}: not a connection entry: ${JSON.stringify(line)}`);
    out.push({
      protocol: proto,
      family: c.family,
      client: { address: c.address, port: ports[0]! },
      virtual: { address: v.address, port: ports[1]! },
      dest: { address: d.address, port: ports[2]! },
      state,
      expiresSec: Number(exp),
      ...(peName ? { pe: { name: peName, data: peData.join(' ') } } : {}),
    });
  });
  return out;
}

export const CONN_FILE = '/proc/net/ip_vs_conn';

/**
 * Reads the table of the namespace given (default: this process's). The file
 * shows the namespace of the thread that opens it, so the open happens inside
 * inNetns; the reads then go through the open descriptor.
 */
export function readConnTable(opts: { readonly netns?: string } = {}): ConnEntry[] {
  const open = () => {
    try {
      return openSync(CONN_FILE, 'r');
    } catch (e) {
      if ((e as { code?: string }).code !== 'ENOENT') throw e;
      throw new Error(`cannot open ${CONN_FILE}: this kernel has no IPVS`);
    }
  };
  const fd = opts.netns ? inNetns(opts.netns, open) : open();
  const chunks: Buffer[] = [];
  try {
    const buf = Buffer.alloc(65536);
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n <= 0) break;
      chunks.push(Buffer.from(buf.subarray(0, n)));
    }
  } finally {
    closeSync(fd);
  }
  return parseConnTable(Buffer.concat(chunks).toString('utf8'));
}

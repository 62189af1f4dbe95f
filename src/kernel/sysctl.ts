// sysctl helpers for the knobs a director and its real servers need. The
// files under /proc/sys/net show the namespace of the thread that opens them,
// so with a netns the open happens inside inNetns (synchronously, on this
// thread); the read or write then goes through the already-open descriptor.
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { inNetns } from './sock.js';

export interface SysctlOptions {
  /** Network namespace: a name under /run/netns or a path. */
  readonly netns?: string;
}

function pathOf(key: string): string {
  if (!/^[A-Za-z0-9_.\-/]+$/.test(key) || key.includes('..')) throw new TypeError(`bad sysctl key ${key}`);
  return `/proc/sys/${key.replace(/\./g, '/')}`;
}

function openIn(path: string, flags: 'r' | 'w', opts: SysctlOptions): number {
  const open = () => openSync(path, flags);
  return opts.netns ? inNetns(opts.netns, open) : open();
}

/** Reads a sysctl ("net.ipv4.ip_forward"), trimmed. */
export function readSysctl(key: string, opts: SysctlOptions = {}): string {
  const fd = openIn(pathOf(key), 'r', opts);
  try {
    const buf = Buffer.alloc(4096);
    const n = readSync(fd, buf, 0, buf.length, null);
    return buf.subarray(0, n).toString('utf8').trim();
  } finally {
    closeSync(fd);
  }
}

export function writeSysctl(key: string, value: string | number, opts: SysctlOptions = {}): void {
  const fd = openIn(pathOf(key), 'w', opts);
  try {
    writeSync(fd, `${value}\n`);
  } finally {
    closeSync(fd);
  }
}

/** Interface names with dots are written with slashes, as sysctl(8) does. */
const ifKey = (ifname: string): string => ifname.replace(/\./g, '/');

/** ARP behaviour of a DR real server: arp_ignore=1, arp_announce=2 keeps the VIP quiet. */
export function setArp(
  ifname: string,
  v: { readonly ignore?: number; readonly announce?: number },
  opts: SysctlOptions = {},
): void {
  if (v.ignore !== undefined) writeSysctl(`net.ipv4.conf.${ifKey(ifname)}.arp_ignore`, v.ignore, opts);
  if (v.announce !== undefined) writeSysctl(`net.ipv4.conf.${ifKey(ifname)}.arp_announce`, v.announce, opts);
}

export function getArp(ifname: string, opts: SysctlOptions = {}): { ignore: number; announce: number } {
  return {
    ignore: Number(readSysctl(`net.ipv4.conf.${ifKey(ifname)}.arp_ignore`, opts)),
    announce: Number(readSysctl(`net.ipv4.conf.${ifKey(ifname)}.arp_announce`, opts)),
  };
}

export function setIpForward(on: boolean, opts: SysctlOptions & { readonly ipv6?: boolean } = {}): void {
  writeSysctl(opts.ipv6 ? 'net.ipv6.conf.all.forwarding' : 'net.ipv4.ip_forward', on ? 1 : 0, opts);
}

export function getIpForward(opts: SysctlOptions & { readonly ipv6?: boolean } = {}): boolean {
  return readSysctl(opts.ipv6 ? 'net.ipv6.conf.all.forwarding' : 'net.ipv4.ip_forward', opts) === '1';
}

/** Reverse-path filter: 0 off, 1 strict, 2 loose. TUN real servers need 0. */
export function setRpFilter(ifname: string, mode: 0 | 1 | 2, opts: SysctlOptions = {}): void {
  writeSysctl(`net.ipv4.conf.${ifKey(ifname)}.rp_filter`, mode, opts);
}

export function getRpFilter(ifname: string, opts: SysctlOptions = {}): number {
  return Number(readSysctl(`net.ipv4.conf.${ifKey(ifname)}.rp_filter`, opts));
}

/**
 * Whether the kernel sends ICMP redirects out of ifname: on when
 * conf/all or conf/<ifname> says so (the kernel ORs them).
 */
export function getSendRedirects(ifname: string, opts: SysctlOptions = {}): boolean {
  const on = (k: string) => readSysctl(`net.ipv4.conf.${k}.send_redirects`, opts) === '1';
  return on('all') || on(ifKey(ifname));
}

/** The net.ipv4.vs.* knobs floatlb sets; they exist only once ip_vs is loaded. */
export const VS_KNOBS = ['conntrack', 'expire_nodest_conn', 'expire_quiescent_template'] as const;
export type VsKnob = (typeof VS_KNOBS)[number];

export function setVsKnob(knob: VsKnob, value: number, opts: SysctlOptions = {}): void {
  writeSysctl(`net.ipv4.vs.${knob}`, value, opts);
}

export function getVsKnob(knob: VsKnob, opts: SysctlOptions = {}): number {
  return Number(readSysctl(`net.ipv4.vs.${knob}`, opts));
}

// Where the lab VM keeps its kernel, initramfs and job directories, and which
// kernel modules it loads. Everything lives outside the repository and
// outside /tmp: the guest mounts a tmpfs over /tmp and would not see it.
import { join, resolve } from 'node:path';
import { SCHEDULERS } from '../../src/kernel/dataplane.js';

export function cacheDir(): string {
  const dir = resolve(process.env.FLOATLB_LAB_CACHE ?? '/var/cache/floatlb-lab');
  if (dir === '/tmp' || dir.startsWith('/tmp/') || dir === '/run' || dir.startsWith('/run/')) {
    throw new Error(`FLOATLB_LAB_CACHE=${dir}: the guest mounts tmpfs over /tmp and /run; use another path`);
  }
  return dir;
}

export const jobsDir = (): string => join(cacheDir(), 'jobs');
export const stampFile = (): string => join(cacheDir(), 'lab.json');

/** Loaded by the initramfs, in this order, to reach the host's root over 9p. */
export const INITRD_MODULES = [
  'virtio_ring',
  'virtio',
  'virtio_pci_modern_dev',
  'virtio_pci_legacy_dev',
  'virtio_pci',
  '9pnet',
  '9pnet_virtio',
  'netfs',
  'fscache',
  '9p',
] as const;

/** IPVS's schedulers that Debian 12's 6.1 kernel has: every one but `twos`. */
export const IPVS_SCHEDULERS = SCHEDULERS.filter((s) => s !== 'twos');

/**
 * Loaded by the guest before the command runs. Anything else (the rarer nft_*
 * expressions, say) is loaded on demand through kernel.modprobe.
 */
export const GUEST_MODULES = [
  'ip_vs',
  ...IPVS_SCHEDULERS.map((s) => `ip_vs_${s}`),
  'veth',
  'ipip',
  'ip_tunnel',
  'tunnel4',
  'ip6_tunnel',
  'bridge',
  'dummy',
  'nf_conntrack',
  'nf_nat',
  'nf_tables',
  ...['nft_chain_nat', 'nft_nat', 'nft_ct', 'nft_masq', 'nft_redir', 'nft_numgen', 'nft_hash', 'nft_limit'],
  ...['nft_reject', 'nft_reject_inet', 'nft_fib_inet', 'nft_fib_ipv4', 'nft_fib_ipv6', 'nft_log'],
];

/** The guest's own network: ipvsadm wants an interface and a default route. */
export const GUEST_NET = {
  ifname: 'lab0',
  v4: '10.255.255.1/24',
  v4Gateway: '10.255.255.254',
  v6: 'fd00:ff::1/64',
  v6Gateway: 'fd00:ff::fffe',
  hostname: 'floatlb-lab',
} as const;

/** What prepare() records; run() reads it to boot. */
export interface LabStamp {
  version: string;
  deb: string;
  tree: string;
  vmlinuz: string;
  /** The uncompressed ELF kernel (PVH entry): saves decompressing xz under TCG. */
  vmlinux: string;
  initrd: string;
  initHash: string;
}

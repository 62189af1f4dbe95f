// prepare: obtains Debian's amd64 kernel with apt-get download, unpacks it,
// runs depmod on the unpacked tree and builds the initramfs. Idempotent: a
// second call only checks the cache.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir, type LabStamp, stampFile } from './config.js';
import { buildInitramfs, initHash } from './initramfs.js';

type Log = (line: string) => void;
const defaultLog: Log = (line) => console.log(`lab-vm: ${line}`);

function run(cmd: string, args: string[], cwd?: string): string {
  return execFileSync(cmd, args, { encoding: 'utf8', cwd, stdio: ['ignore', 'pipe', 'pipe'] });
}

export function readStamp(): LabStamp | null {
  try {
    const s = JSON.parse(readFileSync(stampFile(), 'utf8')) as LabStamp;
    return s.vmlinux &&
      existsSync(s.vmlinux) &&
      existsSync(s.vmlinuz) &&
      existsSync(s.initrd) &&
      existsSync(join(s.tree, 'lib/modules', s.version, 'modules.dep'))
      ? s
      : null;
  } catch {
    return null;
  }
}

function readStampLoose(): { version: string } | null {
  try {
    const s = JSON.parse(readFileSync(stampFile(), 'utf8')) as { version?: unknown };
    return typeof s.version === 'string' ? { version: s.version } : null;
  } catch {
    return null;
  }
}

/** linux-image-amd64 -> linux-image-6.1.0-NN-amd64 (the versioned package). */
function resolveKernelPackage(log: Log): string {
  const lookup = (): string | null => {
    try {
      const out = run('apt-cache', ['depends', 'linux-image-amd64']);
      return /Depends:\s+(linux-image-\d\S*-amd64)\b/.exec(out)?.[1] ?? null;
    } catch {
      return null;
    }
  };
  let pkg = lookup();
  if (!pkg) {
    log('linux-image-amd64 unknown to apt; running apt-get update');
    run('apt-get', ['update', '-qq']);
    pkg = lookup();
  }
  if (!pkg) throw new Error('apt-cache depends linux-image-amd64 names no linux-image-*-amd64 package');
  return pkg;
}

function downloadDeb(pkg: string, dir: string, log: Log): string {
  const find = () => readdirSync(dir).find((f) => f.startsWith(`${pkg}_`) && f.endsWith('.deb'));
  const have = find();
  if (have) return join(dir, have);
  log(`apt-get download ${pkg} into ${dir}`);
  const download = () => run('apt-get', ['download', '-q', '-o', 'APT::Sandbox::User=root', pkg], dir);
  try {
    download();
  } catch {
    log('download failed; running apt-get update and retrying');
    run('apt-get', ['update', '-qq']);
    download();
  }
  const got = find();
  if (!got) throw new Error(`apt-get download ${pkg} left no .deb in ${dir}`);
  return join(dir, got);
}

/** The ELF inside bzImage (Debian compresses it with xz), or the bzImage itself. */
function extractVmlinux(vmlinuz: string, out: string, log: Log): string {
  if (existsSync(out)) return out;
  const img = readFileSync(vmlinuz);
  const at = img.indexOf(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]));
  if (at < 0) return vmlinuz;
  log(`extracting ${out} (uncompressed, booted through PVH)`);
  let elf: Buffer;
  try {
    elf = execFileSync('xz', ['-dc', '--single-stream'], { input: img.subarray(at), maxBuffer: 1 << 30 });
  } catch {
    return vmlinuz; // no xz: boot the bzImage, a few seconds slower
  }
  if (elf.subarray(0, 4).toString('latin1') !== '\x7fELF') return vmlinuz;
  writeFileSync(`${out}.tmp`, elf);
  renameSync(`${out}.tmp`, out);
  return out;
}

function unpack(deb: string, version: string, tree: string, log: Log): void {
  if (existsSync(join(tree, 'lib/modules', version, 'modules.dep'))) return;
  const tmp = `${tree}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  log(`dpkg -x ${deb} ${tree}`);
  run('dpkg', ['-x', deb, tmp]);
  // Some packagings put modules under usr/lib; modprobe -d wants lib/modules.
  if (!existsSync(join(tmp, 'lib/modules')) && existsSync(join(tmp, 'usr/lib/modules'))) {
    renameSync(join(tmp, 'usr/lib/modules'), join(tmp, 'lib/modules'));
  }
  log(`depmod -b ${tree} ${version}`);
  run('depmod', ['-b', tmp, version]);
  rmSync(tree, { recursive: true, force: true });
  renameSync(tmp, tree);
}

/** Makes sure the kernel, its module tree and the initramfs are cached. */
export async function prepareKernel(opts: { log?: Log } = {}): Promise<LabStamp> {
  const log = opts.log ?? defaultLog;
  const root = cacheDir();
  const hash = initHash();
  const old = readStamp();
  const known = readStampLoose();
  if (old?.initHash === hash) {
    log(`kernel ${old.version} and initramfs cached in ${root}`);
    return old;
  }
  for (const d of ['debs', 'kernel', 'jobs']) mkdirSync(join(root, d), { recursive: true });
  // Reuse the cached kernel when only the initramfs is stale.
  const pkg = known ? `linux-image-${known.version}` : resolveKernelPackage(log);
  const version = pkg.replace(/^linux-image-/, '');
  log(`kernel package ${pkg}`);
  const deb = downloadDeb(pkg, join(root, 'debs'), log);
  const tree = join(root, 'kernel', version);
  unpack(deb, version, tree, log);
  const vmlinuz = join(tree, 'boot', `vmlinuz-${version}`);
  if (!existsSync(vmlinuz)) throw new Error(`${deb} has no boot/vmlinuz-${version}`);
  const vmlinux = extractVmlinux(vmlinuz, join(tree, 'boot', `vmlinux-${version}`), log);
  const initrd = join(root, `initrd-${version}-${hash}.gz`);
  if (!existsSync(initrd)) {
    log(`building initramfs ${initrd}`);
    buildInitramfs(join(tree, 'lib/modules', version), initrd);
  }
  for (const f of readdirSync(root)) {
    if (f.startsWith('initrd-') && f.endsWith('.gz') && join(root, f) !== initrd)
      rmSync(join(root, f), { force: true });
  }
  const stamp: LabStamp = { version, deb, tree, vmlinuz, vmlinux, initrd, initHash: hash };
  writeFileSync(`${stampFile()}.tmp`, `${JSON.stringify(stamp, null, 2)}\n`);
  renameSync(`${stampFile()}.tmp`, stampFile());
  log(`ready: kernel ${version}, initramfs ${initrd}`);
  return stamp;
}

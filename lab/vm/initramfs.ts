// The initramfs: busybox plus the virtio/9p modules. Its /init mounts the
// host's root over 9p and hands over to the job's own init script there, so
// changing what the guest does needs no rebuild.

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { INITRD_MODULES } from './config.js';

const BUSYBOX = '/bin/busybox';

// Kernel parameters it reads: floatlb.job=DIR (holds init.sh), floatlb.9p=OPTS.
export const STAGE1_INIT = `#!/bin/busybox sh
/bin/busybox --install -s /bin
fail() { echo "floatlb-lab initramfs: $*"; echo o >/proc/sysrq-trigger; poweroff -f; }
mkdir -p /proc /sys /newroot
mount -t proc proc /proc
job= ; opts=
for w in $(cat /proc/cmdline); do
  case "$w" in
    floatlb.job=*) job="\${w#floatlb.job=}" ;;
    floatlb.9p=*) opts=",\${w#floatlb.9p=}" ;;
  esac
done
[ -n "$job" ] || fail "no floatlb.job= on the kernel command line"
for m in ${INITRD_MODULES.join(' ')}; do
  insmod "/lib/modules/$m.ko" || fail "insmod $m"
done
mount -t 9p -o "trans=virtio,version=9p2000.L,msize=262144$opts" hostroot /newroot || fail "mount 9p"
[ -f "/newroot$job/init.sh" ] || fail "missing $job/init.sh"
umount /proc
exec switch_root /newroot /bin/sh "$job/init.sh"
`;

export const initHash = (): string =>
  createHash('sha256').update(STAGE1_INIT).update(readFileSync(BUSYBOX)).digest('hex').slice(0, 16);

/** Module name -> path inside the tree, from depmod's modules.dep. */
export function moduleIndex(modulesDir: string): Map<string, string> {
  const index = new Map<string, string>();
  for (const line of readFileSync(join(modulesDir, 'modules.dep'), 'utf8').split('\n')) {
    const rel = line.split(':')[0];
    if (!rel) continue;
    const name = basename(rel)
      .replace(/\.ko(\.[a-z]+)?$/, '')
      .replaceAll('-', '_');
    index.set(name, join(modulesDir, rel));
  }
  return index;
}

/** Builds the gzip'd newc archive at `out` (atomically). */
export function buildInitramfs(modulesDir: string, out: string): void {
  const stage = `${out}.stage-${process.pid}`;
  rmSync(stage, { recursive: true, force: true });
  for (const d of ['bin', 'dev', 'lib/modules', 'proc', 'sys', 'newroot'])
    mkdirSync(join(stage, d), { recursive: true });
  copyFileSync(BUSYBOX, join(stage, 'bin/busybox'));
  chmodSync(join(stage, 'bin/busybox'), 0o755);
  const index = moduleIndex(modulesDir);
  for (const m of INITRD_MODULES) {
    const src = index.get(m);
    if (!src) throw new Error(`module ${m} not in ${modulesDir}`);
    if (!src.endsWith('.ko'))
      throw new Error(`module ${m} is compressed (${src}); busybox insmod needs plain .ko`);
    copyFileSync(src, join(stage, 'lib/modules', `${m}.ko`));
  }
  writeFileSync(join(stage, 'init'), STAGE1_INIT, { mode: 0o755 });
  // The kernel opens /dev/console before running /init.
  execFileSync('mknod', ['-m', '600', join(stage, 'dev/console'), 'c', '5', '1']);
  const tmp = `${out}.tmp-${process.pid}`;
  execFileSync('sh', [
    '-c',
    'cd "$1" && find . -print0 | cpio --null -o -H newc -R 0:0 --quiet | gzip -1 >"$2"',
    'sh',
    stage,
    tmp,
  ]);
  renameSync(tmp, out);
  rmSync(stage, { recursive: true, force: true });
}

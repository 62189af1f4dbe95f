// The job's init script: PID 1 in the guest after switch_root onto the
// host's root. It gives the guest its own /proc, /sys, /dev, /tmp and /run
// (so nothing it does there reaches the host), loads IPVS and friends, sets
// up a network, runs the command on ttyS1/ttyS2 and powers off.
import { GUEST_MODULES, GUEST_NET, type LabStamp } from './config.js';

export const q = (s: string): string => `'${s.replaceAll("'", "'\\''")}'`;

export interface GuestJob {
  jobDir: string;
  command: string | string[];
  cwd: string;
  env: Record<string, string>;
}

export function guestInit(stamp: LabStamp, job: GuestJob): string {
  const n = GUEST_NET;
  const argv = typeof job.command === 'string' ? ['/bin/sh', '-c', job.command] : job.command;
  if (argv.length === 0) throw new Error('runInKernelVm: empty command');
  const env = Object.entries(job.env)
    .filter(([k]) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(k))
    .map(([k, v]) => q(`${k}=${v}`))
    .join(' ');
  const mods = GUEST_MODULES.join(' ');
  return `#!/bin/sh
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
JOB=${q(job.jobDir)}
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs -o mode=755 tmpfs /run
mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null
read t_init _ </proc/uptime
# Modules the kernel asks for later come from the same tree.
printf '#!/bin/sh\nexec /sbin/modprobe -d %s "$@"\n' ${q(stamp.tree)} >/run/modprobe
chmod 755 /run/modprobe
echo /run/modprobe >/proc/sys/kernel/modprobe
/sbin/modprobe -q -d ${q(stamp.tree)} -a ${mods} || echo "lab-vm guest: some modules did not load" >/dev/console
read t_mods _ </proc/uptime
echo "lab-vm guest: init at $t_init, modules loaded at $t_mods" >/dev/console
hostname ${n.hostname}
ip -batch - <<EOF
link set lo up
link add ${n.ifname} type dummy
link set ${n.ifname} up
addr add ${n.v4} dev ${n.ifname}
route add default via ${n.v4Gateway} dev ${n.ifname}
addr add ${n.v6} dev ${n.ifname} nodad
route add ::/0 via ${n.v6Gateway} dev ${n.ifname}
EOF
# busybox is static: one exec over 9p is cheaper than coreutils'.
/bin/busybox stty -F /dev/ttyS1 raw -echo
/bin/busybox stty -F /dev/ttyS2 raw -echo
read t_cmd _ </proc/uptime
echo "init=$t_init modules=$t_mods command=$t_cmd" >"$JOB/timing"
sync "$JOB/timing"
if cd ${q(job.cwd)}; then
  env -i ${env} ${argv.map(q).join(' ')} </dev/null >/dev/ttyS1 2>/dev/ttyS2
  code=$?
else
  echo "lab-vm guest: cannot cd to" ${q(job.cwd)} >/dev/ttyS2
  code=126
fi
read t_end _ </proc/uptime
echo "lab-vm guest: command ended at $t_end" >/dev/console
# Setting the mode again waits until the serial ports have sent everything.
/bin/busybox stty -F /dev/ttyS1 raw
/bin/busybox stty -F /dev/ttyS2 raw
echo "$t_end" >"$JOB/end"
echo "$code" >"$JOB/exit.tmp"
# The 9p mount caches writes; power-off would drop them.
sync
mv "$JOB/exit.tmp" "$JOB/exit"
sync
read t_off _ </proc/uptime
echo "lab-vm guest: powering off at $t_off" >/dev/console
echo o >/proc/sysrq-trigger
sleep 5
/bin/busybox poweroff -f
`;
}

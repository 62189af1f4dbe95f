// The job's init script: PID 1 in the guest after switch_root onto the
// host's root. It gives the guest its own /proc, /sys, /dev, /tmp and /run
// (so nothing it does there reaches the host), loads IPVS and friends, sets
// up a network, runs the command on ttyS1/ttyS2 and powers off. A checkout
// under /tmp (a CI clone, say) stays visible through the guest's own /tmp.
import { GUEST_MODULES, GUEST_NET, type LabStamp } from './config.js';

export const q = (s: string): string => `'${s.replaceAll("'", "'\\''")}'`;

export interface GuestJob {
  jobDir: string;
  command: string | string[];
  cwd: string;
  env: Record<string, string>;
}

/**
 * V8 flags for every `node` found through PATH in the guest. Under TCG the
 * optimising tiers cost more than they save: vitest starts about 1.5x faster
 * without them. FLOATLB_LAB_NODE_FLAGS overrides ('' turns this off).
 */
export const GUEST_NODE_FLAGS = '--no-opt --no-sparkplug';

function nodeWrapper(flags: string): string {
  if (!flags.trim()) return '';
  const script = `#!/bin/sh\nexec /usr/bin/node ${flags} "$@"\n`;
  return `mkdir -p /run/lab-bin
printf %s ${q(script)} >/run/lab-bin/node
chmod 755 /run/lab-bin/node
`;
}

/** The top directory under /tmp of a checkout that lives there, which the guest's own /tmp would hide. */
function hostTmpTop(cwd: string): string | undefined {
  const m = /^\/tmp\/([^/]+)/.exec(cwd);
  return m?.[1];
}

/** Before the guest's /tmp: keeps the host's /tmp reachable under /dev (guest-local). */
function keepHostTmpDir(cwd: string): string {
  return hostTmpTop(cwd) ? 'mkdir -p /dev/.host-tmp\nmount --bind /tmp /dev/.host-tmp\n' : '';
}

/** After it: shows the checkout's own directory at its usual path, nothing else of the host's /tmp. */
function showHostTmpDir(cwd: string): string {
  const top = hostTmpTop(cwd);
  if (!top) return '';
  return `mkdir -p ${q(`/tmp/${top}`)}\nmount --bind ${q(`/dev/.host-tmp/${top}`)} ${q(`/tmp/${top}`)}\n`;
}

export function guestInit(stamp: LabStamp, job: GuestJob): string {
  const n = GUEST_NET;
  const argv = typeof job.command === 'string' ? ['/bin/sh', '-c', job.command] : job.command;
  if (argv.length === 0) throw new Error('runInKernelVm: empty command');
  const flags = process.env.FLOATLB_LAB_NODE_FLAGS ?? GUEST_NODE_FLAGS;
  // Tells code in the guest that it is the guest (it must not sweep the host's VMs).
  const jobEnv: Record<string, string> = { ...job.env, FLOATLB_LAB_GUEST: '1' };
  if (flags.trim()) jobEnv.PATH = `/run/lab-bin:${jobEnv.PATH ?? '/usr/local/bin:/usr/bin:/bin'}`;
  const env = Object.entries(jobEnv)
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
${keepHostTmpDir(job.cwd)}mount -t tmpfs -o mode=1777 tmpfs /tmp
${showHostTmpDir(job.cwd)}mount -t tmpfs -o mode=755 tmpfs /run
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
${nodeWrapper(flags)}read t_cmd _ </proc/uptime
echo "init=$t_init modules=$t_mods command=$t_cmd" >"$JOB/timing"
sync "$JOB/timing"
# The command writes into pipes, not the serial ttys: programs that see a
# terminal draw spinners and colours. Two cats copy the pipes to the ports.
/bin/busybox mkfifo /run/lab-out /run/lab-err
/bin/busybox cat /run/lab-out >/dev/ttyS1 &
c1=$!
/bin/busybox cat /run/lab-err >/dev/ttyS2 &
c2=$!
if cd ${q(job.cwd)}; then
  env -i ${env} ${argv.map(q).join(' ')} </dev/null >/run/lab-out 2>/run/lab-err
  code=$?
else
  echo "lab-vm guest: cannot cd to" ${q(job.cwd)} >/run/lab-err
  : >/run/lab-out
  code=126
fi
# A daemon the command left behind may hold the pipes open: stop waiting soon.
( sleep 5; kill $c1 $c2 2>/dev/null ) &
wait $c1 $c2
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

import { deleteNetns, listNetns } from '../../lab/netns.js';
import { cleanVms } from '../../lab/vm/index.js';
import { TEST_NETNS_PREFIX } from './netns.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** This run's namespaces, and any left by a run that crashed. */
function sweep(): void {
  if (process.getuid?.() !== 0) return;
  // Lab VMs whose owner died; never from inside a VM, whose pids are not the host's.
  if (!process.env.FLOATLB_LAB_GUEST) cleanVms();
  for (const name of listNetns()) {
    if (!name.startsWith(TEST_NETNS_PREFIX)) continue;
    const run = Number(name.slice(TEST_NETNS_PREFIX.length).split('-')[0]);
    if (run === process.pid || !alive(run)) deleteNetns(name);
  }
}

export function setup(): void {
  // Workers inherit this, so every namespace of the run carries our pid.
  process.env.FLOATLB_TEST_RUN = String(process.pid);
  sweep();
}

export function teardown(): void {
  sweep();
}

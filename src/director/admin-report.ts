// An admin change's reply: the kernel's outcome, and whether the admin state
// was durable by then. The write and the kernel change run at the same time.
import type { ReconcileReport } from './director.js';
import { DirectorError } from './director.js';

export interface AdminReport extends ReconcileReport {
  /** The admin state holding the change was on disk (fsync) before this reply. */
  readonly persisted: boolean;
}

/** Waits for the kernel change, and for the write too when `durable`. */
export async function afterWrite(
  written: Promise<void>,
  applied: Promise<ReconcileReport>,
  durable: boolean,
): Promise<AdminReport> {
  let persisted = false;
  let failed: Error | null = null;
  const settled = written.then(
    () => {
      persisted = true;
    },
    (e: unknown) => {
      failed = e as Error;
    },
  );
  const r = await applied;
  if (durable) await settled;
  if (failed) {
    const err = failed as Error;
    throw new DirectorError(
      `the kernel has the change, but the admin state was not written (${err.message}); it is lost at the next restart unless repeated`,
      500,
    );
  }
  return { ...r, persisted };
}

// The lab VM: a Debian 6.1 kernel (which has IPVS) under qemu TCG, with the
// host's root shared over 9p. Tests that need IPVS run inside it.
import { bootVm } from './run.js';

export type { LabStamp } from './config.js';
export { prepareKernel } from './prepare.js';
export { type BootOptions, type BootResult, bootVm, cleanVms, type GuestTiming } from './run.js';

export interface KernelVmOptions {
  timeoutMs?: number;
  cwd?: string;
  env?: Record<string, string>;
  onOutput?: (chunk: string) => void;
}

export interface KernelVmResult {
  code: number;
  output: string;
  timedOut: boolean;
  /** Unique per run; it appears in qemu's command line. */
  jobId: string;
}

/**
 * Runs `command` (a shell string, or argv) as root inside a fresh VM and
 * returns its exit code (124 on timeout) and its stdout and stderr, merged.
 */
export async function runInKernelVm(
  command: string | string[],
  opts: KernelVmOptions = {},
): Promise<KernelVmResult> {
  const r = await bootVm(command, {
    timeoutMs: opts.timeoutMs,
    cwd: opts.cwd,
    env: opts.env,
    onStdout: opts.onOutput,
    onStderr: opts.onOutput,
  });
  return { code: r.code, output: r.output, timedOut: r.timedOut, jobId: r.jobId };
}

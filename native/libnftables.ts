// libnftables in this process: the same parser and netlink batch as the nft
// binary, without starting a process (ip netns exec + nft cost 10-70 ms on a
// loaded 2-core machine, most of a small change). Calls are synchronous, so
// only small scripts come here; large loads still run the binary, off the
// event loop. A context is made per script inside the namespace, so its
// netlink socket lives there and no cache outlives a transaction.
import koffi from 'koffi';
import { inNetns } from './libc.js';

interface Lib {
  ctxNew: (flags: number) => unknown;
  ctxFree: (ctx: unknown) => void;
  bufferOutput: (ctx: unknown) => number;
  bufferError: (ctx: unknown) => number;
  errorBuffer: (ctx: unknown) => string;
  runBuffer: (ctx: unknown, buf: string) => number;
}

let lib: Lib | null | undefined;

function load(): Lib | null {
  if (lib !== undefined) return lib;
  try {
    const l = koffi.load('libnftables.so.1');
    lib = {
      ctxNew: l.func('void *nft_ctx_new(uint32_t flags)'),
      ctxFree: l.func('void nft_ctx_free(void *ctx)'),
      bufferOutput: l.func('int nft_ctx_buffer_output(void *ctx)'),
      bufferError: l.func('int nft_ctx_buffer_error(void *ctx)'),
      errorBuffer: l.func('const char *nft_ctx_get_error_buffer(void *ctx)'),
      runBuffer: l.func('int nft_run_cmd_from_buffer(void *ctx, const char *buf)'),
    };
  } catch {
    lib = null; // no libnftables: the caller runs the nft binary
  }
  return lib;
}

export function libnftablesAvailable(): boolean {
  return load() !== null;
}

/**
 * Runs an nft script as one transaction in the named namespace (the
 * caller's own when absent). Returns null when it committed, else nft's
 * error text.
 */
export function runNftScript(script: string, netns?: string): string | null {
  const l = load();
  if (!l) throw new Error('libnftables.so.1 is not installed');
  const ctx = netns ? inNetns(netns, () => l.ctxNew(0)) : l.ctxNew(0);
  if (!ctx) throw new Error('nft_ctx_new failed');
  try {
    l.bufferOutput(ctx);
    l.bufferError(ctx);
    const rc = l.runBuffer(ctx, script);
    return rc === 0 ? null : l.errorBuffer(ctx) || `nft exit ${rc}`;
  } finally {
    l.ctxFree(ctx);
  }
}

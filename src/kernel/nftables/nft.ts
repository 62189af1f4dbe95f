// The one place that runs nft. A script is one netlink batch, which the
// kernel commits atomically. Small scripts (a weight change, a health event)
// run through libnftables in this process; large ones, and every listing, go
// to the nft binary (`nft -f -` on stdin), which keeps the event loop free.
import { spawn } from 'node:child_process';
import { libnftablesAvailable, runNftScript } from '../../../native/libnftables.js';
import type { NftMsg } from './nl-codec.js';
import { NftBatchError, NftNetlink } from './nl-transport.js';

/** Scripts up to this size run in process (synchronously); larger ones run the binary. */
export const IN_PROCESS_MAX_BYTES = 16 * 1024;

export interface NftOptions {
  /** Named network namespace (/run/netns/NAME) to act in; the caller's own when absent. */
  readonly netns?: string;
  /** How to enter it: `ip netns exec` (default) or nsenter. */
  readonly enter?: 'ip-netns-exec' | 'nsenter';
  readonly nftPath?: string;
  /**
   * Small incremental changes (set elements, one service's rule) over
   * floatlb's own netlink batch (default), or always as scripts through
   * libnftables / nft (false: for comparison and as a fallback).
   */
  readonly netlink?: boolean;
}

export class NftError extends Error {
  readonly stderr: string;
  constructor(what: string, stderr: string) {
    super(`${what}: ${stderr.trim().split('\n').slice(0, 6).join(' | ')}`);
    this.name = 'NftError';
    this.stderr = stderr;
  }
}

export class Nft {
  private readonly opts: NftOptions;
  /** How many times nft ran; each `run` is one transaction. */
  invocations = 0;
  transactions = 0;
  /** Transactions run through libnftables in this process. */
  inProcess = 0;
  /** Transactions sent as floatlb's own netlink batch. */
  netlinkBatches = 0;
  private nl: NftNetlink | null = null;

  constructor(opts: NftOptions = {}) {
    this.opts = opts;
  }

  private argv(args: readonly string[]): [string, string[]] {
    const nft = this.opts.nftPath ?? 'nft';
    const ns = this.opts.netns;
    if (!ns) return [nft, [...args]];
    if (this.opts.enter === 'nsenter') return ['nsenter', [`--net=/run/netns/${ns}`, nft, ...args]];
    return ['ip', ['netns', 'exec', ns, nft, ...args]];
  }

  private exec(args: readonly string[], input: string | null, what: string): Promise<string> {
    const [cmd, argv] = this.argv(args);
    this.invocations++;
    return new Promise((resolve, reject) => {
      const child = spawn(cmd, argv, { stdio: ['pipe', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (b: Buffer) => out.push(b));
      child.stderr.on('data', (b: Buffer) => err.push(b));
      child.on('error', (e) => reject(new NftError(what, e.message)));
      child.on('close', (code) => {
        if (code === 0) resolve(Buffer.concat(out).toString('utf8'));
        else reject(new NftError(what, Buffer.concat(err).toString('utf8') || `exit ${code}`));
      });
      child.stdin.on('error', () => {});
      child.stdin.end(input ?? '');
    });
  }

  /**
   * Applies a script as one atomic transaction. `inProcess: false` sends even
   * a small one to the binary, when what nft loads first would block the
   * event loop too long (see NftablesDataPlane's RANGE_MAPS_IN_PROCESS).
   */
  async run(script: string, o: { inProcess?: boolean } = {}): Promise<void> {
    const small = script.length <= IN_PROCESS_MAX_BYTES && !this.opts.nftPath && o.inProcess !== false;
    if (small && libnftablesAvailable()) {
      this.invocations++;
      const err = runNftScript(script, this.opts.netns);
      if (err !== null) throw new NftError('nft transaction failed', err);
      this.inProcess++;
    } else await this.exec(['-f', '-'], script, 'nft transaction failed');
    this.transactions++;
  }

  /** Whether runBatch may be used (else the caller renders a script). */
  get netlinkEnabled(): boolean {
    return this.opts.netlink !== false && !this.opts.nftPath;
  }

  /** Applies nf_tables messages as one atomic batch over netlink. */
  async runBatch(msgs: readonly NftMsg[]): Promise<void> {
    this.nl ??= new NftNetlink(this.opts.netns);
    this.invocations++;
    try {
      await this.nl.run(msgs);
    } catch (e) {
      if (e instanceof NftBatchError) throw new NftError('nft transaction failed', e.text);
      throw e;
    }
    this.netlinkBatches++;
    this.transactions++;
  }

  counts(): { invocations: number; transactions: number; inProcess: number; netlinkBatches: number } {
    const { invocations, transactions, inProcess, netlinkBatches } = this;
    return { invocations, transactions, inProcess, netlinkBatches };
  }

  close(): void {
    this.nl?.close();
    this.nl = null;
  }

  /** `nft -j <args>` parsed; null when the object does not exist. */
  async json(args: readonly string[]): Promise<unknown | null> {
    try {
      return JSON.parse(await this.exec(['-j', ...args], null, `nft ${args.join(' ')}`));
    } catch (e) {
      if (e instanceof NftError && /No such file or directory/.test(e.stderr)) return null;
      throw e;
    }
  }
}

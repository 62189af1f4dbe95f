// Runs an external script in its own process group with a timeout; on
// timeout or abort the whole group is killed, so children it forked die too.
import { spawn } from 'node:child_process';

export interface ScriptRun {
  /** Exit code, or null when killed by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  aborted: boolean;
  error?: string;
}

export interface ScriptOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  uid?: number;
  gid?: number;
  env?: NodeJS.ProcessEnv;
}

/** Splits a command line on blanks, honouring single and double quotes. */
export function splitCommand(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: '"' | "'" | null = null;
  let has = false;
  for (const ch of line) {
    if (quote) {
      if (ch === quote) quote = null;
      else cur += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      has = true;
    } else if (ch === ' ' || ch === '\t') {
      if (has || cur) out.push(cur);
      cur = '';
      has = false;
    } else {
      cur += ch;
    }
  }
  if (quote) throw new Error(`unterminated quote in ${JSON.stringify(line)}`);
  if (has || cur) out.push(cur);
  return out;
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // group already gone
  }
}

export function runScript(argv: string[], opts: ScriptOptions): Promise<ScriptRun> {
  return new Promise((resolve) => {
    if (argv.length === 0)
      return resolve({ code: null, signal: null, timedOut: false, aborted: false, error: 'empty command' });
    let timedOut = false;
    let aborted = false;
    let settled = false;
    const child = spawn(argv[0]!, argv.slice(1), {
      detached: true,
      stdio: 'ignore',
      uid: opts.uid,
      gid: opts.gid,
      env: opts.env ?? process.env,
    });
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid);
    }, opts.timeoutMs);
    const onAbort = () => {
      aborted = true;
      killGroup(child.pid);
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const done = (r: ScriptRun) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      resolve(r);
    };
    child.once('error', (e) => done({ code: null, signal: null, timedOut, aborted, error: e.message }));
    child.once('exit', (code, signal) => {
      // Grandchildren left behind in the group go with it.
      killGroup(child.pid);
      done({ code, signal, timedOut, aborted });
    });
    if (opts.signal?.aborted) onAbort();
  });
}

// keepalived 2.2.7 as the reference, run beside floatlb: its checker process
// only (-C), logging to a file, with its pid files in the caller's directory.
import { type ChildProcess, spawn } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Netns } from '../../lab/netns.js';

export interface KeepalivedRun {
  readonly proc: ChildProcess;
  /** Its log so far. */
  log(): string;
  /** SIGHUP to keepalived's parent process: a reload. */
  reload(): void;
}

export function spawnKeepalivedLvs(ns: Netns, confPath: string, dir: string, tag = 'ka'): KeepalivedRun {
  const logPath = join(dir, `${tag}.log`);
  const out = openSync(logPath, 'a');
  const pidFile = join(dir, `${tag}.pid`);
  const proc = spawn(
    'ip',
    [
      'netns',
      'exec',
      ns.name,
      'keepalived',
      '-n',
      '-C',
      '-l',
      '-D',
      '-f',
      confPath,
      '-p',
      pidFile,
      '-c',
      join(dir, `${tag}-checkers.pid`),
    ],
    { stdio: ['ignore', out, out] },
  );
  proc.unref();
  return {
    proc,
    log: () => readFileSync(logPath, 'utf8'),
    reload: () => process.kill(Number(readFileSync(pidFile, 'utf8').trim()), 'SIGHUP'),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls fn until it holds; the bound is for liveness only. */
export async function until(what: string, fn: () => boolean, ms = 120_000, everyMs = 200): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** `ipvsadm -Sn` in a namespace, one rule a line, sorted: each line names its service. */
export function ipvsRules(ns: Netns): string[] {
  return ns
    .exec('ipvsadm', '-S', '-n')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .sort();
}

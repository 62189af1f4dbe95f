// keepalived-style notify scripts: notify_master/backup/fault/stop run with
// the arguments written in their own string; the generic notify script gets
// INSTANCE NAME STATE PRIORITY.
import { spawn } from 'node:child_process';
import { logger } from '../util/log.js';
import type { NotifyState } from './machine.js';
import type { NotifySettings } from './settings.js';

const log = logger('vrrp');

/** Which of an instance's scripts a command line comes from. */
export type NotifyKind = keyof NotifySettings;

export interface ScriptRunner {
  run(argv: readonly string[], kind?: NotifyKind): void;
}

/** Splits "path 'an arg' b" the way keepalived splits a script line. */
export function splitCommand(line: string): string[] {
  const out: string[] = [];
  const re = /'([^']*)'|"([^"]*)"|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) out.push(m[1] ?? m[2] ?? m[3] ?? '');
  return out;
}

/** The command lines to run for one transition, in keepalived's order (specific script, then generic). */
export function notifyCommands(
  n: NotifySettings,
  name: string,
  state: NotifyState,
  priority: number,
): Array<{ kind: NotifyKind; argv: string[] }> {
  const kind = ({ MASTER: 'master', BACKUP: 'backup', FAULT: 'fault', STOP: 'stop' } as const)[state];
  const out: Array<{ kind: NotifyKind; argv: string[] }> = [];
  const specific = n[kind];
  if (specific) out.push({ kind, argv: splitCommand(specific) });
  if (n.generic)
    out.push({
      kind: 'generic',
      argv: [...splitCommand(n.generic), 'INSTANCE', name, state, String(priority)],
    });
  return out.filter((a) => a.argv.length > 0);
}

/** Runs scripts detached; a failing script is logged, never awaited. */
export const spawnRunner: ScriptRunner = {
  run(argv) {
    const [cmd, ...args] = argv;
    if (!cmd) return;
    try {
      const child = spawn(cmd, args, { stdio: 'ignore' });
      child.on('error', (e) => log.error({ err: e, cmd }, 'notify script failed to start'));
      child.on('exit', (code) => {
        if (code) log.warn({ cmd, code }, 'notify script exited non-zero');
      });
    } catch (e) {
      log.error({ err: e, cmd }, 'notify script failed to start');
    }
  },
};

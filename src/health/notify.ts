// Runs a notify-style script (notify_up/down, quorum_up/down) as its user and
// group, under enable_script_security, with a timeout. Shared by the health
// checker and the director, and the same runner MISC_CHECK uses.
import { runScript, splitCommand } from './script.js';
import { checkScript } from './script-security.js';
import { resolveIdentity } from './users.js';

export interface NotifyScript {
  /** Command line, split on blanks (quotes honoured). */
  command: string;
  user?: string;
  group?: string;
}

export interface NotifyRun {
  readonly code: number | null;
  readonly timedOut: boolean;
  readonly error?: string;
}

/** Runs the script; throws when it may not run (unknown user, refused by script security). */
export async function runNotifyScript(
  script: NotifyScript,
  opts: { enableScriptSecurity: boolean; timeoutMs: number },
): Promise<NotifyRun> {
  const argv = splitCommand(script.command);
  const id = script.user === undefined ? null : resolveIdentity(script.user, script.group);
  const uid = id?.uid ?? process.getuid?.() ?? 0;
  const refused = checkScript(argv[0] ?? '', uid, opts.enableScriptSecurity);
  if (refused) throw new Error(refused);
  const r = await runScript(argv, { timeoutMs: opts.timeoutMs, ...(id ? { uid: id.uid, gid: id.gid } : {}) });
  return { code: r.code, timedOut: r.timedOut, ...(r.error ? { error: r.error } : {}) };
}

// MISC_CHECK: run a script; exit 0 up, 1 down; with misc_dynamic 2..255 up
// with weight code-2 (anything else non-zero is down). Timeout kills the group.

import { runScript, splitCommand } from '../script.js';
import { checkScript } from '../script-security.js';
import type { BoundCheck, MiscCheck, ProbeResult } from '../types.js';
import { DEFAULTS } from '../types.js';
import { type Identity, resolveIdentity } from '../users.js';
import { stopwatch } from './common.js';

type MiscSpec = MiscCheck & BoundCheck;

/** Maps an exit code to a result (pure). */
export function judgeExit(code: number, dynamic: boolean): { ok: boolean; weight?: number } {
  if (code === 0) return { ok: true };
  if (dynamic && code >= 2 && code <= 255) return { ok: true, weight: code - 2 };
  return { ok: false };
}

function identityOf(spec: MiscSpec): Identity | null {
  if (spec.user === undefined) return null;
  return resolveIdentity(spec.user, spec.group);
}

export async function probeMisc(spec: MiscSpec, signal: AbortSignal): Promise<ProbeResult> {
  const sw = stopwatch();
  let argv: string[];
  let id: Identity | null;
  try {
    argv = splitCommand(spec.miscPath);
    id = identityOf(spec);
  } catch (e) {
    return sw.fail((e as Error).message);
  }
  if (argv.length === 0) return sw.fail('empty misc_path');
  const runAs = id?.uid ?? process.getuid?.() ?? 0;
  const refused = checkScript(argv[0]!, runAs, spec.enableScriptSecurity ?? false);
  if (refused) return sw.fail(refused);
  const run = await runScript(argv, {
    timeoutMs: spec.miscTimeout ?? spec.delayLoop ?? DEFAULTS.delayLoop,
    signal,
    ...(id ? { uid: id.uid, gid: id.gid } : {}),
  });
  if (run.error) return sw.fail(`misc ${argv[0]}: ${run.error}`);
  if (run.timedOut) return sw.fail(`misc ${argv[0]}: timeout`);
  if (run.aborted) return sw.fail(`misc ${argv[0]}: aborted`);
  if (run.code === null) return sw.fail(`misc ${argv[0]}: killed by ${run.signal}`);
  const j = judgeExit(run.code, spec.miscDynamic ?? false);
  return j.ok
    ? sw.ok(j.weight === undefined ? {} : { weight: j.weight })
    : sw.fail(`misc ${argv[0]}: exit ${run.code}`);
}

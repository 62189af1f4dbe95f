// `keyword SCRIPT [username [groupname]]` as used by notify_* and quorum_*.
import type { ScriptRef } from '../model.js';
import type { ConfigNode } from '../parser.js';
import type { Reader } from '../values.js';

export function readScript(r: Reader, node: ConfigNode): ScriptRef | null {
  // keepalived splits a script line again, quotes and all; with a quote left open
  // that fails, and it drops the script rather than refusing the file.
  if (node.cut)
    return r.dropped(
      node.name,
      `${node.name.text}: the script is cut at an unterminated quote: dropped, as keepalived does; it is not run`,
    );
  const cmd = r.arg(node, 0, 'a script');
  if (!cmd) return null;
  if (node.args.length > 3) {
    // keepalived reads the second and third words as user and group, finds no such
    // user, and drops the script; so does floatlb.
    r.sink.warning(
      node.args[1]!,
      `${node.name.text}: several unquoted words: keepalived reads '${node.args[1]!.text}' as the user to run ` +
        `it as, and drops the script; it is not run (quote a command that takes arguments)`,
    );
    return null;
  }
  return { command: cmd.text, user: node.args[1]?.text ?? null, group: node.args[2]?.text ?? null };
}

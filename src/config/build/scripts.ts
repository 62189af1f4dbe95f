// `keyword SCRIPT [username [groupname]]` as used by notify_* and quorum_*.
import type { ScriptRef } from '../model.js';
import type { ConfigNode } from '../parser.js';
import type { Reader } from '../values.js';

export function readScript(r: Reader, node: ConfigNode): ScriptRef | null {
  const cmd = r.arg(node, 0, 'a script');
  if (!cmd) return null;
  if (node.args.length > 3) {
    r.sink.error(node.args[3]!, `${node.name.text}: too many words; quote a script that takes arguments`);
    return null;
  }
  return { command: cmd.text, user: node.args[1]?.text ?? null, group: node.args[2]?.text ?? null };
}

// track_file (vrrp_track_file is its older name): a file whose number, times
// the weight, moves the priority of the instances that track it.
import type { VrrpTrackFile } from '../model.js';
import type { ConfigNode } from '../parser.js';
import type { Reader } from '../values.js';

const WEIGHT_MAX = 2147483647;

export function readTrackFile(r: Reader, node: ConfigNode): VrrpTrackFile | null {
  const name = r.arg(node, 0, 'a track_file name');
  if (!name || !r.needsBlock(node)) return null;
  const f: VrrpTrackFile = { name: name.text, file: '', weight: 1, weightReverse: false, initFile: null };
  r.block(
    node,
    {
      file: (n) => {
        f.file = r.string(n) ?? f.file;
      },
      weight: (n) => {
        f.weight = r.int(n, -WEIGHT_MAX, WEIGHT_MAX) ?? f.weight;
        f.weightReverse = n.args[1]?.text === 'reverse';
      },
      init_file: (n) => {
        let value = 0;
        let overwrite = false;
        for (const [i, a] of n.args.entries()) {
          if (a.text === 'overwrite') overwrite = true;
          else value = r.int(n, -WEIGHT_MAX, WEIGHT_MAX, i) ?? value;
        }
        f.initFile = { value, overwrite };
      },
    },
    node.name.text,
  );
  if (!f.file) {
    return r.dropped(
      node.name,
      `track_file ${f.name} has no file: dropped, as keepalived does; instances that track it ignore it`,
    );
  }
  return f;
}

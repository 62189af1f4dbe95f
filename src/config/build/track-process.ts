// vrrp_track_process: a count of running processes that match a name (or a
// command line), held against a quorum, moves the instances that track it.
import type { VrrpTrackProcess } from '../model.js';
import type { ConfigNode } from '../parser.js';
import type { Reader } from '../values.js';

const COUNT_MAX = 65535;

export function readTrackProcess(r: Reader, node: ConfigNode): VrrpTrackProcess | null {
  const name = r.arg(node, 0, 'a vrrp_track_process name');
  if (!name || !r.needsBlock(node)) return null;
  const p: VrrpTrackProcess = {
    name: name.text,
    process: '',
    params: [],
    paramMatch: null,
    matchParams: false,
    fullCommand: false,
    quorum: 1,
    quorumMax: COUNT_MAX,
    weight: 1,
    weightReverse: false,
    forkDelay: 0,
    terminateDelay: 0,
  };
  let paramMatchSet = false;
  let quorumSet = false;
  r.block(
    node,
    {
      process: (n) => {
        const cmd = r.arg(n, 0, 'a process name');
        if (!cmd) return;
        p.process = cmd.text;
        p.params = n.args.slice(1).map((a) => a.text);
      },
      param_match: (n) => {
        // As keepalived: alone it means an exact match; any form compares the full command line.
        // An unknown type is reported and ignored.
        const tok = n.args[0];
        const how = tok ? r.oneOfToken(tok, ['initial', 'partial'] as const, 'param_match') : null;
        if (tok && !how) return;
        p.paramMatch = how;
        p.fullCommand = true;
        paramMatchSet = true;
      },
      full_command: () => {
        p.fullCommand = true;
      },
      quorum: (n) => {
        p.quorum = r.int(n, 0, COUNT_MAX) ?? p.quorum;
        quorumSet = true;
      },
      quorum_max: (n) => {
        p.quorumMax = r.int(n, 0, COUNT_MAX) ?? p.quorumMax;
      },
      weight: (n) => {
        p.weight = r.int(n, -254, 254) ?? p.weight;
        p.weightReverse = n.args[1]?.text === 'reverse';
      },
      delay: (n) => {
        const t = r.timer(n);
        if (t !== null) p.forkDelay = p.terminateDelay = t;
      },
      fork_delay: (n) => {
        p.forkDelay = r.timer(n) ?? p.forkDelay;
      },
      terminate_delay: (n) => {
        p.terminateDelay = r.timer(n) ?? p.terminateDelay;
      },
    },
    'vrrp_track_process',
  );
  // keepalived reports both of these and goes on: the tracker is dropped, or
  // quorum_max is ignored.
  if (!p.process) {
    r.sink.warning(
      node.name,
      `vrrp_track_process ${p.name} has no process; dropped: instances that track it ignore it`,
    );
    return null;
  }
  // quorum_max 0 alone means: up only while no such process runs.
  if (!quorumSet && p.quorumMax < p.quorum) p.quorum = p.quorumMax;
  if (p.quorumMax < p.quorum) {
    r.sink.warning(
      node.name,
      `vrrp_track_process ${p.name}: quorum_max ${p.quorumMax} is below quorum ${p.quorum}; quorum_max ignored`,
    );
    p.quorumMax = COUNT_MAX;
  }
  // Parameters, or param_match alone (meaning: no parameters at all), match the command line.
  p.matchParams = p.params.length > 0 || paramMatchSet;
  return p;
}

// vrrp_script, the track_* lines that refer to scripts, interfaces, files
// and processes, and vrrp_sync_group.
import type { TrackRef, VrrpScript, VrrpSyncGroup } from '../model.js';
import type { ConfigNode } from '../parser.js';
import { append, type Reader } from '../values.js';
import { readScript } from './scripts.js';

export function readVrrpScript(r: Reader, node: ConfigNode): VrrpScript | null {
  const name = r.arg(node, 0, 'a script name');
  if (!name || !r.needsBlock(node)) return null;
  const s: VrrpScript = {
    name: name.text,
    script: '',
    interval: 1000,
    timeout: null,
    weight: 0,
    weightReverse: false,
    rise: 1,
    fall: 1,
    user: null,
    group: null,
    initFail: false,
  };
  r.block(
    node,
    {
      script: (n) => {
        s.script = r.string(n) ?? s.script;
      },
      interval: (n) => {
        s.interval = r.timer(n) ?? s.interval;
      },
      timeout: (n) => {
        s.timeout = r.timer(n);
      },
      weight: (n) => {
        s.weight = r.int(n, -253, 253) ?? s.weight;
        s.weightReverse = n.args[1]?.text === 'reverse';
      },
      rise: (n) => {
        s.rise = r.int(n, 1, 2147483647) ?? s.rise;
      },
      fall: (n) => {
        s.fall = r.int(n, 1, 2147483647) ?? s.fall;
      },
      user: (n) => {
        s.user = r.string(n);
        s.group = n.args[1]?.text ?? null;
      },
      init_fail: () => {
        s.initFail = true;
      },
    },
    'vrrp_script',
  );
  if (!s.script) {
    return r.dropped(
      node.name,
      `vrrp_script ${s.name} has no script: dropped, as keepalived does; instances that track it ignore it`,
    );
  } else {
    // Like keepalived, a script whose program is missing is disabled, not fatal.
    const program = s.script.trim().split(/\s+/)[0]!;
    if (r.env && /^[/\w]/.test(program) && !r.env.commandExists(program)) {
      r.sink.warning(
        node.name,
        `vrrp_script ${s.name}: ${program} not found or not executable: the script is disabled`,
      );
    }
  }
  return s;
}

/** `NAME [weight N [reverse|noreverse|no_reverse]]` lines of track_* blocks. */
export function readTrack(r: Reader, node: ConfigNode, min: number, max: number): TrackRef[] {
  const out: TrackRef[] = [];
  for (const c of node.children ?? []) {
    let weight: number | null = null;
    let reverse = false;
    for (let i = 0; i < c.args.length; i++) {
      const a = c.args[i]!;
      if (a.text === 'weight' && c.args[i + 1]) weight = r.intToken(c.args[++i]!, min, max, 'track weight');
      else if (a.text === 'reverse') reverse = true;
      else if (a.text === 'noreverse' || a.text === 'no_reverse') reverse = false;
      else r.invalid(a, `option for ${c.name.text}`, 'weight N [reverse|noreverse]');
    }
    out.push({ name: c.name.text, weight, reverse });
  }
  return out;
}

export function readSyncGroup(r: Reader, node: ConfigNode): VrrpSyncGroup | null {
  const name = node.args[0];
  if (!name) return r.dropped(node.name, 'vrrp_sync_group has no name: skipped, as keepalived does');
  if (!r.needsBlock(node)) return null;
  const s: VrrpSyncGroup = {
    name: name.text,
    group: [],
    trackInterface: [],
    trackScript: [],
    trackFile: [],
    trackProcess: [],
    notifyMaster: null,
    notifyBackup: null,
    notifyFault: null,
    notifyStop: null,
    notify: null,
    smtpAlert: null,
    globalTracking: false,
  };
  const notify =
    (key: 'notifyMaster' | 'notifyBackup' | 'notifyFault' | 'notifyStop' | 'notify') => (n: ConfigNode) => {
      s[key] = readScript(r, n);
    };
  r.block(
    node,
    {
      group: (n) =>
        append(
          s.group,
          r.words(n).map((t) => t.text),
        ),
      track_interface: (n) => append(s.trackInterface, readTrack(r, n, -253, 253)),
      track_script: (n) => append(s.trackScript, readTrack(r, n, -253, 253)),
      track_file: (n) => append(s.trackFile, readTrack(r, n, -254, 254)),
      track_process: (n) => append(s.trackProcess, readTrack(r, n, -254, 254)),
      track_bfd: () => {},
      notify_master: notify('notifyMaster'),
      notify_backup: notify('notifyBackup'),
      notify_fault: notify('notifyFault'),
      notify_stop: notify('notifyStop'),
      notify: notify('notify'),
      notify_deleted: () => {},
      notify_priority_changes: () => {},
      smtp_alert: (n) => {
        s.smtpAlert = r.bool(n);
      },
      global_tracking: () => {
        s.globalTracking = true;
      },
      sync_group_tracking_weight: () => {
        s.globalTracking = true;
      },
    },
    'vrrp_sync_group',
  );
  if (s.group.length === 0)
    return r.dropped(
      node.name,
      `vrrp_sync_group ${s.name} has no group { } of instances: dropped, as keepalived does`,
    );
  return s;
}

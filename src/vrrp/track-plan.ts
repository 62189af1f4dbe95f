// Pure: which tracked inputs move which instance's priority, and what a
// reload changes about them. A tracker whose definition is unchanged keeps
// running with its state; a changed one is replaced and starts from the old
// one's result, so only a different result can change a VRRP state.
import type {
  FloatlbConfig,
  TrackRef,
  VrrpScript,
  VrrpTrackFile,
  VrrpTrackProcess,
} from '../config/model.js';

/** One tracked input of one instance, as the speaker takes it (its track name and weight). */
export interface Binding {
  readonly instance: string;
  /** "script:NAME", "if:IFNAME", "file:NAME" or "process:NAME". */
  readonly key: string;
  readonly weight: number;
  /** 'weight 0 reverse' of a process: down while the quorum is met. */
  readonly invert?: boolean;
}

export interface TrackSet {
  readonly bindings: readonly Binding[];
  readonly scripts: ReadonlyMap<string, VrrpScript>;
  readonly files: ReadonlyMap<string, VrrpTrackFile>;
  readonly processes: ReadonlyMap<string, VrrpTrackProcess>;
  readonly interfaces: ReadonlySet<string>;
  /** keepalived's rule: weighted tracking inside a sync group is ignored (with these warnings). */
  readonly ignored: readonly string[];
}

type Tracks = {
  trackInterface: TrackRef[];
  trackScript: TrackRef[];
  trackFile: TrackRef[];
  trackProcess: TrackRef[];
};

/** An instance's own track refs plus those of the sync groups it belongs to. */
function refsOf(config: FloatlbConfig, name: string, pick: (o: Tracks) => TrackRef[]): TrackRef[] {
  const inst = config.vrrpInstances.find((i) => i.name === name);
  const groups = config.vrrpSyncGroups.filter((g) => g.group.includes(name));
  return [...(inst ? pick(inst) : []), ...groups.flatMap((g) => pick(g))];
}

export function trackSet(config: FloatlbConfig): TrackSet {
  const all: Binding[] = [];
  const scripts = new Map<string, VrrpScript>();
  const files = new Map<string, VrrpTrackFile>();
  const processes = new Map<string, VrrpTrackProcess>();
  const interfaces = new Set<string>();
  for (const inst of config.vrrpInstances) {
    for (const t of refsOf(config, inst.name, (o) => o.trackInterface)) {
      all.push({ instance: inst.name, key: `if:${t.name}`, weight: t.weight ?? 0 });
    }
    for (const t of refsOf(config, inst.name, (o) => o.trackScript)) {
      const script = config.vrrpScripts.find((s) => s.name === t.name);
      if (!script) continue; // the config check warns about it
      const weight = (t.weight ?? script.weight) * (t.reverse || script.weightReverse ? -1 : 1);
      all.push({ instance: inst.name, key: `script:${t.name}`, weight });
    }
    for (const t of refsOf(config, inst.name, (o) => o.trackFile)) {
      const file = config.vrrpTrackFiles.find((f) => f.name === t.name);
      if (!file) continue;
      const weight = (t.weight ?? file.weight) * (t.reverse || file.weightReverse ? -1 : 1);
      all.push({ instance: inst.name, key: `file:${t.name}`, weight });
    }
    for (const t of refsOf(config, inst.name, (o) => o.trackProcess)) {
      const proc = config.vrrpTrackProcesses.find((p) => p.name === t.name);
      if (!proc) continue;
      const reverse = t.reverse || proc.weightReverse;
      const weight = (t.weight ?? proc.weight) * (reverse ? -1 : 1) + 0; // + 0: no negative zero
      all.push({ instance: inst.name, key: `process:${t.name}`, weight, invert: weight === 0 && reverse });
    }
  }
  // Without sync_group_tracking_weight, a weight would let one member's
  // priority drift from the group's: keepalived drops such tracking.
  const ignored: string[] = [];
  const bindings = all.filter((b) => {
    const groups = config.vrrpSyncGroups.filter((g) => g.group.includes(b.instance));
    if (b.weight === 0 || !groups.length || groups.some((g) => g.globalTracking)) return true;
    const [kind, name] = [b.key.slice(0, b.key.indexOf(':')), b.key.slice(b.key.indexOf(':') + 1)];
    const what = { if: 'interface', script: 'script', file: 'file', process: 'process' }[kind] ?? kind;
    ignored.push(
      `(${b.instance}) ignoring tracked ${what} ${name} with weights due to SYNC group ${groups[0]!.name}`,
    );
    return false;
  });
  for (const b of bindings) {
    const name = b.key.slice(b.key.indexOf(':') + 1);
    if (b.key.startsWith('script:')) scripts.set(name, config.vrrpScripts.find((x) => x.name === name)!);
    else if (b.key.startsWith('file:')) files.set(name, config.vrrpTrackFiles.find((x) => x.name === name)!);
    else if (b.key.startsWith('process:'))
      processes.set(name, config.vrrpTrackProcesses.find((x) => x.name === name)!);
    else interfaces.add(name);
  }
  return { bindings, scripts, files, processes, interfaces, ignored };
}

export interface SourcePlan<T> {
  readonly start: readonly T[];
  /** Definition changed: a new tracker takes over the old one's result. */
  readonly replace: readonly T[];
  readonly stop: readonly string[];
}

function planSources<T extends { name: string }>(
  a: ReadonlyMap<string, T>,
  b: ReadonlyMap<string, T>,
): SourcePlan<T> {
  const same = (x: T, y: T) => JSON.stringify(x) === JSON.stringify(y);
  return {
    start: [...b.values()].filter((x) => !a.has(x.name)),
    replace: [...b.values()].filter((x) => a.has(x.name) && !same(a.get(x.name)!, x)),
    stop: [...a.keys()].filter((n) => !b.has(n)),
  };
}

export interface TrackPlan {
  readonly scripts: SourcePlan<VrrpScript>;
  readonly files: SourcePlan<VrrpTrackFile>;
  readonly processes: SourcePlan<VrrpTrackProcess>;
  /** New bindings, and bindings whose weight changed. */
  readonly bind: readonly Binding[];
  /** Bindings that are gone. */
  readonly unbind: readonly Binding[];
}

export function planTracks(a: TrackSet, b: TrackSet): TrackPlan {
  const id = (x: Binding) => `${x.instance}\u0000${x.key}`;
  const old = new Map(a.bindings.map((x) => [id(x), x]));
  const next = new Set(b.bindings.map(id));
  return {
    scripts: planSources(a.scripts, b.scripts),
    files: planSources(a.files, b.files),
    processes: planSources(a.processes, b.processes),
    bind: b.bindings.filter((x) => {
      const o = old.get(id(x));
      return o?.weight !== x.weight || !o.invert !== !x.invert;
    }),
    unbind: a.bindings.filter((x) => !next.has(id(x))),
  };
}

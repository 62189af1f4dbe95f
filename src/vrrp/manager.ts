// Runs every vrrp_instance of the config: its speaker, track_interface,
// track_script, track_file and track_process inputs, sync groups, and a role callback for
// whatever follows the VRRP state. A reload is applied by difference, per
// instance (reload-plan.ts, track-plan.ts): nothing that did not change is
// touched, so a reload moves no VIP its settings do not move.
import type { FloatlbConfig, ScriptRef, VrrpScript } from '../config/model.js';
import { logger } from '../util/log.js';
import { instancesFromConfig } from './from-config.js';
import type { MachineStats, NotifyState, VrrpState } from './machine.js';
import { type InstancePlan, planInstances } from './reload-plan.js';
import type { VrrpInstanceSettings } from './settings.js';
import type { SpeakerStats } from './speaker-seams.js';
import { SyncGroups } from './sync-groups.js';
import { type FileIo, FileTracker, nodeFileIo, trackFileEffect } from './track-file.js';
import { type Binding, planTracks, type TrackPlan, type TrackSet, trackSet } from './track-plan.js';
import { ProcessTracker, type ProcInfo } from './track-process.js';
import { ScriptTracker } from './track-script.js';

const log = logger('vrrp');

/** What the manager needs of a speaker; VrrpSpeaker fits. */
export interface SpeakerHandle {
  readonly machine: {
    readonly state: VrrpState;
    readonly priority: number;
    readonly master: string | null;
    readonly peerPriority?: number | null;
    readonly reason?: string;
    readonly stats: MachineStats;
    readonly wantsMaster?: boolean;
    faultedBy(): readonly string[];
  };
  readonly stats: SpeakerStats;
  start(): void;
  stop(): Promise<void>;
  track(name: string, up: boolean, weight: number): void;
  untrack(name: string): void;
  /** The sync group moves this member with the others. */
  sync(to: 'MASTER' | 'BACKUP'): void;
  /** Applies settings that changed in place (see reload-plan.ts); the state is kept. */
  reconfigure(next: VrrpInstanceSettings, plan: Extract<InstancePlan, { action: 'update' }>): void;
}

/** What a speaker reports to the manager. */
export interface SpeakerEvents {
  onState(state: NotifyState, priority: number): void;
  /** A sync-group member would become master if its group agrees. */
  onWantMaster(): void;
}

export interface VrrpDeps {
  createSpeaker(s: VrrpInstanceSettings, events: SpeakerEvents): Promise<SpeakerHandle>;
  /** Whether an interface is up with carrier. */
  linkUp(ifname: string): Promise<boolean>;
  /** Runs a track script; true on exit 0 within the timeout. */
  runTrackScript(script: VrrpScript): Promise<boolean>;
  /**
   * Why a track script may not run under this config (its user unknown, its
   * file missing, or unsafe under enable_script_security), or null. Such a
   * script is dropped from tracking, as keepalived does.
   */
  scriptRefused?(script: VrrpScript, config: FloatlbConfig): string | null;
  /** Runs a sync group's notify script (argv as keepalived passes it). */
  runGroupNotify?(argv: readonly string[], script: ScriptRef): void;
  /** After every state change of an instance. */
  onRole?(instance: string, state: NotifyState): void;
  /** Poll period for track_interface (default 500 ms). */
  linkPollMs?: number;
  /** How track_file files are read and initialised (default: the file system). */
  fileIo?: FileIo;
  /** Poll period for track_file (default 500 ms). */
  filePollMs?: number;
  /** The running processes, for track_process (argv only when asked for). */
  listProcesses?(withCmdline: boolean): Promise<readonly ProcInfo[]>;
  /** Scan period for track_process (default 500 ms). */
  processPollMs?: number;
}

/** What one reload did, instance by instance (for the log and the tests). */
export type ReloadOutcome = readonly InstancePlan[];

export class VrrpManager {
  private config: FloatlbConfig;
  private settings = new Map<string, VrrpInstanceSettings>();
  private readonly speakers = new Map<string, SpeakerHandle>();
  private tracks: TrackSet;
  private readonly scripts = new Map<string, ScriptTracker>();
  private readonly files = new Map<string, FileTracker>();
  private readonly procs = new Map<string, ProcessTracker>();
  private procTimer: NodeJS.Timeout | null = null;
  private scanning = false;
  private readonly links = new Map<string, boolean>();
  private linkTimer: NodeJS.Timeout | null = null;
  private readonly groups: SyncGroups;
  /** While trackers are swapped, their first results are applied once, at the end. */
  private swapping = false;

  constructor(
    config: FloatlbConfig,
    private readonly deps: VrrpDeps,
  ) {
    this.config = config;
    this.tracks = {
      bindings: [],
      scripts: new Map(),
      files: new Map(),
      processes: new Map(),
      interfaces: new Set(),
      ignored: [],
    };
    this.groups = new SyncGroups(config.vrrpSyncGroups, {
      speaker: (name) => this.speakers.get(name),
      ...(deps.runGroupNotify ? { runNotify: deps.runGroupNotify } : {}),
    });
  }

  async start(): Promise<void> {
    const next = instancesFromConfig(this.config);
    for (const s of next) await this.createSpeaker(s);
    await this.applyTracks(trackSet(this.runnable(this.config)), new Set(next.map((s) => s.name)));
    for (const s of next) this.speakers.get(s.name)!.start();
    this.startLinkPoll();
  }

  /**
   * Applies a new config by difference: unchanged instances are not touched,
   * changed ones are updated in place, and only added, removed or truly
   * incompatible ones start or stop.
   */
  async update(config: FloatlbConfig): Promise<ReloadOutcome> {
    const next = instancesFromConfig(config);
    const plans = planInstances([...this.settings.values()], next);
    const fresh = new Set<string>();
    this.config = config;
    this.groups.setGroups(config.vrrpSyncGroups);
    for (const p of plans) {
      if (p.action === 'remove' || p.action === 'restart') {
        if (p.action === 'restart') {
          log.warn(
            { instance: p.name, reasons: p.reasons },
            `(${p.name}) restarting: ${p.reasons.join('; ')}`,
          );
        } else log.info({ instance: p.name }, `(${p.name}) removed`);
        await this.speakers.get(p.name)?.stop();
        this.speakers.delete(p.name);
        this.settings.delete(p.name);
      }
    }
    for (const s of next) {
      const p = plans.find((x) => x.name === s.name)!;
      if (p.action === 'add' || p.action === 'restart') {
        if (p.action === 'add') log.info({ instance: s.name }, `(${s.name}) added`);
        await this.createSpeaker(s);
        fresh.add(s.name);
      } else if (p.action === 'update') {
        log.info(
          { instance: s.name, changes: p.changes },
          `(${s.name}) updated in place: ${p.changes.join(', ')}`,
        );
        this.speakers.get(s.name)!.reconfigure(s, p);
        this.settings.set(s.name, s);
      }
    }
    await this.applyTracks(trackSet(this.runnable(config)), fresh);
    for (const name of fresh) this.speakers.get(name)!.start();
    this.startLinkPoll();
    return plans;
  }

  async stop(): Promise<void> {
    if (this.linkTimer) clearInterval(this.linkTimer);
    for (const t of this.scripts.values()) t.stop();
    for (const f of this.files.values()) f.stop();
    if (this.procTimer) clearInterval(this.procTimer);
    for (const p of this.procs.values()) p.stop();
    await Promise.all([...this.speakers.values()].map((s) => s.stop()));
  }

  /** Each instance's current state. */
  roles(): Map<string, VrrpState> {
    return new Map(
      this.config.vrrpInstances.map((i) => [i.name, this.speakers.get(i.name)?.machine.state ?? 'INIT']),
    );
  }

  status(): Array<Record<string, unknown>> {
    return this.config.vrrpInstances.map((inst) => {
      const s = this.speakers.get(inst.name);
      return {
        name: inst.name,
        vrid: inst.virtualRouterId,
        interface: inst.interface,
        state: s?.machine.state ?? 'INIT',
        priority: s?.machine.priority ?? inst.priority,
        master: s?.machine.master ?? null,
        peerPriority: s?.machine.peerPriority ?? null,
        reason: s?.machine.reason ?? 'not started',
        vips: inst.virtualIpaddress.map((v) => `${v.address}/${v.prefix}`),
        stats: s ? { ...s.machine.stats, ...s.stats } : null,
      };
    });
  }

  /** The config without the track scripts that may not run; each is logged. */
  private runnable(config: FloatlbConfig): FloatlbConfig {
    const refused = this.deps.scriptRefused;
    if (!refused) return config;
    const vrrpScripts = config.vrrpScripts.filter((s) => {
      const why = refused(s, config);
      if (why) log.error({ script: s.name, reason: why }, `Disabling track script ${s.name}: ${why}`);
      return !why;
    });
    return { ...config, vrrpScripts };
  }

  private async createSpeaker(s: VrrpInstanceSettings): Promise<void> {
    const speaker = await this.deps.createSpeaker(s, {
      onState: (state, prio) => this.onState(s.name, state, prio),
      onWantMaster: () => this.groups.onWantMaster(s.name),
    });
    this.speakers.set(s.name, speaker);
    this.settings.set(s.name, s);
  }

  /**
   * Swaps the tracked inputs: unchanged trackers keep running, changed ones
   * are replaced carrying their result, and every binding that is new, has a
   * new weight, or belongs to a fresh speaker is fed the current result.
   */
  private async applyTracks(next: TrackSet, fresh: ReadonlySet<string>): Promise<void> {
    const plan = planTracks(this.tracks, next);
    for (const w of next.ignored) if (!this.tracks.ignored.includes(w)) log.warn(w);
    this.tracks = next;
    for (const b of plan.unbind) if (!fresh.has(b.instance)) this.speakers.get(b.instance)?.untrack(b.key);
    this.swapping = true;
    try {
      await this.swapSources(plan);
    } finally {
      this.swapping = false;
    }
    // A replaced script carries its result; a replaced file may read another value.
    const renewed = new Set([
      ...[...plan.files.replace, ...plan.files.start].map((x) => `file:${x.name}`),
      ...[...plan.processes.replace, ...plan.processes.start].map((x) => `process:${x.name}`),
    ]);
    const changed = new Set(plan.bind);
    for (const b of next.bindings) {
      if (changed.has(b) || fresh.has(b.instance) || renewed.has(b.key)) this.apply(b);
    }
  }

  private async swapSources(plan: TrackPlan): Promise<void> {
    for (const name of plan.scripts.stop) {
      this.scripts.get(name)?.stop();
      this.scripts.delete(name);
    }
    for (const script of [...plan.scripts.replace, ...plan.scripts.start]) {
      const old = this.scripts.get(script.name);
      old?.stop();
      const tracker = new ScriptTracker(
        script,
        this.deps.runTrackScript,
        (up) => {
          log.info({ script: script.name, up }, 'track script changed');
          this.feed(`script:${script.name}`);
        },
        old?.up,
      );
      this.scripts.set(script.name, tracker);
      tracker.start();
    }
    for (const name of plan.files.stop) {
      this.files.get(name)?.stop();
      this.files.delete(name);
    }
    // Each file is read before the speakers start, so the first election sees its value.
    for (const file of [...plan.files.replace, ...plan.files.start]) {
      this.files.get(file.name)?.stop();
      const tracker = new FileTracker(file, this.deps.fileIo ?? nodeFileIo, () =>
        this.feed(`file:${file.name}`),
      );
      this.files.set(file.name, tracker);
      await tracker.start(this.deps.filePollMs ?? 500);
    }
    await this.swapProcesses(plan);
  }

  /** Process trackers share one scan; a new one gets its first result before the speakers start. */
  private async swapProcesses(plan: TrackPlan): Promise<void> {
    for (const name of plan.processes.stop) {
      this.procs.get(name)?.stop();
      this.procs.delete(name);
    }
    for (const def of [...plan.processes.replace, ...plan.processes.start]) {
      const old = this.procs.get(def.name);
      old?.stop();
      const tracker = new ProcessTracker(
        def,
        () => void this.scanProcesses(),
        () => this.feed(`process:${def.name}`),
        old?.up ?? null,
      );
      this.procs.set(def.name, tracker);
    }
    if (this.procTimer) clearInterval(this.procTimer);
    this.procTimer = null;
    if (!this.procs.size) return;
    if (!this.deps.listProcesses) {
      log.error('track_process needs a process list, and this VRRP runtime has none');
      return;
    }
    await this.scanProcesses();
    this.procTimer = setInterval(() => void this.scanProcesses(), this.deps.processPollMs ?? 500);
  }

  private async scanProcesses(): Promise<void> {
    if (this.scanning || !this.procs.size || !this.deps.listProcesses) return;
    this.scanning = true;
    try {
      const cmdline = [...this.procs.values()].some((p) => p.def.fullCommand || p.def.matchParams);
      const list = await this.deps.listProcesses(cmdline);
      const now = Date.now();
      for (const p of this.procs.values()) p.observe(list, now);
    } catch (e) {
      log.error({ err: e }, 'process scan failed');
    } finally {
      this.scanning = false;
    }
  }

  /** A tracked input changed: every instance bound to it hears the new result. */
  private feed(key: string): void {
    if (this.swapping) return;
    for (const b of this.tracks.bindings) if (b.key === key) this.apply(b);
  }

  private apply(b: Binding): void {
    const speaker = this.speakers.get(b.instance);
    if (!speaker) return;
    this.track(speaker, b);
    // A fault of its own may have begun or ended without a state change: the group looks again.
    this.groups.refresh(b.instance);
  }

  private track(speaker: SpeakerHandle, b: Binding): void {
    const [kind, name] = [b.key.slice(0, b.key.indexOf(':')), b.key.slice(b.key.indexOf(':') + 1)];
    if (kind === 'script') {
      const t = this.scripts.get(name);
      if (t) speaker.track(b.key, t.up, b.weight);
    } else if (kind === 'if') {
      const up = this.links.get(name);
      if (up !== undefined) speaker.track(b.key, up, b.weight);
    } else if (kind === 'file') {
      const value = this.files.get(name)?.value;
      if (value !== null && value !== undefined) {
        const e = trackFileEffect(value, b.weight);
        speaker.track(b.key, e.up, e.weight);
      }
    } else if (kind === 'process') {
      const up = this.procs.get(name)?.up;
      if (up !== null && up !== undefined) speaker.track(b.key, b.invert ? !up : up, b.weight);
    }
  }

  private startLinkPoll(): void {
    if (this.linkTimer) clearInterval(this.linkTimer);
    this.linkTimer = null;
    for (const ifname of [...this.links.keys()])
      if (!this.tracks.interfaces.has(ifname)) this.links.delete(ifname);
    if (!this.tracks.interfaces.size) return;
    const poll = async () => {
      for (const ifname of this.tracks.interfaces) {
        const up = await this.deps.linkUp(ifname).catch(() => false);
        if (this.links.get(ifname) === up) continue;
        this.links.set(ifname, up);
        log.info({ interface: ifname, up }, 'tracked interface changed');
        this.feed(`if:${ifname}`);
      }
    };
    void poll();
    this.linkTimer = setInterval(() => void poll(), this.deps.linkPollMs ?? 500);
  }

  private onState(instance: string, state: NotifyState, priority: number): void {
    log.info({ instance, state, priority }, 'VRRP state');
    this.deps.onRole?.(instance, state);
    this.groups.onState(instance, state);
  }
}

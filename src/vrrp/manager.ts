// Runs every vrrp_instance of the config: its speaker, track_interface,
// track_script and track_file inputs, sync-group fault propagation, and a
// role callback for whatever follows the VRRP state.
import type { FloatlbConfig, TrackRef, VrrpScript } from '../config/model.js';
import { logger } from '../util/log.js';
import { vrrpSettingsFromConfig } from './from-config.js';
import type { MachineStats, NotifyState, VrrpState } from './machine.js';
import type { VrrpInstanceSettings } from './settings.js';
import type { SpeakerStats } from './speaker.js';
import { type FileIo, FileTracker, nodeFileIo, trackFileEffect } from './track-file.js';
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
  };
  readonly stats: SpeakerStats;
  start(): void;
  stop(): Promise<void>;
  track(name: string, up: boolean, weight: number): void;
}

export interface VrrpDeps {
  createSpeaker(
    s: VrrpInstanceSettings,
    onState: (state: NotifyState, priority: number) => void,
  ): Promise<SpeakerHandle>;
  /** Whether an interface is up with carrier. */
  linkUp(ifname: string): Promise<boolean>;
  /** Runs a track script; true on exit 0 within the timeout. */
  runTrackScript(script: VrrpScript): Promise<boolean>;
  /** After every state change of an instance. */
  onRole?(instance: string, state: NotifyState): void;
  /** Poll period for track_interface (default 500 ms). */
  linkPollMs?: number;
  /** How track_file files are read and initialised (default: the file system). */
  fileIo?: FileIo;
  /** Poll period for track_file (default 500 ms). */
  filePollMs?: number;
}

interface Tracked {
  readonly instance: string;
  readonly name: string;
  readonly weight: number;
}

export class VrrpManager {
  private readonly speakers = new Map<string, SpeakerHandle>();
  private readonly scripts = new Map<string, ScriptTracker>();
  private readonly files: FileTracker[] = [];
  private readonly links = new Map<string, boolean>();
  private linkTimer: NodeJS.Timeout | null = null;
  private readonly faulted = new Set<string>();

  constructor(
    private readonly config: FloatlbConfig,
    private readonly deps: VrrpDeps,
  ) {}

  async start(): Promise<void> {
    for (const inst of this.config.vrrpInstances) {
      const settings = vrrpSettingsFromConfig(inst);
      const speaker = await this.deps.createSpeaker(settings, (state, prio) =>
        this.onState(inst.name, state, prio),
      );
      this.speakers.set(inst.name, speaker);
    }
    this.startTracking();
    await this.startFileTracking();
    for (const s of this.speakers.values()) s.start();
  }

  async stop(): Promise<void> {
    if (this.linkTimer) clearInterval(this.linkTimer);
    for (const t of this.scripts.values()) t.stop();
    for (const f of this.files) f.stop();
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

  /** Track refs of an instance and of the sync group it belongs to. */
  private tracksOf(
    name: string,
    pick: (o: { trackInterface: TrackRef[]; trackScript: TrackRef[]; trackFile: TrackRef[] }) => TrackRef[],
  ) {
    const inst = this.config.vrrpInstances.find((i) => i.name === name)!;
    const groups = this.config.vrrpSyncGroups.filter((g) => g.group.includes(name));
    return [...pick(inst), ...groups.flatMap((g) => pick(g))];
  }

  private startTracking(): void {
    const byIf: Tracked[] = [];
    const byScript = new Map<string, Tracked[]>();
    for (const inst of this.config.vrrpInstances) {
      for (const t of this.tracksOf(inst.name, (o) => o.trackInterface)) {
        byIf.push({ instance: inst.name, name: t.name, weight: t.weight ?? 0 });
      }
      for (const t of this.tracksOf(inst.name, (o) => o.trackScript)) {
        const script = this.config.vrrpScripts.find((s) => s.name === t.name);
        if (!script) continue; // the config check warns about it
        const weight = (t.weight ?? script.weight) * (t.reverse || script.weightReverse ? -1 : 1);
        const list = byScript.get(t.name) ?? [];
        list.push({ instance: inst.name, name: `script:${t.name}`, weight });
        byScript.set(t.name, list);
      }
    }
    for (const [name, tracked] of byScript) {
      const script = this.config.vrrpScripts.find((s) => s.name === name)!;
      const tracker = new ScriptTracker(script, this.deps.runTrackScript, (up) => {
        log.info({ script: name, up }, 'track script changed');
        for (const t of tracked) this.speakers.get(t.instance)?.track(t.name, up, t.weight);
      });
      this.scripts.set(name, tracker);
      if (!tracker.up) for (const t of tracked) this.speakers.get(t.instance)?.track(t.name, false, t.weight);
      tracker.start();
    }
    if (byIf.length) {
      const poll = async () => {
        for (const ifname of new Set(byIf.map((t) => t.name))) {
          const up = await this.deps.linkUp(ifname).catch(() => false);
          if (this.links.get(ifname) === up) continue;
          this.links.set(ifname, up);
          log.info({ interface: ifname, up }, 'tracked interface changed');
          for (const t of byIf.filter((x) => x.name === ifname)) {
            this.speakers.get(t.instance)?.track(`if:${ifname}`, up, t.weight);
          }
        }
      };
      void poll();
      this.linkTimer = setInterval(() => void poll(), this.deps.linkPollMs ?? 500);
    }
  }

  /** Each tracked file is read before the speakers start, so the first election sees its value. */
  private async startFileTracking(): Promise<void> {
    for (const file of this.config.vrrpTrackFiles) {
      const tracked: Tracked[] = [];
      for (const inst of this.config.vrrpInstances) {
        for (const t of this.tracksOf(inst.name, (o) => o.trackFile)) {
          if (t.name !== file.name) continue;
          const weight = (t.weight ?? file.weight) * (t.reverse || file.weightReverse ? -1 : 1);
          tracked.push({ instance: inst.name, name: `file:${file.name}`, weight });
        }
      }
      if (tracked.length === 0) continue; // keepalived reads a file only when something tracks it
      const tracker = new FileTracker(file, this.deps.fileIo ?? nodeFileIo, (value) => {
        for (const t of tracked) {
          const e = trackFileEffect(value, t.weight);
          this.speakers.get(t.instance)?.track(t.name, e.up, e.weight);
        }
      });
      this.files.push(tracker);
      await tracker.start(this.deps.filePollMs ?? 500);
    }
  }

  private onState(instance: string, state: NotifyState, priority: number): void {
    log.info({ instance, state, priority }, 'VRRP state');
    this.deps.onRole?.(instance, state);
    // Sync groups move together into and out of FAULT.
    for (const g of this.config.vrrpSyncGroups.filter((x) => x.group.includes(instance))) {
      const key = `sync:${g.name}`;
      if (state === 'FAULT' && !this.faulted.has(instance)) {
        this.faulted.add(instance);
        for (const other of g.group)
          if (other !== instance) this.speakers.get(other)?.track(`${key}:${instance}`, false, 0);
      } else if (state !== 'FAULT' && state !== 'STOP' && this.faulted.delete(instance)) {
        for (const other of g.group)
          if (other !== instance) this.speakers.get(other)?.track(`${key}:${instance}`, true, 0);
      }
    }
  }
}

// The VRRP state machine of RFC 5798 section 6 (RFC 3768 uses the same
// timers in whole seconds), with keepalived's extensions: nopreempt,
// preempt_delay, tracked items with weights, Fault state, notify.
// Pure: it is fed events with a monotonic clock value and answers actions.
// It never reads a clock and never touches a socket.

import {
  type MachineAction,
  type MachineConfig,
  type MachineEvent,
  type MachineStats,
  PRIORITY_OWNER,
  PRIORITY_RELEASE,
  type ReconfigurableSettings,
  type VrrpState,
} from './machine-types.js';
import { compareIp, effectivePriority, masterDownMs, skewTimeMs, type Track } from './timing.js';

export type {
  MachineAction,
  MachineConfig,
  MachineEvent,
  MachineStats,
  NotifyState,
  ReconfigurableSettings,
  VrrpState,
} from './machine-types.js';
export { PRIORITY_OWNER, PRIORITY_RELEASE } from './machine-types.js';

export { compareIp, effectivePriority, masterDownMs, skewTimeMs } from './timing.js';

export class VrrpMachine {
  private config: MachineConfig;
  readonly stats: MachineStats = {
    becameMaster: 0,
    becameBackup: 0,
    becameFault: 0,
    advertsSent: 0,
    advertsReceived: 0,
    releaseReceived: 0,
    releaseSent: 0,
    splitBrain: 0,
  };
  private st: VrrpState = 'INIT';
  /** The last priority heard from another router (null until one is heard). */
  peerPriority: number | null = null;
  /** Why the last transition happened, for operators. */
  reason = 'not started';
  /** A release heard while backup: the reason of the takeover it starts. */
  private releasedBy: string | null = null;
  private masterSince = 0;
  private readonly tracks = new Map<string, Track>();
  private preempt: boolean;
  /** Learnt from the master's adverts in v3 (RFC 5798 6.4.2); fixed in v2. */
  private masterAdvertIntMs: number;
  private masterDownAt = Number.POSITIVE_INFINITY;
  /** When Master_Down_Timer was last restarted (last accepted advert or entering Backup). */
  private downSince = 0;
  private nextAdvertAt = Number.POSITIVE_INFINITY;
  private preemptAt: number | null = null;
  private masterIp: string | null = null;
  private wantMaster = false;

  constructor(cfg: MachineConfig) {
    this.config = cfg;
    // keepalived clears nopreempt when the initial state is MASTER.
    this.preempt = cfg.preempt || cfg.initialState === 'MASTER';
    this.masterAdvertIntMs = cfg.advertIntMs;
  }

  get cfg(): MachineConfig {
    return this.config;
  }

  get state(): VrrpState {
    return this.st;
  }

  get priority(): number {
    return effectivePriority(this.cfg.priority, this.tracks.values());
  }

  /** The current master as far as this router knows (itself when master). */
  get master(): string | null {
    return this.st === 'MASTER' ? this.cfg.primaryIp : this.masterIp;
  }

  /** Whether this router preempts a lower-priority master (nopreempt cleared with initial MASTER). */
  get preempts(): boolean {
    return this.preempt;
  }

  /** A sync-group member in BACKUP whose Master_Down expired, waiting for the group. */
  get wantsMaster(): boolean {
    return this.st === 'BACKUP' && this.wantMaster;
  }

  /** When the next tick is due, or null if no timer should run. */
  nextDeadline(): number | null {
    if (this.st === 'MASTER') return this.nextAdvertAt;
    if (this.st === 'BACKUP') return this.masterDownAt;
    return null;
  }

  step(ev: MachineEvent, now: number): MachineAction[] {
    const out: MachineAction[] = [];
    switch (ev.type) {
      case 'start':
        this.onStart(now, out);
        break;
      case 'advert':
        this.onAdvert(ev, now, out);
        break;
      case 'tick':
        this.onTick(now, out);
        break;
      case 'track':
        this.onTrack(ev.name, now, out, () => this.tracks.set(ev.name, { up: ev.up, weight: ev.weight }));
        break;
      case 'untrack':
        this.onTrack(ev.name, now, out, () => this.tracks.delete(ev.name));
        break;
      case 'sync':
        this.onSync(ev.to, now, out);
        break;
      case 'reconfigure':
        this.onReconfigure(ev.changes, out);
        break;
      case 'shutdown':
        this.onShutdown(out);
        break;
    }
    return out;
  }

  /** Master_Down_Interval for a priority, with the configured number of adverts. */
  private downMs(priority: number): number {
    return masterDownMs(priority, this.masterAdvertIntMs, this.config.downTimerAdverts);
  }

  private faulted(): boolean {
    return this.faultedBy().length > 0;
  }

  /** The failed weight-0 tracked items that hold this instance in FAULT. */
  faultedBy(): string[] {
    return [...this.tracks].filter(([, t]) => t.weight === 0 && !t.up).map(([name]) => name);
  }

  private onStart(now: number, out: MachineAction[]): void {
    if (this.st !== 'INIT') return;
    if (this.cfg.initialState === 'MASTER' && !this.cfg.preempt) {
      out.push({
        type: 'log',
        level: 'warn',
        msg: 'nopreempt does not work with initial state MASTER - clearing',
      });
    }
    this.reason = 'started';
    if (this.faulted()) {
      this.toFault(out);
      return;
    }
    if (this.priority === PRIORITY_OWNER) {
      this.toMaster(now, out);
      return;
    }
    this.toBackup(now, out);
    if (this.cfg.initialState === 'MASTER') {
      // Listen for one interval (plus skew) for an existing master before taking over.
      this.masterDownAt = now + this.masterAdvertIntMs + skewTimeMs(this.priority, this.masterAdvertIntMs);
    }
  }

  private onAdvert(ev: Extract<MachineEvent, { type: 'advert' }>, now: number, out: MachineAction[]): void {
    if (this.st !== 'BACKUP' && this.st !== 'MASTER') return;
    this.stats.advertsReceived++;
    if (ev.priority === PRIORITY_RELEASE) this.stats.releaseReceived++;
    if (ev.priority !== PRIORITY_RELEASE) this.peerPriority = ev.priority;
    const mine = this.priority;
    if (this.st === 'BACKUP') {
      if (ev.priority === PRIORITY_RELEASE) {
        // The master is leaving: take over after the skew time only.
        this.masterDownAt = now + skewTimeMs(mine, this.masterAdvertIntMs);
        this.releasedBy = `master ${ev.src} released (priority 0)`;
        out.push({ type: 'log', level: 'info', msg: this.releasedBy });
        return;
      }
      let accept = !this.preempt || ev.priority >= mine;
      if (!accept && this.cfg.preemptDelayMs > 0) {
        this.preemptAt ??= now + this.cfg.preemptDelayMs;
        accept = now < this.preemptAt;
      }
      if (!accept) return; // RFC 5798 6.4.2: discard; Master_Down_Timer will expire.
      if (ev.priority >= mine) this.preemptAt = null;
      this.wantMaster = false;
      if (this.cfg.version === 3 && ev.advertIntMs > 0) this.masterAdvertIntMs = ev.advertIntMs;
      this.masterIp = ev.src;
      this.releasedBy = null;
      this.downSince = now;
      this.masterDownAt = now + this.downMs(mine);
      return;
    }
    // MASTER
    if (ev.priority === PRIORITY_RELEASE) {
      this.sendAdvert(now, out);
      return;
    }
    const peerWins =
      ev.priority > mine || (ev.priority === mine && compareIp(ev.src, this.cfg.primaryIp) > 0);
    // A higher priority taking over, or a lower one that has not yet heard
    // this router's first adverts, is preemption at work.
    const takeover = now - this.masterSince <= this.downMs(mine);
    const kind = ev.priority > mine || (ev.priority < mine && takeover) ? 'preemption' : 'split-brain';
    if (kind === 'split-brain') this.stats.splitBrain++;
    out.push({
      type: 'other-master',
      peer: ev.src,
      peerPriority: ev.priority,
      outcome: peerWins ? 'yield' : 'stay-master',
      kind,
    });
    if (peerWins) {
      // Last word before yielding: a peer with garp_lower_prio_repeat re-announces its VIPs.
      if (this.cfg.higherPrioSendAdvert) this.sendAdvert(now, out);
      if (this.cfg.version === 3 && ev.advertIntMs > 0) this.masterAdvertIntMs = ev.advertIntMs;
      this.masterIp = ev.src;
      out.push({ type: 'remove-vips' });
      this.reason = `master ${ev.src} has priority ${ev.priority}`;
      this.toBackup(now, out);
      return;
    }
    // A lower-priority master: assert ourselves (unless told not to, or strict) and re-point the segment's caches.
    if (!this.cfg.lowerPrioNoAdvert) this.sendAdvert(now, out);
    out.push({ type: 'send-garp', reason: 'lower-priority-master' });
  }

  private onTick(now: number, out: MachineAction[]): void {
    if (this.st === 'MASTER' && now >= this.nextAdvertAt) this.sendAdvert(now, out);
    else if (this.st === 'BACKUP' && now >= this.masterDownAt) {
      this.reason = this.releasedBy ?? 'no advert from a master within master-down time';
      this.releasedBy = null;
      if (!this.config.syncGroup) {
        this.toMaster(now, out);
        return;
      }
      // Prefer backup to thrashing: wait, re-armed, until the whole group wants master.
      this.wantMaster = true;
      this.masterDownAt = now + this.downMs(this.priority);
      out.push({ type: 'want-master' });
    }
  }

  private onSync(to: 'MASTER' | 'BACKUP', now: number, out: MachineAction[]): void {
    if (to === 'MASTER' && this.st === 'BACKUP') {
      out.push({ type: 'log', level: 'info', msg: 'sync group: entering MASTER with the group' });
      this.toMaster(now, out);
    } else if (to === 'BACKUP' && this.st === 'MASTER') {
      out.push({ type: 'log', level: 'info', msg: 'sync group: leaving MASTER with the group' });
      this.release(out);
      this.toBackup(now, out);
    }
  }

  /**
   * Settings a reload changes in place. A new priority is carried by the next
   * advert (a backup re-bases its Master_Down timer on it at once); the state
   * does not change here.
   */
  private onReconfigure(c: Partial<ReconfigurableSettings>, out: MachineAction[]): void {
    const before = this.priority;
    this.config = { ...this.config, ...c };
    this.preempt = this.config.preempt || this.config.initialState === 'MASTER';
    if (this.config.version === 2 || this.st !== 'BACKUP') this.masterAdvertIntMs = this.config.advertIntMs;
    const after = this.priority;
    if (after !== before)
      out.push({ type: 'log', level: 'info', msg: `priority ${before} -> ${after} (reload)` });
    if (this.st === 'BACKUP' && Number.isFinite(this.masterDownAt)) {
      this.masterDownAt = this.downSince + this.downMs(after);
    }
  }

  private onTrack(name: string, now: number, out: MachineAction[], change: () => void): void {
    const before = this.priority;
    const wasFault = this.faulted();
    change();
    if (this.st === 'INIT' || this.st === 'STOP') return;
    const isFault = this.faulted();
    if (isFault && !wasFault) {
      this.reason = `tracked ${name} failed`;
      out.push({ type: 'log', level: 'warn', msg: `tracked ${name} failed: entering FAULT` });
      if (this.st === 'MASTER') {
        this.release(out);
      }
      this.toFault(out);
      return;
    }
    if (!isFault && wasFault && this.st === 'FAULT') {
      this.reason = `tracked ${name} recovered`;
      out.push({ type: 'log', level: 'info', msg: `tracked ${name} recovered: leaving FAULT` });
      if (this.priority === PRIORITY_OWNER) this.toMaster(now, out);
      else this.toBackup(now, out);
      return;
    }
    const after = this.priority;
    if (after === before) return;
    out.push({ type: 'log', level: 'info', msg: `effective priority ${before} -> ${after} (${name})` });
    // The skew time depends on our priority: restart the running timer with the new one.
    if (this.st === 'BACKUP' && Number.isFinite(this.masterDownAt)) {
      this.masterDownAt = this.downSince + this.downMs(after);
    }
    // Tell the segment at once so a higher-priority backup can preempt.
    if (this.st === 'MASTER') this.sendAdvert(now, out);
  }

  private onShutdown(out: MachineAction[]): void {
    if (this.st === 'STOP') return;
    if (this.st === 'MASTER') this.release(out);
    this.st = 'STOP';
    this.masterDownAt = Number.POSITIVE_INFINITY;
    this.nextAdvertAt = Number.POSITIVE_INFINITY;
    out.push({ type: 'notify', state: 'STOP', priority: this.priority });
  }

  /** Graceful release (RFC 5798 6.4.3): priority 0 lets a backup take over after its skew time. */
  private release(out: MachineAction[]): void {
    out.push({ type: 'send-advert', priority: PRIORITY_RELEASE });
    this.stats.advertsSent++;
    this.stats.releaseSent++;
    out.push({ type: 'remove-vips' });
  }

  private sendAdvert(now: number, out: MachineAction[]): void {
    out.push({ type: 'send-advert', priority: this.priority });
    this.stats.advertsSent++;
    // Scheduled from now, not from the missed deadline: no burst after a stall.
    this.nextAdvertAt = now + this.cfg.advertIntMs;
  }

  private toMaster(now: number, out: MachineAction[]): void {
    this.st = 'MASTER';
    this.wantMaster = false;
    this.masterSince = now;
    this.stats.becameMaster++;
    this.preemptAt = null;
    this.masterDownAt = Number.POSITIVE_INFINITY;
    this.sendAdvert(now, out);
    out.push({ type: 'add-vips', accept: this.cfg.accept || this.cfg.priority === PRIORITY_OWNER });
    out.push({ type: 'send-garp', reason: 'became-master' });
    out.push({ type: 'notify', state: 'MASTER', priority: this.priority });
  }

  private toBackup(now: number, out: MachineAction[]): void {
    this.st = 'BACKUP';
    this.wantMaster = false;
    this.stats.becameBackup++;
    this.nextAdvertAt = Number.POSITIVE_INFINITY;
    this.downSince = now;
    this.masterDownAt = now + this.downMs(this.priority);
    out.push({ type: 'notify', state: 'BACKUP', priority: this.priority });
  }

  private toFault(out: MachineAction[]): void {
    this.st = 'FAULT';
    this.stats.becameFault++;
    this.masterIp = null;
    this.masterDownAt = Number.POSITIVE_INFINITY;
    this.nextAdvertAt = Number.POSITIVE_INFINITY;
    out.push({ type: 'notify', state: 'FAULT', priority: this.priority });
  }
}

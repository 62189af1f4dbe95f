// vrrp_sync_group as keepalived runs it: members share their state in every
// direction. One member in FAULT puts the others in FAULT; one leaving MASTER
// for BACKUP takes the others along; a member becomes MASTER only when every
// member wants to, and then all do. The group's own notify scripts run once
// per group transition, with keepalived's arguments (GROUP NAME STATE 0).
import type { ScriptRef, VrrpSyncGroup } from '../config/model.js';
import { logger } from '../util/log.js';
import type { NotifyState, VrrpState } from './machine.js';
import { splitCommand } from './notify.js';

const log = logger('vrrp');

/** What the groups need of a member's speaker. */
export interface GroupMember {
  readonly machine: {
    readonly state: VrrpState;
    readonly wantsMaster?: boolean;
    /** The failed weight-0 items holding it in FAULT (the group's own among them). */
    faultedBy(): readonly string[];
  };
  track(name: string, up: boolean, weight: number): void;
  sync(to: 'MASTER' | 'BACKUP'): void;
}

export interface SyncGroupDeps {
  speaker(name: string): GroupMember | undefined;
  /** Runs a group notify script; the identity is the script's own (user/group) when given. */
  runNotify?(argv: readonly string[], script: ScriptRef): void;
}

/** The group's notify command lines for one transition, in keepalived's order. */
export function groupNotifyCommands(
  g: VrrpSyncGroup,
  state: NotifyState,
): Array<{ argv: string[]; script: ScriptRef }> {
  const specific = {
    MASTER: g.notifyMaster,
    BACKUP: g.notifyBackup,
    FAULT: g.notifyFault,
    STOP: g.notifyStop,
  }[state];
  const out: Array<{ argv: string[]; script: ScriptRef }> = [];
  if (specific) out.push({ argv: splitCommand(specific.command), script: specific });
  if (g.notify)
    out.push({ argv: [...splitCommand(g.notify.command), 'GROUP', g.name, state, '0'], script: g.notify });
  return out.filter((c) => c.argv.length > 0);
}

/** Pure: the group's state from its members', or null while they are moving. */
export function groupState(states: readonly VrrpState[]): NotifyState | null {
  if (states.includes('FAULT')) return 'FAULT';
  const [first] = states;
  if (first === undefined || first === 'INIT') return null;
  return states.every((s) => s === first) ? first : null;
}

export class SyncGroups {
  private groups: VrrpSyncGroup[];
  private readonly notified = new Map<string, NotifyState>();
  /** "GROUP/member" held in FAULT by the group. */
  private readonly held = new Set<string>();
  private readonly last = new Map<string, NotifyState>();

  constructor(
    groups: readonly VrrpSyncGroup[],
    private readonly deps: SyncGroupDeps,
  ) {
    this.groups = [...groups];
  }

  /** A reload: groups keep the state their members have. */
  setGroups(groups: readonly VrrpSyncGroup[]): void {
    this.groups = [...groups];
    for (const name of [...this.notified.keys()])
      if (!groups.some((g) => g.name === name)) this.notified.delete(name);
  }

  private of(instance: string): VrrpSyncGroup[] {
    return this.groups.filter((g) => g.group.includes(instance));
  }

  private others(g: VrrpSyncGroup, instance: string) {
    return g.group.filter((n) => n !== instance).flatMap((n) => this.deps.speaker(n) ?? []);
  }

  /** After every state change of an instance. */
  onState(instance: string, state: NotifyState): void {
    const before = this.last.get(instance);
    this.last.set(instance, state);
    this.refresh(instance);
    for (const g of this.of(instance)) {
      if (state === 'MASTER') {
        for (const o of this.others(g, instance)) o.sync('MASTER');
      } else if (state === 'BACKUP' && before === 'MASTER') {
        log.info({ group: g.name, instance }, `VRRP_Group(${g.name}) syncing instances to BACKUP state`);
        for (const o of this.others(g, instance)) o.sync('BACKUP');
      }
      this.notifyGroup(g);
    }
  }

  /**
   * FAULT is shared: a member is held in FAULT by its group while any other
   * member has a fault of its own (not one the group put on it). Called after
   * every state change and every tracked-input change of a member.
   */
  refresh(instance: string): void {
    for (const g of this.of(instance)) {
      const key = `sync:${g.name}`;
      const own = (n: string) =>
        (this.deps.speaker(n)?.machine.faultedBy() ?? []).some((f) => !f.startsWith('sync:'));
      for (const m of g.group) {
        const hold = g.group.some((o) => o !== m && own(o));
        const id = `${g.name}/${m}`;
        if (hold === this.held.has(id)) continue;
        const speaker = this.deps.speaker(m);
        if (!speaker) continue;
        if (hold) {
          this.held.add(id);
          log.info({ group: g.name, instance: m }, `VRRP_Group(${g.name}) syncing ${m} to FAULT state`);
        } else this.held.delete(id);
        speaker.track(key, !hold, 0);
      }
    }
  }

  /** A member's Master_Down expired: the group goes MASTER once every member wants to. */
  onWantMaster(instance: string): void {
    for (const g of this.of(instance)) {
      const members = g.group.flatMap((n) => this.deps.speaker(n) ?? []);
      const ready = members.every((m) => m.machine.state === 'MASTER' || m.machine.wantsMaster === true);
      if (!ready) continue;
      log.info({ group: g.name }, `VRRP_Group(${g.name}) syncing instances to MASTER state`);
      for (const m of members) m.sync('MASTER');
    }
  }

  private notifyGroup(g: VrrpSyncGroup): void {
    const states = g.group.map((n) => this.deps.speaker(n)?.machine.state ?? 'INIT');
    const st = groupState(states);
    if (st === null || this.notified.get(g.name) === st) return;
    this.notified.set(g.name, st);
    log.info({ group: g.name, state: st }, `VRRP_Group(${g.name}) entering ${st} state`);
    for (const c of groupNotifyCommands(g, st)) this.deps.runNotify?.(c.argv, c.script);
  }
}

// A VRRP speaker for one instance: the pure machine, driven by a transport,
// a clock, a VIP manager, a frame sender and notify scripts. Every seam is an
// interface; src/vrrp/open-speaker.ts wires the real ones.
import { performance } from 'node:perf_hooks';
import type { RouteTable } from '../kernel/routes.js';
import { canonicalIp } from '../kernel/vocabulary.js';
import type { VrrpDatagram } from '../kernel/vrrp-socket.js';
import { logger } from '../util/log.js';
import { gratuitousArp, unsolicitedNa } from './arp.js';
import { GarpPacer } from './garp-pacer.js';
import { type MachineAction, type NotifyState, VrrpMachine } from './machine.js';
import { notifyCommands, type ScriptRunner, spawnRunner } from './notify.js';
import {
  type AdvertExpectations,
  checkAdvert,
  type Decoded,
  type DropReason,
  decodeAdvert,
  encodeAdvert,
  passwordAuth,
  receiveIpv4,
  type VrrpAdvert,
} from './packet.js';
import type { InstancePlan } from './reload-plan.js';
import {
  advertIntCs,
  type GarpRound,
  garpOnLowerPrio,
  garpOnMaster,
  type Vip,
  type VrrpInstanceSettings,
} from './settings.js';
import type { VipDrops } from './vip-drop.js';
import { applyRoutes, diffRoutes, type HeldRoutes } from './virtual-routes.js';

const log = logger('vrrp');

export interface AdvertTransport {
  destinations(): readonly string[];
  sendTo(payload: Buffer, dst: string): void;
  /** Everything queued right now. */
  drain(): VrrpDatagram[];
  onReceive(onData: (d: VrrpDatagram) => void, onError: (e: Error) => void): void;
  close(): void;
}

export interface FrameTransport {
  readonly mac: Buffer;
  send(frame: Buffer): void;
  close(): void;
}

/** How long a master waits before adding a VIP again after the kernel refused it. */
export const VIP_RETRY_MS = 1000;

export interface VipManager {
  add(vip: Vip): Promise<void>;
  remove(vip: Vip): Promise<void>;
  list(): Promise<Vip[]>;
}

export interface SpeakerClock {
  /** Monotonic milliseconds. */
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realClock: SpeakerClock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface SpeakerDeps {
  readonly transport: AdvertTransport;
  readonly frames: FrameTransport;
  readonly vips: VipManager;
  /** Where virtual_routes and virtual_rules go; absent: an instance with some refuses to start. */
  readonly routes?: RouteTable;
  /** This router's address on the interface (see VrrpInstanceSettings.srcIp). */
  readonly srcIp: string;
  readonly clock?: SpeakerClock;
  readonly scripts?: ScriptRunner;
  /** Called after every state change (the director and tests listen here). */
  readonly onState?: (state: NotifyState, priority: number) => void;
  /** A sync-group member would become master if its group agrees. */
  readonly onWantMaster?: () => void;
  /** Spaces announcement frames per interface group; shared by the instances of one daemon. */
  readonly pacer?: GarpPacer;
  /** After a stop has released everything (the VMAC interface goes here). */
  readonly afterStop?: () => Promise<void>;
  /** no_accept: where the drop rules for a master's VIPs go; absent: none are set. */
  readonly drops?: VipDrops;
}

/** What the receive checks expect, from the settings. */
function expectations(s: VrrpInstanceSettings): AdvertExpectations {
  return {
    version: s.version,
    vrid: s.vrid,
    family: s.family,
    // Settings may come from outside the config model: make them canonical once.
    addresses: s.vips.map((v) => canonicalIp(v.address)),
    advertIntCs: advertIntCs(s),
    auth: s.version === 2 && s.authPass ? passwordAuth(s.authPass) : undefined,
    ...(s.unicastPeerTtl
      ? { peerTtl: s.unicastPeerTtl.map((p) => ({ ...p, address: canonicalIp(p.address) })) }
      : s.unicastPeers.length
        ? { anyTtl: true }
        : {}),
  };
}

export interface SpeakerStats {
  received: number;
  dropped: Partial<Record<DropReason, number>>;
  garpSent: number;
  vipErrors: number;
  routeErrors: number;
}

export class VrrpSpeaker {
  private current: VrrpInstanceSettings;
  readonly machine: VrrpMachine;
  readonly stats: SpeakerStats = { received: 0, dropped: {}, garpSent: 0, vipErrors: 0, routeErrors: 0 };
  private readonly deps: SpeakerDeps;
  private readonly clock: SpeakerClock;
  private readonly pacer: GarpPacer;
  private want: AdvertExpectations;
  private timer: unknown = null;
  private readonly masterTimers = new Set<unknown>();
  private vipChain: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(settings: VrrpInstanceSettings, deps: SpeakerDeps) {
    this.current = settings;
    this.deps = deps;
    if ((settings.routes?.length || settings.rules?.length) && !deps.routes)
      throw new Error(`${settings.name}: virtual_routes/virtual_rules need a route table`);
    this.clock = deps.clock ?? realClock;
    this.pacer = deps.pacer ?? new GarpPacer(this.clock);
    this.machine = new VrrpMachine({
      name: settings.name,
      version: settings.version,
      vrid: settings.vrid,
      priority: settings.priority,
      advertIntMs: advertIntCs(settings) * 10,
      initialState: settings.initialState,
      preempt: settings.preempt,
      preemptDelayMs: settings.preemptDelayMs,
      primaryIp: deps.srcIp,
      accept: settings.accept,
      syncGroup: settings.syncGroup ?? false,
      ...advertKnobs(settings),
    });
    this.want = expectations(settings);
  }

  get settings(): VrrpInstanceSettings {
    return this.current;
  }

  /**
   * A reload changed settings that apply in place. The state and timers are
   * kept: a new priority goes out with the next advert; VIPs are added and
   * removed where they differ, and the new ones announced, when master.
   */
  reconfigure(next: VrrpInstanceSettings, plan: Extract<InstancePlan, { action: 'update' }>): void {
    const routes = diffRoutes(heldRoutes(this.current), heldRoutes(next));
    this.current = next;
    this.want = expectations(next);
    this.step({
      type: 'reconfigure',
      changes: {
        priority: next.priority,
        advertIntMs: advertIntCs(next) * 10,
        preempt: next.preempt,
        preemptDelayMs: next.preemptDelayMs,
        accept: next.accept,
        syncGroup: next.syncGroup ?? false,
        ...advertKnobs(next),
      },
    });
    if (this.machine.state !== 'MASTER') return;
    const onIf = (v: Vip) => ({ ...v, ifname: v.ifname ?? next.interface });
    this.routeOp('remove', routes.removed);
    if (plan.vipsRemoved.length) this.vipOp('remove', plan.vipsRemoved.map(onIf));
    // After the old VIPs are gone and before the new ones come: only the difference changes.
    this.dropOp(true);
    if (plan.vipsAdded.length) {
      const added = plan.vipsAdded.map(onIf);
      this.vipOp('add', added);
      this.scheduleGarps([{ atMs: 0, repeat: next.garp.masterRepeat }], false, added);
    }
    this.routeOp('add', routes.added);
  }

  /** A tracked input is gone (a reload dropped it). */
  untrack(name: string): void {
    this.step({ type: 'untrack', name });
  }

  /** The sync group moves this member with the others. */
  sync(to: 'MASTER' | 'BACKUP'): void {
    this.step({ type: 'sync', to });
  }

  start(): void {
    this.deps.transport.onReceive(
      (d) => this.onDatagram(d, this.clock.now()),
      (e) => log.error({ err: e, instance: this.settings.name }, 'VRRP socket error'),
    );
    this.step({ type: 'start' });
  }

  /** A tracked script or interface changed (weight 0: failure means FAULT). */
  track(name: string, up: boolean, weight: number): void {
    this.step({ type: 'track', name, up, weight });
  }

  /** Graceful stop: priority 0 if master, VIPs removed, sockets closed. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.step({ type: 'shutdown' });
    this.stopped = true;
    this.clearTimers();
    this.pacer.forget(this.paceKey(''));
    await this.vipChain;
    this.deps.transport.close();
    this.deps.frames.close();
    await this.deps.afterStop?.();
  }

  private onDatagram(d: VrrpDatagram, now: number): void {
    if (this.stopped) return;
    this.stats.received++;
    const r = this.decode(d);
    if (!r.ok) {
      this.stats.dropped[r.reason] = (this.stats.dropped[r.reason] ?? 0) + 1;
      if (r.reason !== 'own-packet' && r.reason !== 'wrong-vrid') {
        log.warn({ instance: this.settings.name, reason: r.reason }, 'dropped VRRP packet');
      }
      return;
    }
    const a = r.value;
    this.apply(
      this.machine.step(
        { type: 'advert', src: a.src, priority: a.priority, advertIntMs: a.advertIntCs * 10 },
        now,
      ),
      now,
    );
  }

  private decode(d: VrrpDatagram): Decoded<VrrpAdvert & { src: string }> {
    let r: Decoded<VrrpAdvert & { src: string }>;
    const master = this.machine.master;
    if (this.settings.skipCheckAdvAddr && master && this.machine.state === 'BACKUP') {
      this.want = { ...this.want, trustAddressesFrom: master };
    } else if (this.want.trustAddressesFrom !== undefined) {
      const { trustAddressesFrom: _t, ...rest } = this.want;
      this.want = rest;
    }
    if (d.family === 4) {
      r = receiveIpv4(d.data, this.want);
    } else {
      const adv = decodeAdvert(d.data, 6, d.dst ? { src: d.src, dst: d.dst } : 'kernel');
      if (!adv.ok) return adv;
      const bad = checkAdvert(adv.value, d.hopLimit ?? -1, this.want, d.src);
      r = bad ? { ok: false, reason: bad } : { ok: true, value: { ...adv.value, src: d.src } };
    }
    if (r.ok && r.value.src === this.deps.srcIp) return { ok: false, reason: 'own-packet' };
    return r;
  }

  private step(ev: Parameters<VrrpMachine['step']>[0]): void {
    const now = this.clock.now();
    this.apply(this.machine.step(ev, now), now);
  }

  /**
   * A timer fired, perhaps late. Read what the socket holds first: an advert
   * queued while the loop was busy proves the master alive, so a late timer
   * cannot cause a takeover by itself.
   */
  private onTimer(): void {
    this.timer = null;
    if (this.stopped) return;
    let queued: VrrpDatagram[] = [];
    try {
      queued = this.deps.transport.drain();
    } catch (e) {
      log.error({ err: e }, 'VRRP socket read failed');
    }
    const now = this.clock.now();
    for (const d of queued) this.onDatagram(d, now);
    this.step({ type: 'tick' });
  }

  private apply(actions: MachineAction[], now: number): void {
    for (const a of actions) this.act(a);
    if (this.stopped) return;
    const deadline = this.machine.nextDeadline();
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer =
      deadline === null ? null : this.clock.setTimeout(() => this.onTimer(), Math.max(0, deadline - now));
  }

  private act(a: MachineAction): void {
    const name = this.settings.name;
    switch (a.type) {
      case 'send-advert':
        this.sendAdvert(a.priority);
        break;
      case 'add-vips':
        this.dropOp(true);
        this.vipOp('add');
        this.routeOp('add');
        break;
      case 'remove-vips':
        this.cancelMasterTimers();
        this.routeOp('remove');
        this.vipOp('remove');
        this.dropOp(false);
        break;
      case 'send-garp':
        if (a.reason === 'became-master') this.scheduleGarps(garpOnMaster(this.settings.garp), true);
        else this.scheduleGarps(garpOnLowerPrio(this.settings.garp), false);
        break;
      case 'notify':
        log.info(
          { instance: name, state: a.state, priority: a.priority },
          `(${name}) entering ${a.state} state`,
        );
        for (const c of notifyCommands(this.settings.notify, name, a.state, a.priority)) {
          (this.deps.scripts ?? spawnRunner).run(c.argv, c.kind);
        }
        this.deps.onState?.(a.state, a.priority);
        break;
      case 'want-master':
        this.deps.onWantMaster?.();
        break;
      case 'other-master': {
        const fields = { instance: name, peer: a.peer, peerPriority: a.peerPriority, outcome: a.outcome };
        const mine = this.machine.priority;
        if (a.kind === 'preemption') {
          log.info(
            fields,
            `(${name}) master ${a.peer} has priority ${a.peerPriority}, ours ${mine}: ${a.outcome === 'yield' ? 'yielding' : 'staying master'}`,
          );
        } else {
          log.error(
            fields,
            `(${name}) SPLIT BRAIN: another master ${a.peer} (priority ${a.peerPriority}, ours ${mine}) on VRID ${this.settings.vrid}; ${a.outcome}`,
          );
        }
        break;
      }
      case 'log':
        log[a.level]({ instance: name }, a.msg);
        break;
    }
  }

  private sendAdvert(priority: number): void {
    const adv: VrrpAdvert = {
      version: this.settings.version,
      vrid: this.settings.vrid,
      priority,
      family: this.settings.family,
      addresses: this.want.addresses,
      advertIntCs: this.want.advertIntCs,
      ...(this.want.auth ? { auth: this.want.auth } : {}),
    };
    for (const dst of this.deps.transport.destinations()) {
      try {
        const pseudo = adv.version === 3 ? { src: this.deps.srcIp, dst } : null;
        this.deps.transport.sendTo(encodeAdvert(adv, pseudo), dst);
      } catch (e) {
        log.error({ err: e, dst }, 'VRRP advert send failed');
      }
    }
  }

  private vipOp(op: 'add' | 'remove', only?: Vip[]): void {
    const vips = only ?? this.held().map((v) => ({ ...v, ifname: v.ifname ?? this.settings.interface }));
    this.vipChain = this.vipChain.then(async () => {
      const failed: Vip[] = [];
      for (const v of vips) {
        try {
          await (op === 'add' ? this.deps.vips.add(v) : this.deps.vips.remove(v));
        } catch (e) {
          this.stats.vipErrors++;
          log.error({ err: e, vip: v.address, op }, 'VIP change failed');
          if (op === 'add') failed.push(v);
        }
      }
      if (failed.length > 0) this.retryVipAdd(failed);
    });
  }

  /**
   * no_accept: the drop rules go in before the VIPs and come out after them,
   * so no packet to a VIP is taken in between. The address owner (priority
   * 255) always accepts.
   */
  private dropOp(holding: boolean): void {
    const drops = this.deps.drops;
    if (!drops) return;
    const s = this.settings;
    const addrs = holding && !s.accept && s.priority !== 255 ? this.held().map((v) => v.address) : [];
    this.vipChain = this.vipChain.then(() => drops.set(s.name, addrs));
  }

  /** Routes and rules, queued behind the VIP changes so a route's source address is in place. */
  private routeOp(op: 'add' | 'remove', only?: HeldRoutes): void {
    const held = only ?? heldRoutes(this.settings);
    const table = this.deps.routes;
    if (!table || (!held.routes.length && !held.rules.length)) return;
    this.vipChain = this.vipChain.then(async () => {
      this.stats.routeErrors += await applyRoutes(table, op, held, this.settings.name);
    });
  }

  /**
   * A master without its VIP black-holes the traffic it claims (a busy
   * rtnetlink, an interface renamed under it): try again while still master,
   * and announce the address once it is in place.
   */
  private retryVipAdd(vips: Vip[]): void {
    const h = this.clock.setTimeout(() => {
      this.masterTimers.delete(h);
      if (this.machine.state !== 'MASTER') return;
      this.vipOp('add', vips);
      void this.vipChain.then(() => this.announce(1, vips));
    }, VIP_RETRY_MS);
    this.masterTimers.add(h);
  }

  private scheduleGarps(rounds: readonly GarpRound[], withRefresh: boolean, only?: readonly Vip[]): void {
    const g = this.settings.garp;
    for (const round of rounds) {
      const h = this.clock.setTimeout(() => {
        this.masterTimers.delete(h);
        // After the VIPs are in place, so the answers to the ARP that follow are ours.
        void this.vipChain.then(() => this.announce(round.repeat, only));
      }, round.atMs);
      this.masterTimers.add(h);
    }
    if (withRefresh && g.masterRefreshMs > 0) {
      const refresh = (): void => {
        const h = this.clock.setTimeout(() => {
          this.masterTimers.delete(h);
          if (this.machine.state !== 'MASTER') return;
          this.announce(g.masterRefreshRepeat);
          refresh();
        }, g.masterRefreshMs);
        this.masterTimers.add(h);
      };
      refresh();
    }
  }

  /** keepalived's link update: repeat passes over the VIPs, each frame through the pacer. */
  private announce(repeat: number, only?: readonly Vip[]): void {
    if (this.machine.state !== 'MASTER') return;
    const vips = only ?? this.held();
    const pace = this.settings.garpPace;
    for (let j = 0; j < repeat; j++) {
      vips.forEach((v, i) => {
        this.pacer.send(pace, this.settings.family, this.paceKey(v.address), i, () => this.sendGarp(v));
      });
    }
  }

  private paceKey(address: string): string {
    return `${this.settings.name}\u0000${address}`;
  }

  private sendGarp(v: Vip): boolean {
    if (this.machine.state !== 'MASTER') return false;
    try {
      const frame =
        this.settings.family === 4
          ? gratuitousArp(this.deps.frames.mac, v.address)
          : unsolicitedNa(this.deps.frames.mac, this.deps.srcIp, v.address);
      this.deps.frames.send(frame);
      this.stats.garpSent++;
    } catch (e) {
      log.error({ err: e, vip: v.address }, 'gratuitous ARP send failed');
    }
    return true;
  }

  /** What a master holds: the VIPs, and the excluded ones that adverts do not name. */
  private held(): readonly Vip[] {
    return [...this.settings.vips, ...(this.settings.excludedVips ?? [])];
  }

  private cancelMasterTimers(): void {
    for (const h of this.masterTimers) this.clock.clearTimeout(h);
    this.masterTimers.clear();
  }

  private clearTimers(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
    this.cancelMasterTimers();
  }
}

function advertKnobs(s: VrrpInstanceSettings) {
  return {
    downTimerAdverts: s.downTimerAdverts ?? 3,
    lowerPrioNoAdvert: s.lowerPrioNoAdvert ?? false,
    higherPrioSendAdvert: s.higherPrioSendAdvert ?? false,
  };
}

function heldRoutes(s: VrrpInstanceSettings): HeldRoutes {
  return { routes: s.routes ?? [], rules: s.rules ?? [] };
}

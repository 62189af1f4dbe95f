// A VRRP speaker for one instance: the pure machine, driven by a transport,
// a clock, a VIP manager, a frame sender and notify scripts. Every seam is an
// interface; src/vrrp/open-speaker.ts wires the real ones.
import { canonicalIp } from '../kernel/vocabulary.js';
import type { VrrpDatagram } from '../kernel/vrrp-socket.js';
import { logger } from '../util/log.js';
import { GarpPacer } from './garp-pacer.js';
import { type MachineAction, VrrpMachine } from './machine.js';
import { heldRoutes, MasterDuties } from './master-duties.js';
import { notifyCommands, spawnRunner } from './notify.js';
import {
  type AdvertExpectations,
  checkAdvert,
  type Decoded,
  decodeAdvert,
  encodeAdvert,
  passwordAuth,
  receiveIpv4,
  type VrrpAdvert,
} from './packet.js';
import type { InstancePlan } from './reload-plan.js';
import {
  advertIntCs,
  garpOnLowerPrio,
  garpOnMaster,
  type Vip,
  type VrrpInstanceSettings,
} from './settings.js';
import { realClock, type SpeakerClock, type SpeakerDeps, type SpeakerStats } from './speaker-seams.js';
import { diffRoutes } from './virtual-routes.js';

const log = logger('vrrp');

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

export class VrrpSpeaker {
  private current: VrrpInstanceSettings;
  readonly machine: VrrpMachine;
  readonly stats: SpeakerStats = { received: 0, dropped: {}, garpSent: 0, vipErrors: 0, routeErrors: 0 };
  private readonly deps: SpeakerDeps;
  private readonly clock: SpeakerClock;
  private readonly pacer: GarpPacer;
  private want: AdvertExpectations;
  private timer: unknown = null;
  private readonly duties: MasterDuties;
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
    this.duties = new MasterDuties({
      deps,
      clock: this.clock,
      pacer: this.pacer,
      stats: this.stats,
      settings: () => this.current,
      isMaster: () => this.machine.state === 'MASTER',
    });
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
    const d = this.duties;
    d.routeOp('remove', routes.removed);
    if (plan.vipsRemoved.length) d.vipOp('remove', plan.vipsRemoved.map(onIf));
    // After the old VIPs are gone and before the new ones come: only the difference changes.
    d.dropOp(true);
    if (plan.vipsAdded.length) {
      const added = plan.vipsAdded.map(onIf);
      d.vipOp('add', added);
      d.scheduleGarps([{ atMs: 0, repeat: next.garp.masterRepeat }], false, added);
    }
    d.routeOp('add', routes.added);
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
    this.pacer.forget(this.duties.paceKey(''));
    await this.duties.settled();
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
        this.duties.dropOp(true);
        this.duties.vipOp('add');
        this.duties.routeOp('add');
        break;
      case 'remove-vips':
        this.duties.cancel();
        this.duties.routeOp('remove');
        this.duties.vipOp('remove');
        this.duties.dropOp(false);
        break;
      case 'send-garp':
        if (a.reason === 'became-master') this.duties.scheduleGarps(garpOnMaster(this.settings.garp), true);
        else this.duties.scheduleGarps(garpOnLowerPrio(this.settings.garp), false);
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

  private clearTimers(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
    this.duties.cancel();
  }
}

function advertKnobs(s: VrrpInstanceSettings) {
  return {
    downTimerAdverts: s.downTimerAdverts ?? 3,
    lowerPrioNoAdvert: s.lowerPrioNoAdvert ?? false,
    higherPrioSendAdvert: s.higherPrioSendAdvert ?? false,
  };
}

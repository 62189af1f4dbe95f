// What a master holds and announces: VIPs, no_accept drop rules, virtual
// routes and rules, and the gratuitous ARP / NA rounds. Kernel changes run
// one after another on one chain, so a route never precedes its source
// address and a drop rule never trails its VIP.
import { logger } from '../util/log.js';
import { gratuitousArp, unsolicitedNa } from './arp.js';
import type { GarpPacer } from './garp-pacer.js';
import type { GarpRound, Vip, VrrpInstanceSettings } from './settings.js';
import { type SpeakerClock, type SpeakerDeps, type SpeakerStats, VIP_RETRY_MS } from './speaker-seams.js';
import { applyRoutes, type HeldRoutes } from './virtual-routes.js';

const log = logger('vrrp');

export function heldRoutes(s: VrrpInstanceSettings): HeldRoutes {
  return { routes: s.routes ?? [], rules: s.rules ?? [] };
}

export interface DutyContext {
  readonly deps: SpeakerDeps;
  readonly clock: SpeakerClock;
  readonly pacer: GarpPacer;
  readonly stats: SpeakerStats;
  settings(): VrrpInstanceSettings;
  isMaster(): boolean;
}

export class MasterDuties {
  private chain: Promise<void> = Promise.resolve();
  private readonly timers = new Set<unknown>();

  constructor(private readonly c: DutyContext) {}

  /** Resolves when every queued kernel change has run. */
  settled(): Promise<void> {
    return this.chain;
  }

  vipOp(op: 'add' | 'remove', only?: Vip[]): void {
    const s = this.c.settings();
    const vips = only ?? this.held().map((v) => ({ ...v, ifname: v.ifname ?? s.interface }));
    this.chain = this.chain.then(async () => {
      const failed: Vip[] = [];
      for (const v of vips) {
        try {
          await (op === 'add' ? this.c.deps.vips.add(v) : this.c.deps.vips.remove(v));
        } catch (e) {
          this.c.stats.vipErrors++;
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
  dropOp(holding: boolean): void {
    const drops = this.c.deps.drops;
    if (!drops) return;
    const s = this.c.settings();
    const addrs = holding && !s.accept && s.priority !== 255 ? this.held().map((v) => v.address) : [];
    this.chain = this.chain.then(() => drops.set(s.name, addrs));
  }

  /** Routes and rules, queued behind the VIP changes so a route's source address is in place. */
  routeOp(op: 'add' | 'remove', only?: HeldRoutes): void {
    const s = this.c.settings();
    const held = only ?? heldRoutes(s);
    const table = this.c.deps.routes;
    if (!table || (!held.routes.length && !held.rules.length)) return;
    this.chain = this.chain.then(async () => {
      this.c.stats.routeErrors += await applyRoutes(table, op, held, s.name);
    });
  }

  /**
   * A master without its VIP black-holes the traffic it claims (a busy
   * rtnetlink, an interface renamed under it): try again while still master,
   * and announce the address once it is in place.
   */
  private retryVipAdd(vips: Vip[]): void {
    this.after(VIP_RETRY_MS, () => {
      if (!this.c.isMaster()) return;
      this.vipOp('add', vips);
      void this.chain.then(() => this.announce(1, vips));
    });
  }

  scheduleGarps(rounds: readonly GarpRound[], withRefresh: boolean, only?: readonly Vip[]): void {
    const g = this.c.settings().garp;
    for (const round of rounds) {
      // After the VIPs are in place, so the answers to the ARP that follow are ours.
      this.after(round.atMs, () => void this.chain.then(() => this.announce(round.repeat, only)));
    }
    if (withRefresh && g.masterRefreshMs > 0) {
      const refresh = (): void =>
        this.after(g.masterRefreshMs, () => {
          if (!this.c.isMaster()) return;
          this.announce(g.masterRefreshRepeat);
          refresh();
        });
      refresh();
    }
  }

  /** Stops the retries and announcements a master scheduled. */
  cancel(): void {
    for (const h of this.timers) this.c.clock.clearTimeout(h);
    this.timers.clear();
  }

  /** The pacer's key for one address of this instance ('' names the instance). */
  paceKey(address: string): string {
    return `${this.c.settings().name}\u0000${address}`;
  }

  private after(ms: number, fn: () => void): void {
    const h = this.c.clock.setTimeout(() => {
      this.timers.delete(h);
      fn();
    }, ms);
    this.timers.add(h);
  }

  /** keepalived's link update: repeat passes over the VIPs, each frame through the pacer. */
  private announce(repeat: number, only?: readonly Vip[]): void {
    if (!this.c.isMaster()) return;
    const s = this.c.settings();
    const vips = only ?? this.held();
    for (let j = 0; j < repeat; j++) {
      vips.forEach((v, i) => {
        this.c.pacer.send(s.garpPace, s.family, this.paceKey(v.address), i, () => this.sendGarp(v));
      });
    }
  }

  private sendGarp(v: Vip): boolean {
    if (!this.c.isMaster()) return false;
    const { frames, srcIp } = this.c.deps;
    try {
      const frame =
        this.c.settings().family === 4
          ? gratuitousArp(frames.mac, v.address)
          : unsolicitedNa(frames.mac, srcIp, v.address);
      frames.send(frame);
      this.c.stats.garpSent++;
    } catch (e) {
      log.error({ err: e, vip: v.address }, 'gratuitous ARP send failed');
    }
    return true;
  }

  /** What a master holds: the VIPs, and the excluded ones that adverts do not name. */
  private held(): readonly Vip[] {
    const s = this.c.settings();
    return [...s.vips, ...(s.excludedVips ?? [])];
  }
}

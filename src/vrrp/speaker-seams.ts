// The seams a VRRP speaker is driven through: the advert and frame
// transports, the VIP manager and the clock. src/vrrp/open-speaker.ts wires
// the real ones; tests pass fakes.
import { performance } from 'node:perf_hooks';
import type { RouteTable } from '../kernel/routes.js';
import type { VrrpDatagram } from '../kernel/vrrp-socket.js';
import type { GarpPacer } from './garp-pacer.js';
import type { NotifyState } from './machine.js';
import type { ScriptRunner } from './notify.js';
import type { DropReason } from './packet.js';
import type { Vip } from './settings.js';
import type { VipDrops } from './vip-drop.js';

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

export interface SpeakerStats {
  received: number;
  dropped: Partial<Record<DropReason, number>>;
  garpSent: number;
  vipErrors: number;
  routeErrors: number;
}

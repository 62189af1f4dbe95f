// keepalived's vrrp_garp_interval, vrrp_gna_interval and garp_group: on the
// interfaces of one group, gratuitous ARPs (and, apart, unsolicited NAs)
// leave at least the interval apart, whichever instance sends them. A frame
// that must wait is queued; another for the same address while it waits is
// merged into it, as keepalived does, so repeats collapse when the gap is
// longer than a round takes.

import type { GarpPace } from './settings.js';
import type { SpeakerClock } from './speaker-seams.js';

/** Sends the frame; false when it no longer applies (the instance left MASTER). */
export type PacedSend = () => boolean;

interface Slot {
  readonly intervalMs: number;
  /** When the next frame may leave; null until the first has left. */
  nextAt: number | null;
  /** Waiting frames by key, with their order (lowest first: keepalived walks the VIP list). */
  readonly pending: Map<string, { rank: number; send: PacedSend }>;
  timer: unknown;
}

export class GarpPacer {
  private readonly slots = new Map<string, Slot>();

  constructor(private readonly clock: SpeakerClock) {}

  /** One frame for key (an instance and address); rank orders the waiting ones. */
  send(pace: GarpPace | undefined, family: 4 | 6, key: string, rank: number, send: PacedSend): void {
    const intervalMs = pace ? (family === 4 ? pace.garpIntervalMs : pace.gnaIntervalMs) : 0;
    if (!pace || intervalMs <= 0) {
      send();
      return;
    }
    const id = `${pace.group}\u0000${family}`;
    let slot = this.slots.get(id);
    if (!slot || slot.intervalMs !== intervalMs) {
      if (slot) this.clock.clearTimeout(slot.timer);
      slot = { intervalMs, nextAt: null, pending: new Map(), timer: null };
      this.slots.set(id, slot);
    }
    const now = this.clock.now();
    if (slot.nextAt !== null && now < slot.nextAt) {
      if (!slot.pending.has(key)) slot.pending.set(key, { rank, send });
      this.arm(slot, now);
      return;
    }
    if (send()) slot.nextAt = now + intervalMs;
  }

  /** Drops what waits for keys starting with prefix (an instance that stopped). */
  forget(prefix: string): void {
    for (const slot of this.slots.values())
      for (const k of [...slot.pending.keys()]) if (k.startsWith(prefix)) slot.pending.delete(k);
  }

  close(): void {
    for (const slot of this.slots.values()) {
      this.clock.clearTimeout(slot.timer);
      slot.pending.clear();
    }
  }

  private arm(slot: Slot, now: number): void {
    if (slot.timer !== null || slot.nextAt === null) return;
    slot.timer = this.clock.setTimeout(() => this.fire(slot), Math.max(0, slot.nextAt - now));
  }

  private fire(slot: Slot): void {
    slot.timer = null;
    const now = this.clock.now();
    // The first waiting frame that still applies leaves now; the rest wait for the next gap.
    while (slot.pending.size > 0) {
      let first: [string, { rank: number; send: PacedSend }] | null = null;
      for (const e of slot.pending) if (!first || e[1].rank < first[1].rank) first = e;
      slot.pending.delete(first![0]);
      if (first![1].send()) {
        slot.nextAt = now + slot.intervalMs;
        break;
      }
    }
    if (slot.pending.size > 0) this.arm(slot, now);
  }
}

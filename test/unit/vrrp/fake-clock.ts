// A speaker clock the VRRP unit tests move by hand.
import type { SpeakerClock } from '../../../src/vrrp/speaker-seams.js';

export class FakeClock implements SpeakerClock {
  t = 0;
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private ids = 0;
  now = () => this.t;
  setTimeout = (fn: () => void, ms: number) => {
    const id = ++this.ids;
    this.timers.push({ at: this.t + ms, fn, id });
    return id;
  };
  clearTimeout = (h: unknown) => {
    this.timers = this.timers.filter((x) => x.id !== h);
  };
  /** Runs due timers in order up to `to`; `lateBy` makes each fire that much after its due time. */
  advance(to: number, lateBy = 0): void {
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers[0];
      if (!next || next.at > to) break;
      this.timers.shift();
      this.t = Math.max(this.t, next.at + lateBy);
      next.fn();
    }
    this.t = Math.max(this.t, to);
  }
}

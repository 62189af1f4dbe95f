// Pure VRRP arithmetic: keepalived's effective priority, RFC 5798 timers and
// the primary-address tie-break.

const PRIORITY_OWNER = 255;

export interface Track {
  readonly up: boolean;
  readonly weight: number;
}

/** Effective priority of keepalived: weights only move a non-owner within 1..254. */
export function effectivePriority(base: number, tracks: Iterable<Track>): number {
  if (base === PRIORITY_OWNER) return base;
  let p = base;
  for (const t of tracks) {
    if (t.weight > 0 && t.up) p += t.weight;
    if (t.weight < 0 && !t.up) p += t.weight;
  }
  return Math.min(254, Math.max(1, p));
}

/** RFC 5798 6.1: Skew_Time = ((256 - Priority) * Master_Adver_Interval) / 256. */
export function skewTimeMs(priority: number, masterAdvertIntMs: number): number {
  return ((256 - priority) * masterAdvertIntMs) / 256;
}

/**
 * RFC 5798 6.1: Master_Down_Interval = 3 * Master_Adver_Interval + Skew_Time;
 * keepalived's down_timer_adverts replaces the 3.
 */
export function masterDownMs(priority: number, masterAdvertIntMs: number, adverts = 3): number {
  return adverts * masterAdvertIntMs + skewTimeMs(priority, masterAdvertIntMs);
}

/** RFC 5798 6.4.3: the sender wins a tie when its primary address is higher. */
export function compareIp(a: string, b: string): number {
  const bytes = (ip: string): number[] => (ip.includes(':') ? expand6(ip) : ip.split('.').map(Number));
  const x = bytes(a);
  const y = bytes(b);
  if (x.length !== y.length) return x.length - y.length;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return 0;
}

function expand6(ip: string): number[] {
  const [h, t] = ip.includes('::') ? ip.split('::') : [ip, undefined];
  const head = h ? h.split(':') : [];
  const tail = t ? t.split(':') : [];
  const groups =
    t === undefined ? head : [...head, ...Array(8 - head.length - tail.length).fill('0'), ...tail];
  return groups.map((g) => Number.parseInt(g, 16));
}

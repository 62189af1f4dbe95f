// Time source for the scheduler: real timers in production, a fake in tests.
export type TimerHandle = unknown;

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
  /** Uniform in [0, 1); injectable so jitter is reproducible in tests. */
  random(): number;
  /** Runs fn after the I/O of the current loop turn (a fake clock may run it at once). */
  afterIo?(fn: () => void): void;
}

export const realClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    // Check timers alone must not keep a process alive.
    t.unref();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
  random: Math.random,
  afterIo: (fn) => {
    setImmediate(fn);
  },
};

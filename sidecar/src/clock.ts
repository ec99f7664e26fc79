/** Time as the controller sees it, injected so tests can drive timers by hand. */
export type TimerHandle = unknown;

export interface Clock {
  /** Milliseconds, monotonic enough for durations (wall clock in production). */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

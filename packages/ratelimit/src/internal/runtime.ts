// The runtime-neutral packages compile without DOM or Node typings, so the
// few web-standard globals used here are described structurally.
interface Globals {
  performance?: { now(): number };
  queueMicrotask(callback: () => void): void;
  setTimeout(callback: () => void, ms: number): unknown;
}

const g = globalThis as unknown as Globals;
const perf = g.performance;

/** Monotonic milliseconds: `performance.now()`, or `Date.now()` where there is none. */
export const preciseNow: () => number =
  perf && typeof perf.now === "function" ? () => perf.now() : Date.now;

// Reading the clock costs more than a whole GCRA decision (~40 ns against
// ~15 ns in Node 20), so the default clock is read at most once per
// microtask checkpoint, as event-loop servers cache "now" per loop turn. A
// stale reading is never later than the true time; see coarseNow.
let cached = 0;
let valid = false;
const invalidate = () => {
  valid = false;
};

/**
 * The monotonic time, read at most once per microtask checkpoint and shared
 * by every limiter. Callers that refuse a request on this time re-check with
 * {@link refreshNow}, so a coarse reading can only make a limiter admit what
 * it would also admit at the true time, plus at most the staleness (usually
 * microseconds) worth of credit.
 */
export function coarseNow(): number {
  if (valid) return cached;
  return refreshNow();
}

/** Reads the clock now and updates the shared cached reading. */
export function refreshNow(): number {
  cached = preciseNow();
  if (!valid) {
    valid = true;
    g.queueMicrotask(invalidate);
  }
  return cached;
}

export const timers = {
  /** Runs `callback` once the current synchronous code (and earlier microtasks) finished. */
  queueMicrotask(callback: () => void): void {
    g.queueMicrotask(callback);
  },
  /**
   * `setTimeout` that does not keep a Node process alive (no-op elsewhere,
   * where timers never do).
   */
  setUnrefTimeout(callback: () => void, ms: number): void {
    const handle = g.setTimeout(callback, ms) as { unref?: () => void } | undefined;
    if (handle && typeof handle.unref === "function") handle.unref();
  },
};

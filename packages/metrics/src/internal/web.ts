// The package compiles without DOM or Node typings (it runs in Node, workerd
// and browsers), so the few web globals it touches are typed here, minimally.

interface PerformanceLike {
  now(): number;
}

const perf = (globalThis as { performance?: PerformanceLike }).performance;

/** A monotonic clock in milliseconds where the runtime has one. */
export const monotonicMs: () => number = perf ? () => perf.now() : () => Date.now();

/** Wall-clock Unix time in seconds. */
export function unixSeconds(): number {
  return Date.now() / 1000;
}

type TimerHandle = unknown;
interface TimerGlobals {
  setInterval(fn: () => void, ms: number): TimerHandle;
  clearInterval(handle: TimerHandle): void;
}

/**
 * Starts a repeating timer that does not keep a Node process alive (Node's
 * `unref`). Returns undefined where timers cannot start (workerd refuses them
 * in global scope), leaving the caller to work on demand.
 */
export function startInterval(fn: () => void, ms: number): (() => void) | undefined {
  const g = globalThis as unknown as Partial<TimerGlobals>;
  if (typeof g.setInterval !== "function" || typeof g.clearInterval !== "function")
    return undefined;
  const clear = g.clearInterval;
  let handle: TimerHandle;
  try {
    handle = g.setInterval(fn, ms);
  } catch {
    return undefined;
  }
  (handle as { unref?: () => void } | null)?.unref?.();
  return () => clear(handle);
}

import { runtimeGlobal } from "./globals";

interface PerformanceLike {
  now(): number;
  readonly timeOrigin?: number;
}

const perf = runtimeGlobal<PerformanceLike>("performance");
const hasPerf = perf !== undefined && typeof perf.now === "function";

/**
 * Monotonic milliseconds (`performance.now()`, or `Date.now()` where there is none):
 * for durations only; the origin is arbitrary.
 *
 * @returns milliseconds since an arbitrary origin.
 */
export const monotonicNow: () => number = hasPerf ? () => perf.now() : () => Date.now();

// One wall-clock anchor for the whole process: later readings add monotonic time to it, so
// timestamps never go backwards and a child started after its parent is never stamped before
// it (a per-call `Date.now()` has millisecond resolution and follows clock adjustments).
const origin =
  hasPerf && typeof perf.timeOrigin === "number" && Number.isFinite(perf.timeOrigin)
    ? perf.timeOrigin
    : Date.now() - monotonicNow();

/**
 * Wall-clock Unix time in milliseconds with sub-millisecond resolution, on a monotonic
 * base anchored once (`performance.timeOrigin + performance.now()`).
 *
 * @returns milliseconds since the Unix epoch.
 */
export function epochNow(): number {
  return origin + monotonicNow();
}

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

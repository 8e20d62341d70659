// The runtime-neutral packages compile without DOM or Node typings, so the
// few web-standard globals used here are described structurally.
interface Globals {
  performance?: { now(): number };
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const g = globalThis as unknown as Globals;

/** `performance.now()` where available, else `Date.now()`. */
export function defaultClock(): () => number {
  const perf = g.performance;
  if (perf && typeof perf.now === "function") return () => perf.now();
  return Date.now;
}

/**
 * Settles with `promise`, or rejects with `onTimeout()` after `ms`. The
 * timer is cleared either way so it never keeps a process alive.
 */
export function withTimeout<T>(
  promise: Promise<T>,
  ms: number,
  onTimeout: () => Error,
): Promise<T> {
  if (!(ms > 0) || ms === Number.POSITIVE_INFINITY) return promise;
  return new Promise<T>((resolve, reject) => {
    const timer = g.setTimeout(() => reject(onTimeout()), ms);
    promise.then(
      (value) => {
        g.clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        g.clearTimeout(timer);
        reject(err);
      },
    );
  });
}

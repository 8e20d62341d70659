/**
 * Tolerance for comparing times in milliseconds. Interval sums such as
 * 3 × (1000 / 3) do not add up exactly in floating point; letting a request
 * in a hair early is harmless, refusing one that is exactly on time is not.
 * One microsecond, or a thousandth of the interval for very high rates so
 * the tolerance never amounts to a whole extra request. The Redis script
 * computes the same value.
 */
export function epsilonFor(intervalMs: number): number {
  return Math.min(0.001, intervalMs / 1_000);
}

/** Remaining cost-1 requests when the theoretical arrival time is `tat`. */
export function remainingAt(
  now: number,
  tat: number,
  intervalMs: number,
  tauMs: number,
  eps: number,
): number {
  const r = Math.floor((now + tauMs - tat + eps) / intervalMs);
  return Math.max(r, 0);
}

/**
 * Tolerance for comparing times in milliseconds. Interval sums such as
 * 3 × (1000 / 3) do not add up exactly in floating point, and epoch-based
 * times (~1.7e12 ms) carry ~2e-4 ms of rounding; letting a request in one
 * microsecond early is harmless, refusing one that is exactly on time is not.
 * The Redis script uses the same value.
 */
export const EPSILON_MS = 0.001;

/** Remaining cost-1 requests when the theoretical arrival time is `tat`. */
export function remainingAt(now: number, tat: number, intervalMs: number, tauMs: number): number {
  const r = Math.floor((now + tauMs - tat + EPSILON_MS) / intervalMs);
  return Math.max(r, 0);
}

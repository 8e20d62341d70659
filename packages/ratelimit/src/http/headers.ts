import type { LimiterPolicy, RateLimitResult } from "../types";

/**
 * `RateLimit-Policy` value (IETF httpapi draft, structured field):
 * `"<name>";q=<quota>;w=<window seconds>`, advertising the steady rate.
 * Both parameters must be integers, so a sub-second or fractional rate is
 * expressed over the next whole window with the quota rounded down.
 *
 * @param name - policy identifier, quoted as a structured-field string.
 * @param policy - the limiter's policy.
 * @returns the header value.
 * @example
 * ```ts
 * formatPolicy("api", { count: 100, periodMs: 60_000, burst: 20 }); // "\"api\";q=100;w=60"
 * ```
 */
export function formatPolicy(name: string, policy: LimiterPolicy): string {
  const periodSec = policy.periodMs / 1_000;
  let w = periodSec;
  let q = policy.count;
  if (!Number.isInteger(w) || !Number.isInteger(q)) {
    w = Math.max(1, Math.ceil(periodSec));
    q = Math.max(1, Math.floor((policy.count * w) / periodSec));
  }
  return `${sfString(name)};q=${q};w=${w}`;
}

/**
 * `RateLimit` value (IETF httpapi draft): `"<name>";r=<remaining>;t=<seconds>`,
 * where `t` is, as the draft defines it, the time until more quota is made
 * available: with GCRA, until the next unit accrues (`0` when the key is at
 * a full burst). A refused request of cost 1 may retry after exactly `t`, so
 * `t` never points past `Retry-After`, and `Retry-After` (the time until the
 * refused request itself is admitted) is never earlier than `t`.
 *
 * @param name - policy identifier, the same as in `RateLimit-Policy`.
 * @param result - an exact check result (`remaining` and `resetAfterMs` are numbers).
 * @param policy - the limiter's policy, for the emission interval.
 * @returns the header value.
 * @example
 * ```ts
 * const policy = { count: 10, periodMs: 1_000, burst: 10 };
 * formatRateLimit("api", { allowed: true, remaining: 8, retryAfterMs: 0, resetAfterMs: 200 }, policy); // "\"api\";r=8;t=1"
 * ```
 */
export function formatRateLimit(
  name: string,
  result: RateLimitResult,
  policy: LimiterPolicy,
): string {
  const r = Math.max(0, Math.floor(result.remaining));
  const t = Math.max(0, wholeSeconds(nextUnitMs(result, policy)));
  return `${sfString(name)};r=${r};t=${t}`;
}

/**
 * Milliseconds until the key gains one more unit of quota: `0` at a full
 * burst. GCRA refills continuously, one unit per interval `T`; with `tau =
 * burst × T` and `resetAfterMs` the time until full, `tau − resetAfterMs`
 * has accrued, of which `remaining` whole units are usable now, so the next
 * one completes `(remaining + 1) × T − (tau − resetAfterMs)` from now.
 */
function nextUnitMs(result: RateLimitResult, policy: LimiterPolicy): number {
  const reset = result.resetAfterMs;
  if (!(reset > 0)) return 0;
  const interval = policy.periodMs / policy.count;
  const tau = interval * policy.burst;
  const next = (Math.max(0, Math.floor(result.remaining)) + 1) * interval - (tau - reset);
  return Math.min(reset, Math.max(0, next));
}

/**
 * `Retry-After` in whole seconds, rounded up (at least 1), or `undefined`
 * when the request can never succeed (cost above the burst).
 *
 * @param retryAfterMs - from a refused check.
 * @returns the header value or `undefined`.
 * @example
 * ```ts
 * formatRetryAfter(250); // "1"
 * ```
 */
export function formatRetryAfter(retryAfterMs: number): string | undefined {
  if (!Number.isFinite(retryAfterMs)) return undefined;
  return String(Math.max(1, wholeSeconds(retryAfterMs)));
}

// Rounds up, except that floating-point noise (60 000.000001 ms, or a store
// rounding to the microsecond) must not add a whole second.
function wholeSeconds(ms: number): number {
  return Math.ceil((ms - 0.001) / 1_000);
}

function sfString(value: string): string {
  // Structured-field strings allow printable ASCII only; escape \ and ".
  const printable = value.replace(/[^\x20-\x7e]/g, "?");
  return `"${printable.replace(/[\\"]/g, "\\$&")}"`;
}

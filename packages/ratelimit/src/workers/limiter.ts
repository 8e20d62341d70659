import { invalidOption, RateLimitError } from "../errors";
import type { AsyncLimiter, CheckOptions, LimiterPolicy, RateLimitResult } from "../types";

/** The Workers Rate Limiting binding (`[[ratelimits]]` in wrangler configuration). */
export interface RateLimitBinding {
  /** Counts one request for `key`; `success` is false when over the limit. */
  limit(options: { key: string }): Promise<{ success: boolean }>;
}

/** Options of {@link createWorkersLimiter}. */
export interface WorkersLimiterOptions {
  /** The binding, e.g. `env.RATE_LIMITER`. */
  binding: RateLimitBinding;
  /** The `limit` configured on the binding (requests per period), advertised in headers. */
  limit: number;
  /** The `period` configured on the binding: 10 or 60 seconds. */
  period: 10 | 60;
  /** Key used when `check` gets none. Default `"default"`. */
  defaultKey?: string;
  /**
   * What a check answers when the binding fails: `"open"` allows the
   * request, `"closed"` refuses it for one period. Default `"open"`.
   */
  fail?: "open" | "closed";
  /**
   * Reject `check` with a `RateLimitError` (`ERR_STORE_UNAVAILABLE`) when the
   * binding fails, instead of applying `fail`. Default `false`.
   */
  throwOnError?: boolean;
  /** Told about every binding failure. Exceptions it throws are ignored. */
  onError?: (error: RateLimitError) => void;
}

/**
 * Wraps the Workers Rate Limiting binding in the common `Limiter` interface.
 *
 * The binding only answers "allowed or not", counts per Cloudflare location
 * and is eventually consistent, so this limiter is not exact
 * (`exact: false`): `remaining` is always `NaN`, `retryAfterMs` (when
 * refused) and `resetAfterMs` are the period, an upper bound. A `cost` of n
 * calls the binding up to n times and stops at the first refusal; the units
 * consumed before it are not given back. `cost: 0` does not call it.
 *
 * @param options - binding, limit and period as configured (required),
 *   defaultKey (`"default"`), fail (`"open"`), throwOnError (`false`), onError.
 * @returns an asynchronous limiter.
 * @throws {RateLimitError} `ERR_INVALID_OPTION` for any invalid option.
 * @example
 * ```ts
 * import { createWorkersLimiter, type RateLimitBinding } from "@groundwork/ratelimit/workers";
 *
 * export default {
 *   async fetch(request: Request, env: { RATE_LIMITER: RateLimitBinding }) {
 *     const limit = createWorkersLimiter({ binding: env.RATE_LIMITER, limit: 100, period: 60 });
 *     // Set by Cloudflare's edge for every request a Worker receives.
 *     const ip = request.headers.get("CF-Connecting-IP") ?? "";
 *     const r = await limit.check(ip);
 *     return r.allowed ? new Response("ok") : new Response("slow down", { status: 429 });
 *   },
 * };
 * ```
 */
export function createWorkersLimiter(options: WorkersLimiterOptions): AsyncLimiter {
  const { binding, limit, period, onError } = options;
  if (typeof binding !== "object" || binding === null || typeof binding.limit !== "function") {
    throw invalidOption("binding must be a Workers Rate Limiting binding (env.<NAME>)");
  }
  if (!Number.isInteger(limit) || limit < 1) {
    throw invalidOption(`limit must be a positive integer, got ${String(limit)}`);
  }
  if (period !== 10 && period !== 60) {
    throw invalidOption(`period must be 10 or 60, got ${String(period)}`);
  }
  const fail = options.fail ?? "open";
  if (fail !== "open" && fail !== "closed") {
    throw invalidOption(`fail must be "open" or "closed", got ${String(fail)}`);
  }
  if (onError !== undefined && typeof onError !== "function") {
    throw invalidOption("onError must be a function");
  }
  const defaultKey = options.defaultKey ?? "default";
  if (typeof defaultKey !== "string") throw invalidOption("defaultKey must be a string");
  const throwOnError = options.throwOnError ?? false;
  const periodMs = period * 1_000;
  const policy: LimiterPolicy = { count: limit, periodMs, burst: limit };

  const failed = (err: unknown): RateLimitResult => {
    const error = new RateLimitError("ERR_STORE_UNAVAILABLE", "the rate limiting binding failed", {
      cause: err,
    });
    if (onError) {
      try {
        onError(error);
      } catch {
        // Observation only: a broken hook must not fail the request.
      }
    }
    if (throwOnError) throw error;
    return fail === "open"
      ? { allowed: true, remaining: Number.NaN, retryAfterMs: 0, resetAfterMs: Number.NaN }
      : { allowed: false, remaining: Number.NaN, retryAfterMs: periodMs, resetAfterMs: Number.NaN };
  };

  async function check(key?: string, checkOptions?: CheckOptions): Promise<RateLimitResult> {
    const cost = checkOptions?.cost ?? 1;
    // A cost that is not a finite number ≥ 0, or above the limit, never passes.
    if (!(cost >= 0) || cost > limit) {
      return {
        allowed: false,
        remaining: Number.NaN,
        retryAfterMs: Number.POSITIVE_INFINITY,
        resetAfterMs: periodMs,
      };
    }
    const request = { key: key ?? defaultKey };
    for (let i = 0; i < cost; i++) {
      let outcome: { success: boolean };
      try {
        outcome = await binding.limit(request);
      } catch (err) {
        return failed(err);
      }
      if (!outcome.success) {
        return {
          allowed: false,
          remaining: Number.NaN,
          retryAfterMs: periodMs,
          resetAfterMs: periodMs,
        };
      }
    }
    return { allowed: true, remaining: Number.NaN, retryAfterMs: 0, resetAfterMs: periodMs };
  }

  return { policy, exact: false, check };
}

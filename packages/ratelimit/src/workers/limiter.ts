import { RateLimitError } from "../errors";
import type { AsyncLimiter, CheckOptions, LimiterPolicy, RateLimitResult } from "../types";

/** The Workers Rate Limiting binding (`[[ratelimits]]` in wrangler configuration). */
export interface RateLimitBinding {
  /** Counts one request for `key`; `success` is false when over the limit. */
  limit(options: { key: string }): Promise<{ success: boolean }>;
}

/** Options of {@link workersLimiter}. */
export interface WorkersLimiterOptions {
  /** The binding, e.g. `env.RATE_LIMITER`. */
  binding: RateLimitBinding;
  /** The `limit` configured on the binding (requests per period), advertised in headers. */
  limit: number;
  /** The `period` configured on the binding: 10 or 60 seconds. */
  period: 10 | 60;
  /** Key used when `check` gets none. Default `"default"`. */
  defaultKey?: string;
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
 * @param options - binding, limit and period as configured (required), defaultKey (`"default"`).
 * @returns an asynchronous limiter. Binding failures reject with `ERR_STORE_UNAVAILABLE`.
 * @example
 * ```ts
 * export default {
 *   async fetch(request: Request, env: { RATE_LIMITER: RateLimitBinding }) {
 *     const limit = workersLimiter({ binding: env.RATE_LIMITER, limit: 100, period: 60 });
 *     const ip = request.headers.get("CF-Connecting-IP") ?? "unknown";
 *     const r = await limit.check(ip);
 *     return r.allowed ? new Response("ok") : new Response("slow down", { status: 429 });
 *   },
 * };
 * ```
 */
export function workersLimiter(options: WorkersLimiterOptions): AsyncLimiter {
  const { binding, limit, period } = options;
  if (!Number.isInteger(limit) || limit < 1) {
    throw new RateLimitError(
      "ERR_INVALID_OPTION",
      `limit must be a positive integer, got ${limit}`,
    );
  }
  if (period !== 10 && period !== 60) {
    throw new RateLimitError(
      "ERR_INVALID_OPTION",
      `period must be 10 or 60, got ${String(period)}`,
    );
  }
  const defaultKey = options.defaultKey ?? "default";
  const periodMs = period * 1_000;
  const policy: LimiterPolicy = { count: limit, periodMs, burst: limit };

  async function check(key?: string, checkOptions?: CheckOptions): Promise<RateLimitResult> {
    const cost = checkOptions?.cost ?? 1;
    if (!(cost >= 0) || cost === Number.POSITIVE_INFINITY) {
      throw new RateLimitError("ERR_INVALID_COST", `cost must be a finite number ≥ 0, got ${cost}`);
    }
    if (cost > limit) {
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
        throw new RateLimitError("ERR_STORE_UNAVAILABLE", "the rate limiting binding failed", {
          cause: err,
        });
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

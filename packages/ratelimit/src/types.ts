/** A value or a promise of it: the in-memory limiter answers synchronously, stores asynchronously. */
export type Awaitable<T> = T | PromiseLike<T>;

/**
 * The outcome of one rate-limit check. Every store reports the same GCRA
 * quantities; the Workers binding store cannot know some of them (see
 * {@link Limiter.exact}).
 */
export interface RateLimitResult {
  /** Whether the request may proceed. When `false` nothing was consumed. */
  allowed: boolean;
  /**
   * Requests of cost 1 that would still be allowed right now, after this one.
   * `NaN` when the store cannot know (Workers binding, or a Redis store
   * answering by its fail policy).
   */
  remaining: number;
  /**
   * Milliseconds until this request (same cost) would be allowed; `0` when
   * allowed, `Infinity` when its cost exceeds the burst and it never will be.
   */
  retryAfterMs: number;
  /** Milliseconds until the key is back to a full burst (idle state); `NaN` when unknown. */
  resetAfterMs: number;
}

/** Per-call options of {@link Limiter.check}. */
export interface CheckOptions {
  /**
   * Units this request consumes. Default 1. `0` only reads the state. A cost
   * above the burst is never allowed.
   */
  cost?: number;
}

/** The configured limit, in the shape HTTP headers advertise it. */
export interface LimiterPolicy {
  /** Requests per period at the steady rate. */
  readonly count: number;
  /** Period in milliseconds. */
  readonly periodMs: number;
  /** Requests allowed at once from an idle key (bucket capacity). */
  readonly burst: number;
}

/**
 * One interface over all stores. The in-memory limiter returns results
 * synchronously; Redis and Workers stores return promises. `await` works
 * for both.
 */
export interface Limiter {
  /** The configured limit. */
  readonly policy: LimiterPolicy;
  /**
   * `true` when `remaining`, `retryAfterMs` and `resetAfterMs` are exact
   * GCRA values. `false` for the Workers binding store, which only knows
   * allowed or not: there `remaining` is `NaN` and the times are the period
   * (an upper bound).
   */
  readonly exact: boolean;
  /**
   * Checks and, if allowed, consumes `cost` units for `key`.
   *
   * @param key - the bucket; default one shared bucket.
   * @param options - `cost`, default 1.
   * @returns the outcome, synchronously or as a promise.
   */
  check(key?: string, options?: CheckOptions): Awaitable<RateLimitResult>;
}

/** A limiter whose store is remote, so every check is asynchronous. */
export interface AsyncLimiter extends Limiter {
  check(key?: string, options?: CheckOptions): Promise<RateLimitResult>;
}

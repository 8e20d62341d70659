import { monotonicNow } from "@groundwork/platform";
import { invalidOption } from "./errors";
import { epsilonFor, remainingAt } from "./internal/gcra";
import { type RateInput, resolveRate } from "./rate";
import type { CheckOptions, Limiter, LimiterPolicy, RateLimitResult } from "./types";

/** Options of {@link createLimiter}. */
export interface MemoryLimiterOptions {
  /** Steady rate, e.g. `"10/s"` or `{ per: "minute", count: 600 }`. Parsed once. */
  rate: RateInput;
  /**
   * Requests allowed at once from an idle key (at least 1). Default: the
   * rate's count, rounded up (so `"10/s"` allows 10 at once, then one every 100 ms).
   */
  burst?: number;
  /**
   * Monotonic clock in milliseconds, read once per check. Inject one in
   * tests. Default: `performance.now()` (or `Date.now()` where there is none).
   */
  clock?: () => number;
  /**
   * Hard cap on keys held in memory. When reached, idle keys are dropped
   * first, then the oldest keys (which then start again with a full burst).
   * Default 10 000.
   */
  maxKeys?: number;
  /** How often idle keys are swept out, in clock milliseconds. Default 60 000. */
  sweepIntervalMs?: number;
}

/** The in-memory GCRA limiter: synchronous, allocation-light, bounded memory. */
export interface MemoryLimiter extends Limiter {
  /**
   * Checks and, if allowed, consumes `cost` units for `key`. Synchronous;
   * returns a new small object per call.
   *
   * @param key - the bucket; default one shared bucket (kept outside the key map).
   * @param options - `cost`, default 1.
   * @returns the outcome. A negative, `NaN` or infinite cost is never
   *   allowed (`retryAfterMs: Infinity`); checks do not throw.
   */
  check(key?: string, options?: CheckOptions): RateLimitResult;
  /**
   * The cheapest question: may this request proceed? Consumes `cost` units
   * when it may. Allocates nothing.
   *
   * @param key - the bucket; default one shared bucket.
   * @param cost - units to consume; default 1.
   * @returns `true` when allowed; `false` also for a negative, `NaN` or infinite cost.
   */
  allow(key?: string, cost?: number): boolean;
  /**
   * Forgets a key so it starts again with a full burst.
   *
   * @param key - the bucket; default the shared bucket.
   */
  reset(key?: string): void;
  /** Forgets every key. */
  clear(): void;
  /** Number of keys currently held in the key map (the shared bucket is not counted). */
  readonly size: number;
}

const NO_TAT = Number.NEGATIVE_INFINITY;

/**
 * Creates an in-memory GCRA limiter (the algorithm of redis-cell and
 * governor): each key stores one number, its theoretical arrival time. No
 * dependencies; runs in Node, workerd and browsers.
 *
 * @param options - rate (required), burst (default: the rate's count), clock
 *   (default `performance.now()`), maxKeys (default 10 000), sweepIntervalMs
 *   (default 60 000).
 * @returns a limiter with a synchronous `check` and an allocation-free `allow`.
 * @throws {RateLimitError} `ERR_INVALID_OPTION` for any invalid option.
 * @example
 * ```ts
 * const perUser = createLimiter({ rate: "10/s", burst: 20 });
 * const r = perUser.check("user:42");
 * if (!r.allowed) console.log(`retry in ${r.retryAfterMs} ms`);
 *
 * const logs = createLimiter({ rate: { per: "second", count: 100 } });
 * if (logs.allow()) console.log("not rate limited");
 * ```
 */
export function createLimiter(options: MemoryLimiterOptions): MemoryLimiter {
  const { rate, burst } = resolveRate(options.rate, options.burst);
  const maxKeys = options.maxKeys ?? 10_000;
  if (!Number.isInteger(maxKeys) || maxKeys < 1) {
    throw invalidOption(`maxKeys must be a positive integer, got ${maxKeys}`);
  }
  const sweepIntervalMs = options.sweepIntervalMs ?? 60_000;
  if (typeof sweepIntervalMs !== "number" || !(sweepIntervalMs > 0)) {
    throw invalidOption(`sweepIntervalMs must be positive, got ${String(sweepIntervalMs)}`);
  }
  if (options.clock !== undefined && typeof options.clock !== "function") {
    throw invalidOption("clock must be a function returning milliseconds");
  }
  const clock = options.clock ?? monotonicNow;
  const interval = rate.intervalMs;
  const tau = interval * burst;
  const eps = epsilonFor(interval);
  const policy: LimiterPolicy = { count: rate.count, periodMs: rate.periodMs, burst };

  // Keys map to slots in a typed array, so updating a key's time allocates
  // nothing (a Map<string, number> would box a fresh double on every write).
  const slots = new Map<string, number>();
  let tats = new Float64Array(Math.min(maxKeys, 64));
  let free = new Int32Array(tats.length);
  let freeTop = 0;
  let used = 0;
  let sharedTat = NO_TAT;
  let nextSweep = clock() + sweepIntervalMs;

  const release = (slot: number) => {
    free[freeTop++] = slot;
  };

  const sweepIdle = (now: number) => {
    for (const [key, slot] of slots) {
      // A key whose arrival time has passed is indistinguishable from a new one.
      if (tats[slot]! <= now) {
        slots.delete(key);
        release(slot);
      }
    }
    nextSweep = now + sweepIntervalMs;
  };

  const makeRoom = (now: number) => {
    sweepIdle(now);
    // Evict a chunk, not one key, so a flood of new keys pays the O(n)
    // sweep once per maxKeys/8 inserts instead of on every insert.
    const target = maxKeys - Math.max(1, maxKeys >>> 3);
    if (slots.size <= target) return;
    for (const [key, slot] of slots) {
      slots.delete(key);
      release(slot);
      if (slots.size <= target) break;
    }
  };

  const allocate = (key: string, now: number): number => {
    if (slots.size >= maxKeys) makeRoom(now);
    let slot: number;
    if (freeTop > 0) {
      slot = free[--freeTop]!;
    } else {
      if (used === tats.length) {
        const size = Math.min(maxKeys, tats.length * 2);
        const grown = new Float64Array(size);
        grown.set(tats);
        tats = grown;
        const grownFree = new Int32Array(size);
        grownFree.set(free);
        free = grownFree;
      }
      slot = used++;
    }
    slots.set(key, slot);
    return slot;
  };

  // A cost that is not a finite number ≥ 0 is a caller's bug; checks must
  // not throw, so it becomes a cost no bucket can hold: refused, forever.
  const validCost = (cost: number) =>
    cost >= 0 && cost !== Number.POSITIVE_INFINITY ? cost : Number.POSITIVE_INFINITY;

  const store = (key: string | undefined, slot: number | undefined, tat: number, now: number) => {
    if (key === undefined) sharedTat = tat;
    else if (slot === undefined) tats[allocate(key, now)] = tat;
    else tats[slot] = tat;
  };

  function allow(key?: string, cost = 1): boolean {
    if (cost !== 1) cost = validCost(cost);
    const now = clock();
    if (now >= nextSweep) sweepIdle(now);
    const slot = key === undefined ? undefined : slots.get(key);
    const stored = key === undefined ? sharedTat : slot === undefined ? NO_TAT : tats[slot]!;
    const increment = cost * interval;
    const tat = Math.max(stored, now);
    if (tat + increment - tau > now + eps) return false;
    if (cost > 0) store(key, slot, tat + increment, now);
    return true;
  }

  function check(key?: string, options?: CheckOptions): RateLimitResult {
    let cost = options === undefined ? 1 : (options.cost ?? 1);
    if (cost !== 1) cost = validCost(cost);
    const now = clock();
    if (now >= nextSweep) sweepIdle(now);
    const slot = key === undefined ? undefined : slots.get(key);
    const stored = key === undefined ? sharedTat : slot === undefined ? NO_TAT : tats[slot]!;
    const increment = cost * interval;
    const tat = Math.max(stored, now);
    const newTat = tat + increment;
    const allowAt = newTat - tau;
    if (allowAt > now + eps) {
      return {
        allowed: false,
        remaining: remainingAt(now, tat, interval, tau, eps),
        retryAfterMs: increment > tau + eps ? Number.POSITIVE_INFINITY : allowAt - now,
        // Never above tau: (now + x) - now can exceed x by a rounding error.
        resetAfterMs: Math.min(tat - now, tau),
      };
    }
    if (cost > 0) store(key, slot, newTat, now);
    return {
      allowed: true,
      remaining: remainingAt(now, newTat, interval, tau, eps),
      retryAfterMs: 0,
      resetAfterMs: Math.min(newTat - now, tau),
    };
  }

  return {
    policy,
    exact: true,
    check,
    allow,
    reset(key?: string) {
      if (key === undefined) {
        sharedTat = NO_TAT;
        return;
      }
      const slot = slots.get(key);
      if (slot !== undefined) {
        slots.delete(key);
        release(slot);
      }
    },
    clear() {
      sharedTat = NO_TAT;
      slots.clear();
      freeTop = 0;
      used = 0;
    },
    get size() {
      return slots.size;
    },
  };
}

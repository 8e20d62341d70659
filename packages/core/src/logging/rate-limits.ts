import { limiter, type MemoryLimiter } from "@groundwork/ratelimit";
import type { LogLevel } from "./levels";
import type { LogCallOptions, RateSpec } from "./options";

/** The rate limits a logger applies: a global one and per-call-site ones. */
export interface RateLimits {
  /** Whether a record may be written; consumes allowance when it may. */
  allow(level: LogLevel, msg: string, options: LogCallOptions | undefined): boolean;
}

// Distinct rate specs a logger keeps limiters for; call sites beyond it share
// the last limiter's budget instead of allocating more (bounded memory).
const MAX_RATE_SPECS = 64;
// Call sites (level + message template) per rate spec.
const MAX_CALL_SITES = 4096;

function specKey(spec: RateSpec): string {
  return typeof spec === "string" ? spec : `${spec.count}/${spec.per}`;
}

/**
 * Builds a logger's rate limits. A call site is its level plus message
 * template, so `log.warn("cache miss", { key })` is one site whatever the key.
 */
export function createRateLimits(
  global: { maxEventsPerSecond: number; burst?: number } | undefined,
): RateLimits {
  const globalLimiter =
    global === undefined
      ? undefined
      : limiter({
          rate: { per: "second", count: global.maxEventsPerSecond },
          ...(global.burst === undefined ? {} : { burst: global.burst }),
        });
  const perSpec = new Map<string, MemoryLimiter>();
  let lastLimiter: MemoryLimiter | undefined;

  const siteLimiter = (spec: RateSpec): MemoryLimiter | undefined => {
    const key = specKey(spec);
    let l = perSpec.get(key);
    if (l === undefined) {
      if (perSpec.size >= MAX_RATE_SPECS) return lastLimiter;
      try {
        l = limiter({ rate: spec, maxKeys: MAX_CALL_SITES });
      } catch {
        // An invalid rate in a log call must not break the call: no limit.
        return undefined;
      }
      perSpec.set(key, l);
      lastLimiter = l;
    }
    return l;
  };

  return {
    allow(level, msg, options) {
      const spec = options?.rateLimit;
      if (spec !== undefined) {
        const l = siteLimiter(spec);
        if (l !== undefined && !l.allow(`${level}\u0000${msg}`)) return false;
      }
      return globalLimiter === undefined || globalLimiter.allow();
    },
  };
}

import {
  createLimiter,
  type MemoryLimiter,
  parseRate,
  type RateInput,
} from "@groundwork/ratelimit";
import { CoreError } from "../errors";
import type { LogLevel } from "./levels";
import type { LogCallOptions } from "./options";

/** The rate limits a logger applies: a global one and per-call-site ones. */
export interface RateLimits {
  /** Whether a record may be written; consumes allowance when it may. */
  allow(level: LogLevel, msg: string, options: LogCallOptions | undefined): boolean;
}

// Distinct rate specs a logger keeps limiters for; call sites beyond it share
// the last spec's limiters instead of allocating more (bounded memory).
const MAX_RATE_SPECS = 64;
// Call sites (level + message template) per rate spec.
const MAX_CALL_SITES = 4096;

interface SpecLimiters {
  readonly spec: RateInput;
  readonly byLevel: Partial<Record<LogLevel, MemoryLimiter>>;
}

function specKey(spec: RateInput): string {
  return typeof spec === "string" ? spec : `${spec.count}/${spec.per}`;
}

/**
 * Builds a logger's rate limits. A call site is its level plus message
 * template, so `log.warn("cache miss", { key })` is one site whatever the key.
 *
 * @throws {CoreError} `ERR_INVALID_OPTION` for an invalid global limit.
 */
export function createRateLimits(
  global: { maxEventsPerSecond: number; burst?: number } | undefined,
): RateLimits {
  let globalLimiter: MemoryLimiter | undefined;
  if (global !== undefined) {
    try {
      globalLimiter = createLimiter({
        rate: { per: "second", count: global.maxEventsPerSecond },
        ...(global.burst === undefined ? {} : { burst: global.burst }),
      });
    } catch (cause) {
      throw new CoreError(
        "ERR_INVALID_OPTION",
        `rateLimit: maxEventsPerSecond must be a positive number, got ${String(global.maxEventsPerSecond)}`,
        { cause },
      );
    }
  }
  // Per rate spec, one limiter per level keyed by the message, so a call site
  // needs no key string built per call. `null` marks an invalid rate (no limit),
  // remembered so a bad option costs one parse, not one exception per call.
  const perSpec = new Map<string, SpecLimiters | null>();
  let last: SpecLimiters | undefined;

  const siteLimiter = (spec: RateInput, level: LogLevel): MemoryLimiter | undefined => {
    const key = specKey(spec);
    let entry = perSpec.get(key);
    if (entry === undefined) {
      if (perSpec.size >= MAX_RATE_SPECS) {
        entry = last ?? null;
      } else {
        try {
          parseRate(spec);
          entry = { spec, byLevel: {} };
          last = entry;
        } catch {
          entry = null;
        }
        perSpec.set(key, entry);
      }
    }
    if (entry === null) return undefined;
    entry.byLevel[level] ??= createLimiter({ rate: entry.spec, maxKeys: MAX_CALL_SITES });
    return entry.byLevel[level];
  };

  return {
    allow(level, msg, options) {
      const spec = options?.rateLimit;
      if (spec !== undefined) {
        const l = siteLimiter(spec, level);
        if (l !== undefined && !l.allow(msg)) return false;
      }
      return globalLimiter === undefined || globalLimiter.allow();
    },
  };
}

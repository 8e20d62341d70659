import { parseRate, type RateInput } from "@groundwork/ratelimit";
import { z } from "zod";
import { kindMeta } from "./kinds";

function isRate(value: RateInput): boolean {
  try {
    parseRate(value);
    return true;
  } catch {
    return false;
  }
}

/**
 * A rate setting, checked with `parseRate` from `@groundwork/ratelimit` when the
 * settings load, so a bad rate is a located settings error rather than a throw
 * when the limiter is created. The value stays a `RateInput`, ready for
 * `createLimiter({ rate })` or core's rate limits.
 *
 * @returns a zod schema accepting `"10/s"`, `"600/min"`, `"5000/hour"`, `"3/10s"` or `{ per, count }`
 * @example
 * ```ts
 * const schema = z.object({ rate: rate().default("10/s").describe("Requests allowed per client.") });
 * ```
 */
export function rate() {
  return z
    .union([
      z.string(),
      z.strictObject({ per: z.enum(["second", "minute", "hour"]), count: z.number() }),
    ])
    .refine(isRate, {
      message:
        'expected a rate such as "10/s", "600/min", "5000/hour" or { per: second, count: 10 }',
    })
    .meta(kindMeta("rate"));
}

import { invalidOption, RateLimitError } from "./errors";

/** Time unit of a rate given as an object. */
export type RatePeriod = "second" | "minute" | "hour";

/**
 * A rate, the one rate type of every Groundwork package: `"<count>/<unit>"`
 * (`"10/s"`, `"600/min"`, `"5000/h"`, also `"10/second"`, `"10/minute"`,
 * `"10/hour"`, `"3/10s"`), or an object `{ per, count }`.
 *
 * @example
 * ```ts
 * const perSecond: RateInput = "10/s";
 * const perMinute: RateInput = { per: "minute", count: 600 };
 * ```
 */
export type RateInput = string | { per: RatePeriod; count: number };

/** A parsed rate: `count` events every `periodMs` milliseconds. */
export interface Rate {
  /** Events allowed per period (a positive finite number). */
  readonly count: number;
  /** Length of the period in milliseconds. */
  readonly periodMs: number;
  /** Milliseconds between two events at the steady rate (`periodMs / count`). */
  readonly intervalMs: number;
}

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  sec: 1_000,
  second: 1_000,
  seconds: 1_000,
  m: 60_000,
  min: 60_000,
  minute: 60_000,
  minutes: 60_000,
  h: 3_600_000,
  hr: 3_600_000,
  hour: 3_600_000,
  hours: 3_600_000,
  d: 86_400_000,
  day: 86_400_000,
  days: 86_400_000,
};

const PERIOD_MS: Record<RatePeriod, number> = {
  second: 1_000,
  minute: 60_000,
  hour: 3_600_000,
};

const RATE_RE = /^\s*(\d+(?:\.\d+)?)\s*\/\s*(\d+(?:\.\d+)?)?\s*([a-z]+)\s*$/i;

/**
 * Parses a rate once, so hot paths never parse strings.
 *
 * @param input - `"10/s"`, `"100/min"`, `"1000/hour"`, `"5/10s"` or
 *   `{ per: "second" | "minute" | "hour", count }`.
 * @returns the rate as count, period and steady interval in milliseconds.
 * @throws {RateLimitError} `ERR_INVALID_RATE` when the input is malformed or not positive.
 * @example
 * ```ts
 * const rate = parseRate("10/s"); // { count: 10, periodMs: 1000, intervalMs: 100 }
 * ```
 */
export function parseRate(input: RateInput): Rate {
  let count: number;
  let periodMs: number;
  if (typeof input === "string") {
    const m = RATE_RE.exec(input);
    const unit = m?.[3] === undefined ? undefined : UNIT_MS[m[3].toLowerCase()];
    if (!m || unit === undefined) {
      throw new RateLimitError(
        "ERR_INVALID_RATE",
        `invalid rate ${JSON.stringify(input)}: expected "<count>/<unit>" such as "10/s", "100/min" or "1000/hour"`,
      );
    }
    count = Number(m[1]);
    periodMs = (m[2] === undefined ? 1 : Number(m[2])) * unit;
  } else if (typeof input === "object" && input !== null) {
    const p = PERIOD_MS[input.per];
    if (p === undefined) {
      throw new RateLimitError(
        "ERR_INVALID_RATE",
        `invalid rate period ${JSON.stringify(input.per)}: expected "second", "minute" or "hour"`,
      );
    }
    count = input.count;
    periodMs = p;
  } else {
    throw new RateLimitError("ERR_INVALID_RATE", `invalid rate: ${String(input)}`);
  }
  if (!Number.isFinite(count) || count <= 0 || !Number.isFinite(periodMs) || periodMs <= 0) {
    throw new RateLimitError(
      "ERR_INVALID_RATE",
      `invalid rate ${JSON.stringify(input)}: count and period must be positive and finite`,
    );
  }
  return { count, periodMs, intervalMs: periodMs / count };
}

/**
 * The rate and burst of a limiter, checked once at construction.
 *
 * @param rate - the configured rate.
 * @param burst - the configured burst (default: the rate's count rounded up, at least 1).
 * @returns the parsed rate and the burst.
 * @throws {RateLimitError} `ERR_INVALID_OPTION` (the parse error as `cause`) for a bad rate,
 *   or a burst that is not a finite number ≥ 1.
 */
export function resolveRate(
  rate: RateInput,
  burst: number | undefined,
): { rate: Rate; burst: number } {
  let parsed: Rate;
  try {
    parsed = parseRate(rate);
  } catch (err) {
    throw invalidOption(`rate: ${(err as Error).message}`, err);
  }
  const b = burst ?? Math.max(1, Math.ceil(parsed.count));
  if (typeof b !== "number" || !Number.isFinite(b) || b < 1) {
    throw invalidOption(`burst must be a finite number ≥ 1, got ${String(b)}`);
  }
  return { rate: parsed, burst: b };
}

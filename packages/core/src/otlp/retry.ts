/**
 * Retry settings for an OTLP sender. Every field is optional; omitted fields take the
 * defaults in {@link DEFAULT_RETRY_POLICY}.
 *
 * @example
 * ```ts
 * const retry: OtlpRetryOptions = { maxAttempts: 3, maxElapsedMs: 10_000 };
 * ```
 */
export interface OtlpRetryOptions {
  /** Attempts per send, the first included; `1` disables retries. Default `5`. */
  maxAttempts?: number;
  /** Upper bound of the first backoff delay, in milliseconds. Default `1000`. */
  initialBackoffMs?: number;
  /** Cap on the exponential backoff delay, in milliseconds. Default `5000`. */
  maxBackoffMs?: number;
  /**
   * Budget for one send from its first attempt, in milliseconds: no attempt starts, and no
   * `Retry-After` is waited for, past it. Default `30000`.
   */
  maxElapsedMs?: number;
}

/** A fully resolved {@link OtlpRetryOptions}. */
export type OtlpRetryPolicy = Readonly<Required<OtlpRetryOptions>>;

/**
 * The retry defaults, those the OpenTelemetry specification suggests for OTLP exporters
 * (5 attempts, 1 s initial backoff, 5 s cap), with a 30 s budget per send.
 */
export const DEFAULT_RETRY_POLICY: OtlpRetryPolicy = Object.freeze({
  maxAttempts: 5,
  initialBackoffMs: 1000,
  maxBackoffMs: 5000,
  maxElapsedMs: 30_000,
});

/**
 * Fills in the defaults and clamps out-of-range values (non-finite or negative numbers fall
 * back to the default; `maxAttempts` is at least 1; `maxBackoffMs` is at least
 * `initialBackoffMs`).
 *
 * @param options - the caller's retry options; default `{}`
 * @returns a complete policy
 * @example
 * ```ts
 * resolveRetryPolicy({ maxAttempts: 0 }).maxAttempts; // 1
 * ```
 */
export function resolveRetryPolicy(options: OtlpRetryOptions = {}): OtlpRetryPolicy {
  const pick = (value: number | undefined, fallback: number, min: number): number =>
    value !== undefined && Number.isFinite(value) && value >= 0 ? Math.max(min, value) : fallback;
  const maxAttempts = Math.floor(pick(options.maxAttempts, DEFAULT_RETRY_POLICY.maxAttempts, 1));
  const initialBackoffMs = pick(options.initialBackoffMs, DEFAULT_RETRY_POLICY.initialBackoffMs, 0);
  const maxBackoffMs = pick(options.maxBackoffMs, DEFAULT_RETRY_POLICY.maxBackoffMs, 0);
  const maxElapsedMs = pick(options.maxElapsedMs, DEFAULT_RETRY_POLICY.maxElapsedMs, 0);
  return Object.freeze({
    maxAttempts,
    initialBackoffMs,
    maxBackoffMs: Math.max(maxBackoffMs, initialBackoffMs),
    maxElapsedMs,
  });
}

/**
 * Backoff before retry number `retry` (1 for the first retry): exponential growth from
 * `initialBackoffMs`, capped at `maxBackoffMs`, with full jitter — a uniformly random delay
 * between 0 and that ceiling, so that many clients failing together do not retry together.
 *
 * @param retry - 1-based retry number
 * @param policy - the resolved retry policy
 * @param random - a source of numbers in [0, 1); default `Math.random`
 * @returns the delay in milliseconds
 * @example
 * ```ts
 * backoffDelayMs(3, DEFAULT_RETRY_POLICY, () => 0.5); // 2000: half of min(5000, 1000 * 2^2)
 * ```
 */
export function backoffDelayMs(
  retry: number,
  policy: OtlpRetryPolicy,
  random: () => number = Math.random,
): number {
  const exponent = Math.max(0, Math.min(retry - 1, 30));
  const ceiling = Math.min(policy.maxBackoffMs, policy.initialBackoffMs * 2 ** exponent);
  const r = random();
  const unit = Number.isFinite(r) ? Math.min(Math.max(r, 0), 1) : 0;
  return Math.floor(unit * ceiling);
}

const DELAY_SECONDS = /^\s*(\d+)\s*$/;

/**
 * Parses an HTTP `Retry-After` value, either delay-seconds (`"120"`) or an HTTP date
 * (`"Wed, 21 Oct 2015 07:28:00 GMT"`), into milliseconds from `nowMs`. A date in the past
 * means "retry now" (0).
 *
 * @param value - the header value; `null`/`undefined` when absent
 * @param nowMs - the current time in ms since the epoch; default `Date.now()`
 * @returns the delay in milliseconds, or `undefined` when absent or unparseable
 * @example
 * ```ts
 * parseRetryAfterMs("3"); // 3000
 * parseRetryAfterMs("soon"); // undefined
 * ```
 */
export function parseRetryAfterMs(
  value: string | null | undefined,
  nowMs: number = Date.now(),
): number | undefined {
  if (value === null || value === undefined) return undefined;
  const seconds = DELAY_SECONDS.exec(value);
  if (seconds !== null) {
    const n = Number(seconds[1]);
    return Number.isSafeInteger(n * 1000) ? n * 1000 : undefined;
  }
  // Date.parse also accepts ISO and other loose forms; requiring a weekday-style or RFC 850
  // shape (a letter first) keeps bare numbers with signs or decimals out.
  if (!/^\s*[A-Za-z]/.test(value)) return undefined;
  const at = Date.parse(value);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

/**
 * Whether an HTTP status is worth retrying: 429 (throttled) and the transient gateway and
 * availability errors 502, 503 and 504, as the OTLP/HTTP specification lists them.
 *
 * @param status - the HTTP status code
 * @returns `true` for 429, 502, 503 and 504
 * @example
 * ```ts
 * isRetryableStatus(503); // true
 * isRetryableStatus(400); // false
 * ```
 */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 502 || status === 503 || status === 504;
}

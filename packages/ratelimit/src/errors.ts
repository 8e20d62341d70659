/**
 * Stable error codes raised by `@groundwork/ratelimit`:
 * - `ERR_INVALID_RATE`: `parseRate` was given a malformed or non-positive rate;
 * - `ERR_INVALID_OPTION`: a factory (`createLimiter`, `createRedisLimiter`,
 *   `createWorkersLimiter`, `rateLimit`) was given an invalid option, the rate
 *   and the burst included (the parse error is the `cause`);
 * - `ERR_STORE_UNAVAILABLE`, `ERR_STORE_REPLY`: a remote store failed; seen
 *   by `onError` hooks, and thrown only when asked to (`throwOnError`);
 * - `ERR_NO_KEY`: the HTTP middleware refused a request it found no client
 *   address or key for; told to its `onError` hook, never thrown.
 */
export type RateLimitErrorCode =
  | "ERR_INVALID_RATE"
  | "ERR_INVALID_OPTION"
  | "ERR_STORE_UNAVAILABLE"
  | "ERR_STORE_REPLY"
  | "ERR_NO_KEY";

/**
 * The one error class of `@groundwork/ratelimit`: invalid configuration at
 * construction, and store failures where a caller asked to see them.
 * Checks themselves never throw.
 *
 * @example
 * ```ts
 * try {
 *   createLimiter({ rate: "ten per second" });
 * } catch (err) {
 *   if (err instanceof RateLimitError && err.code === "ERR_INVALID_OPTION") {
 *     // fix the configuration
 *   }
 * }
 * ```
 */
export class RateLimitError extends Error {
  /** Stable machine-readable code; the message may change between versions. */
  readonly code: RateLimitErrorCode;

  /**
   * @param code - the stable error code.
   * @param message - a human-readable explanation.
   * @param options - `cause`: the underlying error, if any.
   */
  constructor(code: RateLimitErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "RateLimitError";
    this.code = code;
  }
}

/** Shorthand for the construction-time error every factory throws. */
export function invalidOption(message: string, cause?: unknown): RateLimitError {
  return new RateLimitError(
    "ERR_INVALID_OPTION",
    message,
    cause === undefined ? undefined : { cause },
  );
}

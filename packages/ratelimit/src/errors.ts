/** Stable error codes raised by `@groundwork/ratelimit`. */
export type RateLimitErrorCode =
  | "ERR_INVALID_RATE"
  | "ERR_INVALID_BURST"
  | "ERR_INVALID_COST"
  | "ERR_INVALID_OPTION"
  | "ERR_STORE_UNAVAILABLE"
  | "ERR_STORE_REPLY";

/**
 * Error raised for invalid limiter configuration or, when a store limiter is
 * configured with `onStoreError: "throw"`, for a failing store.
 *
 * @example
 * ```ts
 * try {
 *   parseRate("ten per second");
 * } catch (err) {
 *   if (err instanceof RateLimitError && err.code === "ERR_INVALID_RATE") {
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

/**
 * Stable error codes raised by `@groundwork/tracker`:
 * - `ERR_INVALID_OPTION`: `createTrackerHandler` or `createMmdbGeo` was given an invalid option.
 * - `ERR_INVALID_DATABASE`: `createMmdbGeo` was given bytes that are not a readable MMDB file.
 *
 * Requests never raise errors: bad input is counted and ignored.
 */
export type TrackerErrorCode = "ERR_INVALID_OPTION" | "ERR_INVALID_DATABASE";

/**
 * The one error class of `@groundwork/tracker`: invalid configuration or an
 * unreadable geo database, at construction. Serving a request never throws.
 *
 * @example
 * ```ts
 * try {
 *   createTrackerHandler({ websites: ["not a valid id"] });
 * } catch (err) {
 *   if (err instanceof TrackerError && err.code === "ERR_INVALID_OPTION") {
 *     // fix the configuration
 *   }
 * }
 * ```
 */
export class TrackerError extends Error {
  /** Stable machine-readable code; the message may change between versions. */
  readonly code: TrackerErrorCode;

  /**
   * @param code - the stable error code.
   * @param message - a human-readable explanation.
   * @param options - `cause`: the underlying error, if any.
   */
  constructor(code: TrackerErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "TrackerError";
    this.code = code;
  }
}

/** Stable codes of {@link TracingError}. */
export type TracingErrorCode =
  | "ERR_INVALID_SAMPLING_RATIO"
  | "ERR_INVALID_RATE_LIMIT"
  | "ERR_INVALID_OPTION";

/**
 * A configuration error of the tracing runtime. Thrown only while setting
 * tracing up (`createTracing`, `createSampler`), never from span functions.
 *
 * @example
 * ```ts
 * try {
 *   createTracing({ serviceName: "shop", samplingRatio: 2 });
 * } catch (err) {
 *   if (err instanceof TracingError && err.code === "ERR_INVALID_SAMPLING_RATIO") process.exitCode = 2;
 * }
 * ```
 */
export class TracingError extends Error {
  /** Machine-readable reason; stable across releases. */
  readonly code: TracingErrorCode;

  /**
   * @param code - the stable error code.
   * @param message - a human-readable explanation.
   * @param options - `cause`, the underlying error if any.
   */
  constructor(code: TracingErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "TracingError";
    this.code = code;
  }
}

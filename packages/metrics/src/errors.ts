/** Stable codes carried by {@link MetricsError}. */
export type MetricsErrorCode =
  | "ERR_METRIC_NAME"
  | "ERR_LABEL_NAME"
  | "ERR_METRIC_HELP"
  | "ERR_METRIC_BUCKETS"
  | "ERR_METRIC_DUPLICATE"
  | "ERR_METRIC_OPTIONS";

/**
 * Raised when a metric is declared wrongly: a bad name or label name, missing
 * help text, invalid buckets, or a name already taken in the registry.
 *
 * It is only thrown at definition time (module load), never from `inc`,
 * `set` or `observe`: recording a value never throws into user code.
 *
 * @example
 * ```ts
 * import { MetricsError, counter, defineMetrics } from "@groundwork/metrics";
 * try {
 *   defineMetrics("http", { "bad-name": counter({ help: "x" }) });
 * } catch (error) {
 *   if (error instanceof MetricsError) console.error(error.code); // "ERR_METRIC_NAME"
 * }
 * ```
 */
export class MetricsError extends Error {
  /** Machine-readable reason; stable across releases. */
  readonly code: MetricsErrorCode;

  /**
   * @param code - the stable error code
   * @param message - a sentence naming the metric and what is wrong
   * @param options - standard error options (`cause`)
   */
  constructor(code: MetricsErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "MetricsError";
    this.code = code;
  }
}

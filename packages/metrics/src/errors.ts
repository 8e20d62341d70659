import type { GroundworkErrorShape } from "@groundwork/platform";

/** Stable codes carried by {@link MetricsError}. */
export type MetricsErrorCode =
  | "ERR_INVALID_OPTION"
  | "ERR_METRIC_NAME"
  | "ERR_LABEL_NAME"
  | "ERR_METRIC_HELP"
  | "ERR_METRIC_BUCKETS"
  | "ERR_METRIC_DUPLICATE";

/**
 * The one error class of `@groundwork/metrics`. It is thrown at construction
 * only — by `createRegistry`, `defineMetrics`, the bucket helpers, the OTLP
 * pusher and the Pushgateway client — for invalid options
 * (`ERR_INVALID_OPTION`) or a metric declared wrongly: a bad name or label
 * name, missing help text, invalid buckets, or a name already taken in the
 * registry.
 *
 * Recording a value (`inc`, `set`, `observe`) never throws into user code: an
 * invalid value is dropped and counted.
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
export class MetricsError extends Error implements GroundworkErrorShape<MetricsErrorCode> {
  /** Machine-readable reason; stable across releases. */
  readonly code: MetricsErrorCode;

  /**
   * @param code - the stable error code
   * @param message - a sentence naming the metric or option and what is wrong
   * @param options - standard error options (`cause`). Default none.
   */
  constructor(code: MetricsErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "MetricsError";
    this.code = code;
  }
}

import type { BatchSpanProcessorStats } from "./batch-processor";
import type { PartialSuccess } from "./partial-success";
import type { ExportFailure, ExportFailureReason } from "./sender";

/**
 * The error an exporter hands to the OpenTelemetry SDK (in `ExportResult.error`) when a
 * batch could not be delivered. It is never thrown into application code.
 *
 * @example
 * ```ts
 * exporter.export(spans, (result) => {
 *   if (result.error instanceof OtlpExportError && result.error.code === "http_status") {
 *     console.warn(result.error.status);
 *   }
 * });
 * ```
 */
export class OtlpExportError extends Error {
  override readonly name = "OtlpExportError";
  /** Stable cause of the failure; see {@link ExportFailureReason}. */
  readonly code: ExportFailureReason;
  /** Whether the failure was transient (the data was dropped once retries ran out). */
  readonly retryable: boolean;
  /** The endpoint's last HTTP status, when it answered. */
  readonly status: number | undefined;

  /**
   * @param outcome - the failed outcome of a send
   * @param options - the underlying error, if any, as `cause`
   */
  constructor(outcome: ExportFailure, options?: { cause?: unknown }) {
    super(outcome.detail, options);
    this.code = outcome.reason;
    this.retryable = outcome.retryable;
    this.status = outcome.status;
  }
}

/**
 * The error an OTLP exporter attaches to a *successful* `ExportResult` when the endpoint
 * accepted the request but reported, in an OTLP `partial_success` response, that it refused
 * some items or has a warning. Per the OTLP specification such a request is not retried;
 * the refused items are counted (see {@link BatchSpanProcessorStats.rejected}) and the
 * collector's message is reported through the OpenTelemetry diagnostic logger.
 *
 * @example
 * ```ts
 * exporter.export(spans, (result) => {
 *   if (result.error instanceof OtlpPartialSuccessError) console.warn(result.error.rejected, result.error.message);
 * });
 * ```
 */
export class OtlpPartialSuccessError extends Error {
  override readonly name = "OtlpPartialSuccessError";
  /** Always `"partial_success"`. */
  readonly code = "partial_success";
  /** Items the endpoint refused (0 when it only sent a warning). */
  readonly rejected: number;

  /**
   * @param partial - what the endpoint reported
   */
  constructor(partial: PartialSuccess) {
    super(
      partial.message === ""
        ? `the endpoint rejected ${partial.rejected} item(s)`
        : `the endpoint rejected ${partial.rejected} item(s): ${partial.message}`,
    );
    this.rejected = partial.rejected;
  }
}

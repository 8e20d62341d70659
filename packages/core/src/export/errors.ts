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

import { CoreError } from "../errors";

/** What an OTLP endpoint reported in a `partial_success` response. */
export interface PartialSuccess {
  /** Items refused (`rejected_spans`, `rejected_data_points` or `rejected_log_records`). */
  readonly rejected: number;
  /** The endpoint's explanation or warning; `""` when it gave none. */
  readonly message: string;
}

/** The counter field of each signal's `partial_success` message, as the OTLP transformer names it. */
export type RejectedField = "rejectedSpans" | "rejectedDataPoints" | "rejectedLogRecords";

/**
 * Decodes the body of an accepted OTLP export (`ExportSuccess.response`) and reads its
 * `partial_success`. Returns `undefined` for a full success: an empty body, no
 * `partial_success`, or one with nothing rejected and no message. Never throws: a body that
 * does not decode counts as a full success, since the endpoint did answer 2xx. Counts
 * arrive as numbers (protobuf) or decimal strings (JSON `int64`).
 *
 * @param body - the response body, if the sender kept one
 * @param deserialize - the signal's `deserializeResponse` from `@opentelemetry/otlp-transformer`
 * @param field - the signal's counter: `"rejectedSpans"`, `"rejectedDataPoints"` or `"rejectedLogRecords"`
 * @returns what was rejected and why, or `undefined`
 * @example
 * ```ts
 * const outcome = await sender.send(body);
 * const partial = outcome.ok
 *   ? decodePartialSuccess(outcome.response, ProtobufMetricsSerializer.deserializeResponse, "rejectedDataPoints")
 *   : undefined;
 * if (partial) console.warn(`${partial.rejected} points rejected: ${partial.message}`);
 * ```
 */
export function decodePartialSuccess(
  body: Uint8Array | undefined,
  deserialize: (data: Uint8Array) => unknown,
  field: RejectedField,
): PartialSuccess | undefined {
  if (body === undefined || body.byteLength === 0) return undefined;
  let response: unknown;
  try {
    response = deserialize(body);
  } catch {
    return undefined;
  }
  if (typeof response !== "object" || response === null) return undefined;
  const partial = (response as { partialSuccess?: unknown }).partialSuccess;
  if (typeof partial !== "object" || partial === null) return undefined;
  const fields = partial as Record<string, unknown>;
  const raw = fields[field];
  const count = typeof raw === "number" || typeof raw === "string" ? Number(raw) : 0;
  const rejected = Number.isSafeInteger(count) && count > 0 ? count : 0;
  const message = typeof fields.errorMessage === "string" ? fields.errorMessage : "";
  return rejected === 0 && message === "" ? undefined : { rejected, message };
}

/**
 * The error an OTLP exporter attaches to a *successful* `ExportResult` when the endpoint
 * accepted the request but reported, in an OTLP `partial_success` response, that it refused
 * some items or has a warning: a {@link CoreError} with code `ERR_OTLP_PARTIAL_SUCCESS` and
 * `rejected`. Per the OTLP specification such a request is not retried.
 *
 * @param partial - what the endpoint reported
 * @returns the error (not thrown)
 * @example
 * ```ts
 * const partial = decodePartialSuccess(body, ProtobufMetricsSerializer.deserializeResponse, "rejectedDataPoints");
 * if (partial) diag.warn(partialSuccessError(partial).message);
 * ```
 */
export function partialSuccessError(partial: PartialSuccess): CoreError {
  return new CoreError(
    "ERR_OTLP_PARTIAL_SUCCESS",
    partial.message === ""
      ? `the endpoint rejected ${partial.rejected} item(s)`
      : `the endpoint rejected ${partial.rejected} item(s): ${partial.message}`,
    { rejected: partial.rejected },
  );
}

/**
 * Whether an `ExportResult.error` reports a partial success (see {@link partialSuccessError}),
 * recognised by its code so that a copy of the class from another bundle counts too.
 *
 * @param error - `ExportResult.error`
 * @returns `true` for a partial success
 */
export function isPartialSuccess(error: unknown): error is CoreError & { rejected: number } {
  return (
    error instanceof Error &&
    (error as { code?: unknown }).code === "ERR_OTLP_PARTIAL_SUCCESS" &&
    typeof (error as { rejected?: unknown }).rejected === "number"
  );
}

/**
 * Stable codes of {@link CoreError}.
 *
 * - `ERR_INVALID_OPTION`: a factory got an invalid option (thrown at construction).
 * - `ERR_INVALID_LOG_LEVEL`: a log level name is not one of `LOG_LEVELS` or `off`.
 * - `ERR_OTLP_HTTP_STATUS`: the OTLP endpoint answered with a non-2xx status (`status`).
 * - `ERR_OTLP_NETWORK`: `fetch` rejected (connection refused, DNS, TLS, reset).
 * - `ERR_OTLP_TIMEOUT`: an export attempt took longer than its timeout.
 * - `ERR_OTLP_ABORTED`: the caller's `AbortSignal` fired.
 * - `ERR_OTLP_SHUTDOWN`: the sender was shut down before or during the export.
 * - `ERR_OTLP_UNSUPPORTED`: the runtime has no `fetch` and none was injected.
 * - `ERR_OTLP_SERIALIZATION`: the exporter could not encode the spans.
 * - `ERR_OTLP_CIRCUIT_OPEN`: recent exports kept failing; this one was not attempted (the exporter backs off as a whole).
 * - `ERR_OTLP_PARTIAL_SUCCESS`: the endpoint accepted a request but refused some items (`rejected`).
 */
export type CoreErrorCode =
  | "ERR_INVALID_OPTION"
  | "ERR_INVALID_LOG_LEVEL"
  | "ERR_OTLP_HTTP_STATUS"
  | "ERR_OTLP_NETWORK"
  | "ERR_OTLP_TIMEOUT"
  | "ERR_OTLP_ABORTED"
  | "ERR_OTLP_SHUTDOWN"
  | "ERR_OTLP_UNSUPPORTED"
  | "ERR_OTLP_SERIALIZATION"
  | "ERR_OTLP_CIRCUIT_OPEN"
  | "ERR_OTLP_PARTIAL_SUCCESS";

/** Extra facts a {@link CoreError} may carry, besides `cause`. */
export interface CoreErrorOptions {
  /** The underlying error, if any. */
  cause?: unknown;
  /** The OTLP endpoint's last HTTP status, when it answered (`ERR_OTLP_…`). */
  status?: number;
  /** Whether an export failure was transient: the data was dropped only because retries ran out (`ERR_OTLP_…`). */
  retryable?: boolean;
  /** Items the OTLP endpoint refused (`ERR_OTLP_PARTIAL_SUCCESS`; 0 when it only sent a warning). */
  rejected?: number;
}

/**
 * The one error class of `@groundwork/core`. Factories throw it with
 * `ERR_INVALID_OPTION` at construction for invalid options; `parseLogLevel`
 * throws `ERR_INVALID_LOG_LEVEL`. The OTLP exporter never throws it: it hands
 * it to the OpenTelemetry SDK in `ExportResult.error` (`ERR_OTLP_…` codes,
 * with `status`, `retryable` or `rejected`). Telemetry calls at run time never
 * throw.
 *
 * @example
 * ```ts
 * try {
 *   createTelemetry({ serviceName: "shop", tracing: { samplingRatio: 2 } });
 * } catch (err) {
 *   if (err instanceof CoreError && err.code === "ERR_INVALID_OPTION") console.error(err.message);
 * }
 * ```
 */
export class CoreError extends Error {
  override readonly name = "CoreError";
  /** Machine-readable reason; stable across releases. */
  readonly code: CoreErrorCode;
  /** The OTLP endpoint's last HTTP status, when it answered; else `undefined`. */
  readonly status: number | undefined;
  /** For export failures: whether the failure was transient; else `undefined`. */
  readonly retryable: boolean | undefined;
  /** For `ERR_OTLP_PARTIAL_SUCCESS`: items the endpoint refused; else `undefined`. */
  readonly rejected: number | undefined;

  /**
   * @param code - the stable error code.
   * @param message - a human-readable explanation.
   * @param options - `cause`, and `status`/`retryable`/`rejected` for OTLP errors (default none).
   */
  constructor(code: CoreErrorCode, message: string, options: CoreErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = options.status;
    this.retryable = options.retryable;
    this.rejected = options.rejected;
  }
}

/** Throws `ERR_INVALID_OPTION` with `message` (for option checks in factories). */
export function invalidOption(message: string): never {
  throw new CoreError("ERR_INVALID_OPTION", message);
}

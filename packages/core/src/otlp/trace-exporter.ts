import { clearTimer, setRefTimeout } from "@groundwork/platform";
import { context, diag } from "@opentelemetry/api";
import { type ExportResult, ExportResultCode } from "@opentelemetry/core";
import type { ReadableSpan, SpanExporter } from "@opentelemetry/sdk-trace-base";
import { CoreError, type CoreErrorCode } from "../errors";
import { type OtlpTraceEncoding, protobufTraceEncoding } from "./encoding";
import { jsonTraceEncoding } from "./json-encoding";
import { decodePartialSuccess, partialSuccessError } from "./partial-success";
import {
  createOtlpHttpSender,
  type ExportFailure,
  type ExportFailureReason,
  type ExportOutcome,
  type OtlpHttpSender,
  type OtlpHttpSenderOptions,
} from "./sender";
import { encodeSpansInSlices, type SliceControl } from "./span-encoding";

/** Where OTLP/HTTP traces go when no endpoint is given: a collector on this host. */
export const DEFAULT_OTLP_TRACES_ENDPOINT = "http://localhost:4318/v1/traces";

/**
 * Options of {@link createOtlpTraceExporter}: those of the sender, with a default endpoint.
 *
 * @example
 * ```ts
 * const options: OtlpTraceExporterOptions = {
 *   endpoint: "https://otlp.example.com/v1/traces",
 *   protocol: "http/json",
 *   headers: { authorization: "Bearer token" },
 * };
 * ```
 */
export interface OtlpTraceExporterOptions extends Omit<OtlpHttpSenderOptions, "endpoint"> {
  /** Full URL of the traces endpoint. Default {@link DEFAULT_OTLP_TRACES_ENDPOINT}. */
  endpoint?: string;
}

/** An OpenTelemetry `SpanExporter` that posts spans over OTLP/HTTP. */
export interface OtlpTraceExporter extends SpanExporter {
  /**
   * Waits for the exports in flight to finish (they are bounded by the retry budget).
   *
   * @returns a promise that resolves once nothing is in flight
   */
  forceFlush(): Promise<void>;
  /**
   * From now on a failed export is not retried, and exports waiting to retry give up: a
   * batch span processor calls it when its shutdown begins, so that a collector that is
   * down does not hold the process's exit for the whole shutdown bound.
   */
  stopRetrying(): void;
}

/**
 * Creates an OTLP/HTTP trace exporter implementing the OpenTelemetry `SpanExporter`
 * interface. Spans are encoded with `@opentelemetry/otlp-transformer` (protobuf by
 * default, JSON with `protocol: "http/json"`), grouped by the resource and instrumentation
 * scope they carry, and posted through {@link createOtlpHttpSender} with its timeouts and
 * retries. A batch that cannot be delivered is reported to the SDK as `FAILED` with an
 * `CoreError` (an `ERR_OTLP_…` code, with `status` and `retryable`); nothing is thrown. A
 * batch the endpoint accepted with an OTLP `partial_success` is reported as `SUCCESS`
 * carrying a `CoreError` with code `ERR_OTLP_PARTIAL_SUCCESS` and `rejected`
 * (how many spans were refused, and why), and the message goes to the OpenTelemetry
 * diagnostic logger as a warning.
 *
 * Use it behind {@link createBatchSpanProcessor}; the resource comes from the tracer
 * provider (see {@link createServiceResource}).
 *
 * @param options - sender options; `endpoint` defaults to {@link DEFAULT_OTLP_TRACES_ENDPOINT}
 * @returns the exporter
 * @example
 * ```ts
 * const exporter = createOtlpTraceExporter({ endpoint: "http://127.0.0.1:4318/v1/traces" });
 * const provider = new BasicTracerProvider({
 *   resource: createServiceResource({ serviceName: "checkout" }),
 *   spanProcessors: [createBatchSpanProcessor(exporter)],
 * });
 * ```
 */
const FAILURE_CODES: Readonly<Record<ExportFailureReason, CoreErrorCode>> = {
  http_status: "ERR_OTLP_HTTP_STATUS",
  network: "ERR_OTLP_NETWORK",
  timeout: "ERR_OTLP_TIMEOUT",
  aborted: "ERR_OTLP_ABORTED",
  shutdown: "ERR_OTLP_SHUTDOWN",
  unsupported: "ERR_OTLP_UNSUPPORTED",
  serialization: "ERR_OTLP_SERIALIZATION",
  circuit_open: "ERR_OTLP_CIRCUIT_OPEN",
};

export function createOtlpTraceExporter(options: OtlpTraceExporterOptions = {}): OtlpTraceExporter {
  const encoding = options.protocol === "http/json" ? jsonTraceEncoding : protobufTraceEncoding;
  return createOtlpTraceExporterFor(encoding, options);
}

/**
 * Creates the exporter of {@link createOtlpTraceExporter} for one given encoding, so that a
 * bundle (a Worker's) holds only that encoding's code: `protocol` in `options` is ignored
 * and the bodies are in `encoding.protocol`.
 *
 * @param encoding - {@link protobufTraceEncoding} or {@link jsonTraceEncoding}
 * @param options - sender options; `endpoint` defaults to {@link DEFAULT_OTLP_TRACES_ENDPOINT}
 * @returns the exporter
 * @example
 * ```ts
 * const exporter = createOtlpTraceExporterFor(protobufTraceEncoding, {
 *   endpoint: "http://127.0.0.1:4318/v1/traces",
 * });
 * ```
 */
export function createOtlpTraceExporterFor(
  encoding: OtlpTraceEncoding,
  options: OtlpTraceExporterOptions = {},
): OtlpTraceExporter {
  const sender: OtlpHttpSender = createOtlpHttpSender({
    ...options,
    endpoint: options.endpoint ?? DEFAULT_OTLP_TRACES_ENDPOINT,
    protocol: encoding.protocol,
  });
  const pending = new Set<Promise<void>>();
  let closed = false;

  function fail(outcome: ExportFailure, cause?: unknown): ExportResult {
    const error = new CoreError(FAILURE_CODES[outcome.reason], outcome.detail, {
      cause,
      retryable: outcome.retryable,
      ...(outcome.status === undefined ? {} : { status: outcome.status }),
    });
    return { code: ExportResultCode.FAILED, error };
  }

  const deserialize = (body: Uint8Array): unknown => encoding.decodeResponse(body);

  function deliver(outcome: ExportOutcome, unencodable: number): ExportResult {
    if (!outcome.ok) return fail(outcome);
    const decoded = decodePartialSuccess(outcome.response, deserialize, "rejectedSpans");
    const partial =
      unencodable === 0
        ? decoded
        : {
            rejected: (decoded?.rejected ?? 0) + unencodable,
            message: [`${unencodable} span(s) could not be encoded`, decoded?.message]
              .filter(Boolean)
              .join("; "),
          };
    if (partial === undefined) return { code: ExportResultCode.SUCCESS };
    // Accepted: the OTLP specification forbids retrying a partial success.
    const error = partialSuccessError(partial);
    diag.warn(`otlp traces: ${error.message}`);
    return { code: ExportResultCode.SUCCESS, error };
  }

  function exportSpans(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void) {
    const report = (result: ExportResult): void => {
      try {
        resultCallback(result);
      } catch {
        // The SDK's callback must not turn an export into an unhandled error.
      }
    };
    if (closed) {
      report(fail(shutdownFailure));
      return;
    }
    // The request goes out in the caller's context (tracing suppressed by the processor),
    // even when encoding resumes on later turns of the event loop.
    const active = context.active();
    const done = encodeSpansInSlices(spans, encoding, sliceControl).then(async (encoded) => {
      if (encoded === undefined || closed) {
        report(fail(shutdownFailure));
        return;
      }
      const { body, dropped } = encoded;
      if (body === undefined) {
        report(fail(serializationFailure(spans.length)));
        return;
      }
      const outcome = await context.with(active, () => sender.send(body));
      report(deliver(outcome, dropped));
    });
    pending.add(done);
    void done.then(() => pending.delete(done));
  }

  /** Turns given to the event loop between encoding slices; shutdown ends them at once. */
  const yields = new Set<() => void>();
  const sliceControl: SliceControl = {
    yieldToLoop: () =>
      new Promise<void>((resolve) => {
        const wake = (): void => {
          clearTimer(timer);
          yields.delete(wake);
          resolve();
        };
        // Referenced: an awaited flush must not let Node exit in the middle of a batch.
        const timer = setRefTimeout(wake, 0);
        yields.add(wake);
      }),
    cancelled: () => closed,
  };

  async function forceFlush(): Promise<void> {
    await Promise.all([...pending]);
  }

  async function shutdown(): Promise<void> {
    closed = true;
    // Batches being encoded stop at their next slice, with no timer left behind.
    for (const wake of [...yields]) wake();
    // Aborts the requests in flight: after shutdown nothing reaches the endpoint. A batch
    // span processor drains its queue (within its bound) before calling this.
    await sender.shutdown();
    await forceFlush();
  }

  return { export: exportSpans, forceFlush, shutdown, stopRetrying: () => sender.stopRetrying() };
}

const shutdownFailure: ExportFailure = {
  ok: false,
  retryable: false,
  reason: "shutdown",
  attempts: 0,
  detail: "exporter is shut down",
};

function serializationFailure(spans: number): ExportFailure {
  return {
    ok: false,
    retryable: false,
    reason: "serialization",
    attempts: 0,
    detail: `could not encode any of ${spans} span(s), even repaired`,
  };
}

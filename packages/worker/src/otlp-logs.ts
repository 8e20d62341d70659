// `@groundwork/worker/otlp-logs`: OTLP/HTTP export of the invocations' log records. A
// separate entry point: Workers that do not export logs over OTLP do not bundle the encoder.
import type { LogLevel, LogRecord } from "@groundwork/core";
import {
  createOtlpHttpSender,
  createServiceResource,
  type OtlpHttpSender,
  type OtlpProtocol,
} from "@groundwork/core/otlp";
import { JsonLogsSerializer, ProtobufLogsSerializer } from "@opentelemetry/otlp-transformer";
import { WorkerError } from "./errors";
import type { WorkerLogExporter } from "./log-export";

/**
 * Options of {@link createOtlpLogExporter}. Every field defaults to the Worker's own
 * collector (`otlp` or `OTEL_EXPORTER_OTLP_*`), with `/v1/logs` appended.
 *
 * @example
 * ```ts
 * const options: OtlpLogExporterOptions = { endpoint: "https://logs.example.com/v1/logs" };
 * ```
 */
export interface OtlpLogExporterOptions {
  /** Full URL of the logs endpoint. Default the Worker's `otlp.endpoint` + `/v1/logs`. */
  endpoint?: string;
  /** Request headers. Default the Worker's `otlp.headers` (only when `endpoint` is not given). */
  headers?: Readonly<Record<string, string>>;
  /** Encoding. Default the Worker's `otlp.protocol`, else `"http/protobuf"`. */
  protocol?: OtlpProtocol;
  /** Timeout of each request, in milliseconds. Default the Worker's `otlp.timeoutMs`, else 5000. */
  timeoutMs?: number;
}

const SEVERITY: Record<LogLevel, number> = {
  trace: 1,
  debug: 5,
  info: 9,
  warn: 13,
  error: 17,
  fatal: 21,
};

const SCOPE = { name: "@groundwork/worker" };

function hrTime(ms: number): [number, number] {
  const seconds = Math.floor(ms / 1000);
  return [seconds, Math.round((ms - seconds * 1000) * 1e6)];
}

/**
 * Exports each invocation's log records — the `START` entry and every record written — as
 * OTLP logs (`/v1/logs`), at the end of the invocation through `ctx.waitUntil`, from a
 * bounded per-isolate queue (`logging.maxQueueSize`; drops counted in
 * `worker_logs_dropped` and `isolate_logs_dropped`). Records keep their fields as
 * attributes, their level as severity, and the trace and span ids they were written in.
 *
 * @param options - endpoint, headers, protocol and timeout; default the Worker's collector.
 * @returns an exporter for `logging.exporter`.
 * @throws {WorkerError} `ERR_INVALID_OPTION` for a protocol other than `"http/protobuf"` or
 *   `"http/json"`.
 * @example
 * ```ts
 * import { instrument } from "@groundwork/worker";
 * import { createOtlpLogExporter } from "@groundwork/worker/otlp-logs";
 *
 * export default instrument(
 *   { fetch: async () => new Response("ok") },
 *   {
 *     serviceName: "orders",
 *     otlp: { endpoint: "https://otel.example.com" },
 *     logging: { exporter: createOtlpLogExporter() },
 *   },
 * );
 * ```
 */
export function createOtlpLogExporter(options: OtlpLogExporterOptions = {}): WorkerLogExporter {
  const protocolOption = options.protocol;
  if (
    protocolOption !== undefined &&
    protocolOption !== "http/protobuf" &&
    protocolOption !== "http/json"
  ) {
    throw new WorkerError("ERR_INVALID_OPTION", `protocol must be "http/protobuf" or "http/json"`);
  }
  return {
    open(context) {
      const endpoint =
        options.endpoint ??
        (context.otlp === undefined ? undefined : `${context.otlp.endpoint}/v1/logs`);
      if (endpoint === undefined) return undefined;
      const protocol = protocolOption ?? context.otlp?.protocol ?? "http/protobuf";
      const timeoutMs = options.timeoutMs ?? context.otlp?.timeoutMs ?? 5000;
      const headers =
        options.headers ?? (options.endpoint === undefined ? context.otlp?.headers : undefined);
      const sender: OtlpHttpSender = createOtlpHttpSender({
        endpoint,
        protocol,
        ...(headers === undefined ? {} : { headers }),
        timeoutMs,
        retry: { maxAttempts: 2, maxElapsedMs: timeoutMs * 2 },
      });
      const resource = createServiceResource({
        serviceName: context.serviceName,
        ...(context.serviceVersion === undefined ? {} : { serviceVersion: context.serviceVersion }),
        attributes: { "service.instance.id": context.instanceId },
      });
      const serializer = protocol === "http/json" ? JsonLogsSerializer : ProtobufLogsSerializer;
      return async (records: readonly LogRecord[]) => {
        try {
          const now = hrTime(Date.now());
          const body = serializer.serializeRequest(
            records.map((record) => ({
              hrTime: hrTime(record.time),
              hrTimeObserved: now,
              severityNumber: SEVERITY[record.level] ?? 0,
              severityText: record.level.toUpperCase(),
              body: record.msg,
              attributes: record.fields as never,
              droppedAttributesCount: 0,
              ...(record.traceId === undefined || record.spanId === undefined
                ? {}
                : {
                    spanContext: {
                      traceId: record.traceId,
                      spanId: record.spanId,
                      traceFlags: record.traceFlags ?? 0,
                    },
                  }),
              resource,
              instrumentationScope: SCOPE,
            })) as never,
          );
          if (body === undefined) return false;
          const outcome = await sender.send(body);
          return outcome.ok;
        } catch {
          return false;
        }
      };
    },
  };
}

// Every call into @groundwork/core's context, propagation and OTLP plumbing goes through
// this module, so the adapter follows core's API in one place.
import {
  createLogContext,
  extractContext,
  injectHeaders,
  type LogLevel,
  type MemorySink,
  recordSpanError,
  TelemetryContext,
} from "@groundwork/core";
import { type AsyncLocalStorageConstructor, installContextManager } from "@groundwork/core/context";
import { createOtlpTraceExporterFor, type OtlpTraceEncoding } from "@groundwork/core/otlp";
import { formatTraceparent } from "@groundwork/core/propagation";
import { createTracing, type TracingRuntime, traceIdUnderRatio } from "@groundwork/core/tracing";
import type { Context, Span, SpanContext } from "@opentelemetry/api";
import type { SpanExporter, SpanProcessor } from "@opentelemetry/sdk-trace-base";

export type { TelemetryContext, TracingRuntime };

export { traceIdUnderRatio };

/** Registers core's context manager on the given (or detected) AsyncLocalStorage. */
export function installContext(Storage: AsyncLocalStorageConstructor | undefined): void {
  installContextManager(Storage);
}

/** The isolate's tracer provider. */
export function createIsolateTracing(options: {
  serviceName: string;
  serviceVersion: string | undefined;
  enabled: boolean;
  samplingRatio: number;
  processor: SpanProcessor;
  instanceId: string;
}): TracingRuntime {
  return createTracing({
    serviceName: options.serviceName,
    ...(options.serviceVersion === undefined ? {} : { serviceVersion: options.serviceVersion }),
    enabled: options.enabled,
    samplingRatio: options.samplingRatio,
    spanProcessors: [options.processor],
    resourceAttributes: {
      "service.instance.id": options.instanceId,
      "cloud.provider": "cloudflare",
    },
  });
}

/** An OTLP/HTTP span exporter writing `encoding`. */
export function createSpanExporter(
  encoding: OtlpTraceEncoding,
  options: {
    endpoint: string;
    headers: Readonly<Record<string, string>>;
    timeoutMs: number;
  },
): SpanExporter {
  return createOtlpTraceExporterFor(encoding, {
    endpoint: options.endpoint,
    headers: options.headers,
    timeoutMs: options.timeoutMs,
    // One invocation's waitUntil budget bounds the whole export, so retries stay few.
    retry: { maxAttempts: 2, maxElapsedMs: options.timeoutMs * 2 },
  });
}

/** Logging options of one invocation's log. */
export interface InvocationLogOptions {
  serviceName: string;
  serviceVersion: string | undefined;
  level: LogLevel | "off";
  redactKeys: readonly string[];
  spanEvents: boolean;
  fields: Readonly<Record<string, unknown>> | undefined;
  sink: MemorySink;
}

/**
 * A new OpenTelemetry context for one invocation: its own log (writing to `sink`), the
 * isolate's tracer, and the remote parent found in `headers`.
 */
export function invocationContext(
  log: InvocationLogOptions,
  tracing: TracingRuntime,
  headers: Headers | undefined,
): Context {
  // A log of its own and nothing else: no environment to read, no tracer (the isolate's
  // is added below).
  const logContext = createLogContext({
    serviceName: log.serviceName,
    ...(log.serviceVersion === undefined ? {} : { serviceVersion: log.serviceVersion }),
    level: log.level,
    sink: log.sink,
    redactKeys: log.redactKeys,
    spanEvents: log.spanEvents,
    ...(log.fields === undefined ? {} : { fields: { ...log.fields } }),
  });
  const otel = tracing.context(logContext);
  return headers === undefined ? otel : extractContext(headers, otel);
}

/** The telemetry context viewing an OpenTelemetry context. */
export function telemetryContext(otel: Context): TelemetryContext {
  return TelemetryContext.fromOtel(otel);
}

/** Runs `fn` inside `otel` (and its log). */
export function runIn<R>(otel: Context, fn: () => R): R {
  return TelemetryContext.fromOtel(otel).run(fn);
}

/** Writes `traceparent` (and `tracestate`, `baggage`) of `otel` into `headers`. */
export function injectInto(headers: Headers, otel: Context): void {
  injectHeaders(headers, otel);
}

/** The `traceparent` value of a span context. */
export function traceparentOf(sc: SpanContext): string | undefined {
  return formatTraceparent(sc);
}

/** Marks a span as failed by `err` (never throws). */
export function recordError(span: Span, err: unknown): void {
  recordSpanError(span, err);
}

import { type Context, ROOT_CONTEXT, trace } from "@opentelemetry/api";
import type { SpanExporter, SpanProcessor } from "@opentelemetry/sdk-trace-base";
import { CoreError } from "./errors";
import { boundLogger, type Logger } from "./logging/logger";
import type { LoggerOptions } from "./logging/options";
import {
  createLogRoot,
  createLogState,
  type LogStats,
  setDefaultLogState,
  setLogState,
} from "./logging/state";
import {
  type BatchSpanProcessor,
  type BatchSpanProcessorOptions,
  type BatchSpanProcessorStats,
  createBatchSpanProcessor,
} from "./otlp/batch-processor";
import { createConsoleSpanExporter } from "./otlp/console-exporter";
import { createOtlpTraceExporter, type OtlpTraceExporterOptions } from "./otlp/trace-exporter";
import { TelemetryContext } from "./telemetry-context";
import { createTracing, type TracingOptions, type TracingRuntime } from "./tracing/runtime";

/** Where finished spans go. */
export type TraceExporterOption = "console" | OtlpTraceExporterOptions | SpanExporter;

/** Tracing options of {@link createTelemetry}. */
export interface TelemetryTracingOptions
  extends Omit<TracingOptions, "serviceName" | "serviceVersion"> {
  /**
   * Exporter for sampled spans, behind a bounded batch processor: OTLP/HTTP
   * options (`{ endpoint, protocol, headers, timeoutMs, retry }`), `"console"`
   * for development, or any OpenTelemetry `SpanExporter`. Default: none (spans
   * still carry trace ids into logs and outgoing headers).
   */
  exporter?: TraceExporterOption;
  /** Batch processor settings for the exporter (queue size, batch size, delay, timeout). */
  batch?: BatchSpanProcessorOptions;
}

/** Options of {@link createTelemetry}. */
export interface TelemetryOptions {
  /** `service.name`: on every log record and span. */
  serviceName: string;
  /** `service.version`. */
  serviceVersion?: string;
  /** Logging options (level, format, sink, redaction, rate limits…). */
  logging?: Omit<LoggerOptions, "serviceName" | "serviceVersion">;
  /**
   * Tracing options, or `false` for no tracer of this instance's own (spans
   * then come from the global OpenTelemetry tracer provider). Default: tracing
   * on, every trace sampled, no exporter.
   */
  tracing?: TelemetryTracingOptions | false;
}

/** Counters of a telemetry instance, for log-volume and exporter metrics. */
export interface TelemetryStats {
  /** Records emitted and dropped per level, sink errors. */
  logs: LogStats;
  /** Span export counters, when an exporter is configured. */
  spans?: BatchSpanProcessorStats;
}

/** A telemetry instance: the root of a service's logs and traces. */
export interface Telemetry {
  /** The root telemetry context; requests and tasks fork from it. */
  readonly context: TelemetryContext;
  /** The root log. */
  readonly log: Logger;
  /** The tracing runtime (provider and tracer), unless tracing is `false`. */
  readonly tracing: TracingRuntime | undefined;
  /** Runs `fn` in the root context. */
  run<R>(fn: () => R): R;
  /** Counters (records emitted and dropped per level, spans exported and dropped). */
  stats(): TelemetryStats;
  /**
   * Makes this instance the process default: code running outside any context
   * logs through its root log, and its tracer provider becomes the global
   * OpenTelemetry one (unless one is registered already). Returns the instance.
   */
  install(): Telemetry;
  /** Exports and flushes everything buffered; resolves when done or timed out, never rejects. */
  forceFlush(): Promise<void>;
  /** Flushes and releases resources; idempotent; never rejects. */
  shutdown(): Promise<void>;
}

function exporterFrom(option: TraceExporterOption): SpanExporter {
  if (option === "console") return createConsoleSpanExporter();
  if (typeof (option as SpanExporter).export === "function") return option as SpanExporter;
  return createOtlpTraceExporter(option as OtlpTraceExporterOptions);
}

/**
 * Creates a telemetry instance: a root log and a tracer that requests and
 * tasks fork from, with an optional OTLP exporter behind a bounded batch
 * processor.
 *
 * @param options - see {@link TelemetryOptions}; `serviceName` is required.
 * @returns the instance; call `install()` to make it the process default.
 * @throws {CoreError} `ERR_INVALID_OPTION` (or `ERR_INVALID_LOG_LEVEL`) for invalid options.
 * @example
 * ```ts
 * const telemetry = createTelemetry({
 *   serviceName: "api",
 *   logging: { level: "debug" },
 *   tracing: { samplingRatio: 0.1, exporter: { endpoint: "http://collector:4318/v1/traces" } },
 * }).install();
 * await span("warm cache", () => warmCache());
 * log.info("ready"); // carries trace_id/span_id inside a sampled span
 * await telemetry.shutdown();
 * ```
 */
export function createTelemetry(options: TelemetryOptions): Telemetry {
  if (typeof options.serviceName !== "string" || options.serviceName === "") {
    throw new CoreError("ERR_INVALID_OPTION", "serviceName must be a non-empty string");
  }
  const root = createLogRoot({
    ...options.logging,
    serviceName: options.serviceName,
    ...(options.serviceVersion === undefined ? {} : { serviceVersion: options.serviceVersion }),
  });
  const state = createLogState(root, options.logging?.fields);

  let batch: BatchSpanProcessor | undefined;
  let tracing: TracingRuntime | undefined;
  if (options.tracing !== false) {
    const {
      exporter,
      batch: batchOptions,
      spanProcessors,
      ...tracingOptions
    } = options.tracing ?? {};
    const processors: SpanProcessor[] = [...(spanProcessors ?? [])];
    if (exporter !== undefined) {
      // Lost spans show up in the app's own log, not only in stats().
      const warn = (message: string, counts: Readonly<Record<string, number>>) =>
        boundLogger(state).warn(message, { ...counts });
      batch = createBatchSpanProcessor(exporterFrom(exporter), {
        onWarning: warn,
        ...batchOptions,
      });
      processors.push(batch);
    }
    tracing = createTracing({
      ...tracingOptions,
      serviceName: options.serviceName,
      ...(options.serviceVersion === undefined ? {} : { serviceVersion: options.serviceVersion }),
      spanProcessors: processors,
    });
  }

  let otel: Context = setLogState(ROOT_CONTEXT, state);
  if (tracing !== undefined) otel = tracing.context(otel);
  const ctx = TelemetryContext.fromOtel(otel);

  const flushLogs = async () => {
    try {
      await root.sink.flush?.();
    } catch {
      root.stats.sinkErrors++;
    }
  };
  let shutdownPromise: Promise<void> | undefined;
  const telemetry: Telemetry = {
    context: ctx,
    log: boundLogger(state),
    tracing,
    run: (fn) => ctx.run(fn),
    stats: () =>
      batch === undefined ? { logs: root.stats } : { logs: root.stats, spans: batch.stats() },
    install() {
      setDefaultLogState(state);
      if (tracing !== undefined) trace.setGlobalTracerProvider(tracing.provider);
      return telemetry;
    },
    async forceFlush() {
      await Promise.all([tracing?.forceFlush(), flushLogs()]);
    },
    shutdown() {
      shutdownPromise ??= Promise.all([tracing?.shutdown(), flushLogs()]).then(() => undefined);
      return shutdownPromise;
    },
  };
  return telemetry;
}

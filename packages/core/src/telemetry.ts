import { type EnvSource, processEnv } from "@groundwork/platform";
import { type Context, DiagConsoleLogger, diag, ROOT_CONTEXT, trace } from "@opentelemetry/api";
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
import { readTelemetryEnv, type TelemetryEnv } from "./telemetry-env";
import { setUninstalledTelemetry } from "./tracing/install-hint";
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
  /**
   * `service.name`: on every log record and span. Required unless the
   * environment sets `OTEL_SERVICE_NAME` (or `service.name` in
   * `OTEL_RESOURCE_ATTRIBUTES`); an option given here wins over the environment.
   */
  serviceName?: string;
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
  /**
   * Where the standard OpenTelemetry variables (`OTEL_SERVICE_NAME`,
   * `OTEL_EXPORTER_OTLP_*`, `OTEL_TRACES_SAMPLER`, `OTEL_BSP_*`…) are read;
   * they fill only what the options leave unset (see the tracing guide's
   * table). Pass a Worker's `env` object there, `{}` to ignore the
   * environment. Default: `processEnv()` from `@groundwork/platform`
   * (`process.env` where the runtime has one, else nothing).
   */
  env?: EnvSource;
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
 * A context carrying a log of its own and nothing else: what `createTelemetry({ tracing:
 * false }).context.otel` holds, without reading the environment or building a tracer. For
 * adapters that give each unit of work (a Workers invocation) a fresh log; run code in it
 * with `TelemetryContext.fromOtel(ctx).run(fn)`.
 *
 * @param options - logging options (level, sink, redaction, fields…), as for `createLogger`
 * @param parent - the context to add the log to; default the root context
 * @returns the new context
 *
 * @example
 * ```ts
 * const sink = memorySink();
 * const ctx = createLogContext({ serviceName: "api", sink });
 * TelemetryContext.fromOtel(ctx).run(() => log.info("hello"));
 * ```
 */
export function createLogContext(options: LoggerOptions = {}, parent?: Context): Context {
  const root = createLogRoot(options);
  return setLogState(parent ?? ROOT_CONTEXT, createLogState(root, options.fields));
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
  const env = readTelemetryEnv(options.env ?? processEnv());
  const serviceName = options.serviceName ?? env.serviceName;
  if (typeof serviceName !== "string" || serviceName === "") {
    throw new CoreError(
      "ERR_INVALID_OPTION",
      "serviceName must be a non-empty string (or set OTEL_SERVICE_NAME)",
    );
  }
  const root = createLogRoot({
    ...options.logging,
    serviceName,
    ...(options.serviceVersion === undefined ? {} : { serviceVersion: options.serviceVersion }),
  });
  const state = createLogState(root, options.logging?.fields);
  if (env.diagLevel !== undefined) diag.setLogger(new DiagConsoleLogger(), env.diagLevel);

  let batch: BatchSpanProcessor | undefined;
  let tracing: TracingRuntime | undefined;
  if (options.tracing !== false) {
    const {
      exporter: exporterOption,
      batch: batchOptions,
      spanProcessors,
      ...tracingOptions
    } = options.tracing ?? {};
    const processors: SpanProcessor[] = [...(spanProcessors ?? [])];
    const exporter = withEnvExporter(exporterOption, env);
    if (exporter !== undefined) {
      // Lost spans show up in the app's own log, not only in stats().
      const warn = (message: string, counts: Readonly<Record<string, number>>) =>
        boundLogger(state).warn(message, { ...counts });
      batch = createBatchSpanProcessor(exporterFrom(exporter), {
        onWarning: warn,
        ...env.batch,
        ...batchOptions,
      });
      processors.push(batch);
    }
    const resourceAttributes =
      env.resourceAttributes === undefined
        ? tracingOptions.resourceAttributes
        : { ...env.resourceAttributes, ...tracingOptions.resourceAttributes };
    const enabled = tracingOptions.enabled ?? (env.disabled ? false : undefined);
    const samplingRatio = tracingOptions.samplingRatio ?? env.samplingRatio;
    tracing = createTracing({
      ...tracingOptions,
      ...(enabled === undefined ? {} : { enabled }),
      ...(samplingRatio === undefined ? {} : { samplingRatio }),
      ...(resourceAttributes === undefined ? {} : { resourceAttributes }),
      serviceName,
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
      setUninstalledTelemetry(undefined);
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
  const logger = telemetry.log;
  for (const warning of env.warnings) logger.warn(`groundwork: ${warning}`);
  if (tracing !== undefined) {
    setUninstalledTelemetry((spanName) =>
      logger.warn(
        `groundwork: span ${JSON.stringify(spanName)} was not recorded: it ran outside telemetry.run() and no telemetry is installed; call telemetry.install() at startup`,
      ),
    );
  }
  return telemetry;
}

/**
 * The exporter option with the environment's OTLP settings filled in: an OTLP
 * options object gets the variables for what it leaves unset; no exporter
 * becomes an OTLP exporter when the environment names an endpoint (and the
 * SDK is not disabled there).
 */
function withEnvExporter(
  option: TraceExporterOption | undefined,
  env: TelemetryEnv,
): TraceExporterOption | undefined {
  if (option === "console") return option;
  if (option !== undefined && typeof (option as SpanExporter).export === "function") return option;
  if (option === undefined && (env.endpoint === undefined || env.disabled)) return undefined;
  const otlp = (option ?? {}) as OtlpTraceExporterOptions;
  return {
    ...(env.endpoint === undefined ? {} : { endpoint: env.endpoint }),
    ...(env.headers === undefined ? {} : { headers: env.headers }),
    ...(env.timeoutMs === undefined ? {} : { timeoutMs: env.timeoutMs }),
    ...(env.protocol === undefined ? {} : { protocol: env.protocol }),
    ...definedOnly(otlp),
  };
}

function definedOnly<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o))
    if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

import type { LogLevel, RecordSink } from "@groundwork/core";
import type { AsyncLocalStorageConstructor } from "@groundwork/core/context";
import type { OtlpProtocol } from "@groundwork/core/otlp";
import type { Registry } from "@groundwork/metrics";
import { type EnvSource, readEnv } from "@groundwork/platform";
import type { SpanExporter } from "@opentelemetry/sdk-trace-base";
import type { WorkerOtlpEncoding } from "./encoding";
import { WorkerError } from "./errors";
import type { WorkerLogExporter } from "./log-export";
import type { TailSampler } from "./sampling";

/**
 * Where spans and metrics go: an OTLP/HTTP collector. Without it (and without
 * `OTEL_EXPORTER_OTLP_ENDPOINT` in the Worker's `env`) nothing is exported;
 * logs still go to the console.
 *
 * @example
 * ```ts
 * const otlp: WorkerOtlpOptions = {
 *   endpoint: "https://otel.example.com",
 *   headers: { authorization: "Bearer token" },
 * };
 * ```
 */
export interface WorkerOtlpOptions {
  /** Base URL of the collector; `/v1/traces` and `/v1/metrics` are appended. */
  endpoint: string;
  /** Extra request headers (authentication). Default none. */
  headers?: Readonly<Record<string, string>>;
  /**
   * Encoding. Default `"http/protobuf"`. `"http/json"` needs the JSON encoders passed as
   * `otlpJson` (from `@groundwork/worker/otlp-json`); without them the Worker sends protobuf
   * and says so once on the console.
   */
  protocol?: OtlpProtocol;
  /** Timeout of each request, in milliseconds. Default 5000. */
  timeoutMs?: number;
}

/**
 * Logging options of {@link WorkerOptions}.
 *
 * @example
 * ```ts
 * const logging: WorkerLoggingOptions = { redactKeys: ["authorization"], maxRecords: 200 };
 * ```
 */
export interface WorkerLoggingOptions {
  /** Least severe level written. Default `"info"` (`"debug"` when the debug variable is set). */
  level?: LogLevel | "off";
  /**
   * Name of the `env` variable that turns debug logs on: any value but `""`, `"0"` and
   * `"false"` lowers the level to `"debug"`. Default `"DEBUG"`.
   */
  debugVariable?: string;
  /** Keys whose values are replaced by `[REDACTED]` at any depth. Default none. */
  redactKeys?: readonly string[];
  /** Records buffered per invocation; more are dropped and counted in the meta entry. Default 1000. */
  maxRecords?: number;
  /** Also record each log line as an event on the active span. Default `true`. */
  spanEvents?: boolean;
  /** Fields on every record. Default none. */
  fields?: Readonly<Record<string, unknown>>;
  /**
   * Also export each invocation's records (the `START` entry first) at its end, e.g. as OTLP
   * logs with `createOtlpLogExporter()` from `@groundwork/worker/otlp-logs`. Default none:
   * the console only.
   */
  exporter?: WorkerLogExporter;
  /** Records the isolate holds for `exporter` while exports are slow; more are dropped and counted. Default 2048. */
  maxQueueSize?: number;
}

/**
 * Tracing options of {@link WorkerOptions}.
 *
 * @example
 * ```ts
 * const tracing: WorkerTracingOptions = { samplingRatio: 0.2, maxQueueSize: 512 };
 * ```
 */
export interface WorkerTracingOptions {
  /** When `false`, spans are not recorded (trace context still propagates). Default `true`. */
  enabled?: boolean;
  /** Probability in [0, 1] that a new trace is sampled; continued traces follow their parent. Default 1. */
  samplingRatio?: number;
  /** Finished spans the isolate holds while exports are slow; more are dropped and counted. Default 2048. */
  maxQueueSize?: number;
  /** Spans per export request. Default 512. */
  maxBatchSize?: number;
  /** Exports in flight at once in one isolate; beyond it, spans wait in the queue. Default 2. */
  maxConcurrentExports?: number;
  /**
   * Decides after each invocation whether its spans are exported (see `createTailSampler`).
   * Default: none, every head-sampled span is exported.
   */
  tailSampler?: TailSampler;
  /**
   * Add the send span's `traceparent` to queue messages sent through instrumented queue
   * bindings, so an instrumented consumer links its batch to the producers. Only plain-object
   * bodies of content type `json` or `v8` (the default) carry it, under the key
   * `__traceparent`; an instrumented consumer removes the key before the handler sees the
   * body, an uninstrumented one sees it as one extra field. Default `true`.
   */
  propagateToQueues?: boolean;
}

/**
 * Metrics options of {@link WorkerOptions}.
 *
 * @example
 * ```ts
 * const metrics: WorkerMetricsOptions = { maxSeries: 100, durationBuckets: [0.01, 0.1, 1] };
 * ```
 */
export interface WorkerMetricsOptions {
  /** `"delta"` (each push carries what changed; the default, as isolates come and go) or `"cumulative"`. */
  temporality?: "delta" | "cumulative";
  /**
   * Label sets kept per metric before new ones fold into one overflow series (every label
   * `__overflow__`), also when the metrics are reported in `exporters.metrics`. Default 500.
   */
  maxSeries?: number;
  /** Histogram buckets of the duration metric, in seconds. Default `[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]`. */
  durationBuckets?: readonly number[];
}

/**
 * Destinations of {@link WorkerOptions.exporters}: where an instrumented Worker's telemetry
 * goes besides (or instead of) the console and OTLP. `createTestTelemetry().exporters` from
 * `@groundwork/testing` has this shape, for tests under the Workers vitest integration.
 *
 * @example
 * ```ts
 * import { memorySink } from "@groundwork/core";
 * import { createRegistry } from "@groundwork/metrics";
 *
 * const exporters: WorkerExporters = { logs: memorySink(), metrics: createRegistry() };
 * ```
 */
export interface WorkerExporters {
  /** Receives every log record of every invocation, `START` entries included, besides the console. Default none. */
  logs?: RecordSink;
  /** Exports the spans instead of OTLP (same buffer, same end-of-invocation export). Default OTLP. */
  spans?: SpanExporter;
  /**
   * Registry the request metrics are reported in, as one of its collectors; when `otlp` is
   * set, this registry is what is pushed. Give each instrumented handler its own: a
   * registry reports one collector's families of a name. Default none (the metrics are
   * kept by the isolate alone).
   */
  metrics?: Registry;
}

/**
 * Options of {@link instrument} and {@link instrumentDO}.
 *
 * @example
 * ```ts
 * const options: WorkerOptions = {
 *   serviceName: "orders",
 *   otlp: { endpoint: "https://otel.example.com" },
 *   tracing: { samplingRatio: 0.1 },
 * };
 * ```
 */
export interface WorkerOptions {
  /** `service.name` on every span, metric and log entry. Required. */
  serviceName: string;
  /** `service.version`. Default none. */
  serviceVersion?: string;
  /** The `api` dimension of the meta entry and metrics. Default `serviceName`. */
  api?: string;
  /**
   * The `resource` dimension of a fetch invocation (and the server span's `http.route`);
   * keep its values few. Default: the first path segment (`/orders/42` → `/orders`).
   */
  resource?: (request: Request) => string;
  /**
   * OTLP collector. Default `OTEL_EXPORTER_OTLP_ENDPOINT` (and `…_HEADERS`, `…_PROTOCOL`) from
   * `env`, else no export.
   */
  otlp?: WorkerOtlpOptions;
  /**
   * The OTLP/HTTP JSON encoders, `otlpJson` from `@groundwork/worker/otlp-json`, used when the
   * protocol is `"http/json"` (`otlp.protocol` or `OTEL_EXPORTER_OTLP_PROTOCOL`). A separate
   * entry point, so that Workers sending protobuf do not bundle them. Default none: protobuf
   * is sent whatever the protocol, with a warning when it is `"http/json"`.
   */
  otlpJson?: WorkerOtlpEncoding;
  /** Logging. */
  logging?: WorkerLoggingOptions;
  /** Tracing. */
  tracing?: WorkerTracingOptions;
  /** Request metrics, or `false` for none. Default on (pushed only when `otlp` is set). */
  metrics?: WorkerMetricsOptions | false;
  /**
   * Other destinations of the logs, spans and metrics (tests: `createTestTelemetry().exporters`).
   * Default none.
   */
  exporters?: WorkerExporters;
  /**
   * Time allowed for the exports at the end of one invocation, in milliseconds, within the
   * Workers `waitUntil` budget. Default 10 000.
   */
  exportTimeoutMs?: number;
  /**
   * How long an export waits, after the invocation that schedules it has ended, for other
   * invocations of the isolate to end, in milliseconds: everything they finish before it
   * starts (spans, metric changes, log records) goes out in that one export, so an isolate
   * under load makes one export request per signal per window rather than per invocation.
   * `0` exports at the end of every invocation. Invocations without an execution context
   * (Durable Object alarms and RPC methods) never wait. Default 100.
   */
  exportDelayMs?: number;
  /**
   * How long, after the response is handed to the runtime, the export waits for a streamed
   * body to finish and for the work the handler passed to `ctx.waitUntil`, in milliseconds
   * (the runtime allows 30 s in all). Past it the export goes ahead; spans not finished by
   * then are counted as cut (`worker_spans_cut`, `spans_cut` on the `START` entry, a warning
   * entry) and exported by a later invocation if they end. Default 20 000.
   */
  waitUntilBudgetMs?: number;
  /**
   * `AsyncLocalStorage` from `node:async_hooks`, for Workers with the `nodejs_als` flag only
   * (with `nodejs_compat` it is found on its own). Default: detected.
   */
  asyncLocalStorage?: AsyncLocalStorageConstructor;
  /**
   * Trace the global `fetch` inside invocations (a client span and `traceparent` per call).
   * Default `true`.
   */
  instrumentGlobalFetch?: boolean;
  /**
   * Hand handlers an `env` whose KV, R2, D1 and queue bindings make a span per call and whose
   * service bindings send `traceparent` on `fetch`. Default `true`.
   */
  instrumentBindings?: boolean;
}

/**
 * What {@link instrument} accepts as configuration: the options, or a function of the
 * Worker's `env` returning them (called once per isolate, at its first invocation).
 *
 * @example
 * ```ts
 * interface Env { OTLP_URL: string; OTLP_TOKEN: string }
 * const config: WorkerConfig<Env> = (env) => ({
 *   serviceName: "orders",
 *   otlp: { endpoint: env.OTLP_URL, headers: { authorization: `Bearer ${env.OTLP_TOKEN}` } },
 * });
 * ```
 */
export type WorkerConfig<Env = unknown> = WorkerOptions | ((env: Env) => WorkerOptions);

/** Options with every default applied. */
export interface ResolvedOptions {
  readonly serviceName: string;
  readonly serviceVersion: string | undefined;
  readonly api: string;
  readonly resource: (request: Request) => string;
  readonly otlp:
    | (Required<Omit<WorkerOtlpOptions, "headers">> & {
        readonly headers: Readonly<Record<string, string>>;
      })
    | undefined;
  /** The JSON encoders, when given. */
  readonly otlpJson: WorkerOtlpEncoding | undefined;
  readonly logLevel: LogLevel | "off";
  readonly redactKeys: readonly string[];
  readonly maxRecords: number;
  readonly spanEvents: boolean;
  readonly fields: Readonly<Record<string, unknown>> | undefined;
  readonly logExporter: WorkerLogExporter | undefined;
  readonly logQueueSize: number;
  readonly tracingEnabled: boolean;
  readonly samplingRatio: number;
  readonly maxQueueSize: number;
  readonly maxBatchSize: number;
  readonly maxConcurrentExports: number;
  readonly tailSampler: TailSampler | undefined;
  readonly propagateToQueues: boolean;
  readonly metrics:
    | { temporality: "delta" | "cumulative"; maxSeries: number; durationBuckets: readonly number[] }
    | undefined;
  readonly exportTimeoutMs: number;
  readonly exportDelayMs: number;
  readonly exporters: WorkerExporters;
  readonly waitUntilBudgetMs: number;
  readonly asyncLocalStorage: AsyncLocalStorageConstructor | undefined;
  readonly instrumentGlobalFetch: boolean;
  readonly instrumentBindings: boolean;
}

const LEVELS: readonly string[] = ["trace", "debug", "info", "warn", "error", "fatal", "off"];
const DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

function invalid(message: string): never {
  throw new WorkerError("ERR_INVALID_OPTION", message);
}

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1)
    invalid(`${name} must be a positive integer, got ${value}`);
  return value;
}

function positiveNumber(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    invalid(`${name} must be a positive number, got ${String(value)}`);
  }
  return value;
}

function nonNegativeNumber(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    invalid(`${name} must be a number of 0 or more, got ${String(value)}`);
  }
  return value;
}

function checkUrl(name: string, value: unknown): string {
  if (typeof value !== "string") invalid(`${name} must be a URL string`);
  try {
    const url = new URL(value);
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error(url.protocol);
  } catch {
    invalid(`${name} must be an http(s) URL, got ${JSON.stringify(value)}`);
  }
  return value.replace(/\/+$/, "");
}

/** `OTEL_EXPORTER_OTLP_HEADERS` syntax: `k1=v1,k2=v2` with URL-encoded values. */
function parseHeaders(value: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  if (value === undefined) return headers;
  for (const pair of value.split(",")) {
    const at = pair.indexOf("=");
    if (at <= 0) continue;
    try {
      headers[pair.slice(0, at).trim()] = decodeURIComponent(pair.slice(at + 1).trim());
    } catch {
      // A malformed escape leaves that header out rather than failing the Worker.
    }
  }
  return headers;
}

function isOn(value: string | undefined): boolean {
  if (value === undefined) return false;
  const v = value.trim().toLowerCase();
  return v !== "" && v !== "0" && v !== "false" && v !== "off";
}

/** The first path segment of the request URL, e.g. `/orders`; `/` for the root. */
export function firstPathSegment(request: Request): string {
  try {
    return firstSegmentOf(new URL(request.url).pathname);
  } catch {
    return "/";
  }
}

/** The first segment of a URL path, as {@link firstPathSegment} returns it. */
export function firstSegmentOf(path: string): string {
  const end = path.indexOf("/", 1);
  return end === -1 ? path : path.slice(0, end);
}

/**
 * Checks the options and applies the defaults; `env` supplies the `OTEL_*` and debug
 * variables.
 *
 * @throws {WorkerError} `ERR_INVALID_OPTION` for any invalid option.
 */
export function resolveOptions(options: WorkerOptions, env: EnvSource): ResolvedOptions {
  if (options === null || typeof options !== "object") invalid("options must be an object");
  const { serviceName } = options;
  if (typeof serviceName !== "string" || serviceName === "") {
    invalid("serviceName must be a non-empty string");
  }
  if (options.resource !== undefined && typeof options.resource !== "function") {
    invalid("resource must be a function of the request");
  }
  const logging = options.logging ?? {};
  const level = logging.level ?? "info";
  if (!LEVELS.includes(level)) invalid(`logging.level must be one of ${LEVELS.join(", ")}`);
  const debugVariable = logging.debugVariable ?? "DEBUG";
  const debug = isOn(readEnv(debugVariable, env));
  const tracing = options.tracing ?? {};
  const ratio = tracing.samplingRatio ?? 1;
  if (typeof ratio !== "number" || !(ratio >= 0 && ratio <= 1)) {
    invalid(`tracing.samplingRatio must be a number in [0, 1], got ${String(ratio)}`);
  }
  const maxQueueSize = positiveInteger("tracing.maxQueueSize", tracing.maxQueueSize, 2048);
  if (tracing.tailSampler !== undefined && typeof tracing.tailSampler !== "function") {
    invalid("tracing.tailSampler must be a function");
  }
  let otlp: ResolvedOptions["otlp"];
  if (options.otlp !== undefined) {
    otlp = {
      endpoint: checkUrl("otlp.endpoint", options.otlp.endpoint),
      headers: { ...options.otlp.headers },
      protocol: options.otlp.protocol ?? "http/protobuf",
      timeoutMs: positiveNumber("otlp.timeoutMs", options.otlp.timeoutMs, 5000),
    };
    if (otlp.protocol !== "http/protobuf" && otlp.protocol !== "http/json") {
      invalid(`otlp.protocol must be "http/protobuf" or "http/json"`);
    }
  } else {
    const endpoint = readEnv("OTEL_EXPORTER_OTLP_ENDPOINT", env);
    if (endpoint !== undefined && endpoint !== "") {
      otlp = {
        endpoint: checkUrl("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint),
        headers: parseHeaders(readEnv("OTEL_EXPORTER_OTLP_HEADERS", env)),
        // Other values (grpc) cannot be sent from a Worker: the default then.
        protocol:
          readEnv("OTEL_EXPORTER_OTLP_PROTOCOL", env)?.trim() === "http/json"
            ? "http/json"
            : "http/protobuf",
        timeoutMs: 5000,
      };
    }
  }
  let metrics: ResolvedOptions["metrics"];
  if (options.metrics !== false) {
    const m = options.metrics ?? {};
    const temporality = m.temporality ?? "delta";
    if (temporality !== "delta" && temporality !== "cumulative") {
      invalid(`metrics.temporality must be "delta" or "cumulative"`);
    }
    const buckets = m.durationBuckets ?? DEFAULT_BUCKETS;
    // The +Inf bucket is implicit, as in a registry's histograms.
    const bounds: readonly number[] =
      Array.isArray(buckets) && buckets.at(-1) === Number.POSITIVE_INFINITY
        ? buckets.slice(0, -1)
        : buckets;
    if (
      !Array.isArray(bounds) ||
      buckets.length === 0 ||
      bounds.some((b, i) => !Number.isFinite(b) || b <= (bounds[i - 1] ?? -Infinity))
    ) {
      invalid("metrics.durationBuckets must be a non-empty array of increasing finite numbers");
    }
    metrics = {
      temporality,
      maxSeries: positiveInteger("metrics.maxSeries", m.maxSeries, 500),
      durationBuckets: bounds,
    };
  }
  const exporters = options.exporters ?? {};
  if (exporters === null || typeof exporters !== "object") invalid("exporters must be an object");
  if (exporters.logs !== undefined && typeof exporters.logs?.write !== "function") {
    invalid("exporters.logs must be a record sink (with write(record))");
  }
  if (exporters.spans !== undefined && typeof exporters.spans?.export !== "function") {
    invalid("exporters.spans must be a span exporter (with export(spans, done))");
  }
  if (exporters.metrics !== undefined && typeof exporters.metrics?.snapshot !== "function") {
    invalid("exporters.metrics must be a metrics registry");
  }
  if (logging.exporter !== undefined && typeof logging.exporter?.open !== "function") {
    invalid("logging.exporter must be a log exporter (with open(context))");
  }
  const json = options.otlpJson;
  if (
    json !== undefined &&
    (json?.traces?.protocol !== "http/json" || json.metrics?.protocol !== "http/json")
  ) {
    invalid('otlpJson must be otlpJson from "@groundwork/worker/otlp-json"');
  }
  const Als = options.asyncLocalStorage;
  if (Als !== undefined && typeof Als !== "function") {
    invalid("asyncLocalStorage must be the AsyncLocalStorage class");
  }
  return {
    serviceName,
    serviceVersion: options.serviceVersion,
    api: options.api ?? serviceName,
    resource: options.resource ?? firstPathSegment,
    otlp,
    otlpJson: json,
    logLevel: debug && level !== "trace" && level !== "off" ? "debug" : level,
    redactKeys: logging.redactKeys ?? [],
    maxRecords: positiveInteger("logging.maxRecords", logging.maxRecords, 1000),
    spanEvents: logging.spanEvents ?? true,
    fields: logging.fields,
    logExporter: logging.exporter,
    logQueueSize: positiveInteger("logging.maxQueueSize", logging.maxQueueSize, 2048),
    tracingEnabled: tracing.enabled !== false,
    samplingRatio: ratio,
    maxQueueSize,
    maxBatchSize: Math.min(
      positiveInteger("tracing.maxBatchSize", tracing.maxBatchSize, 512),
      maxQueueSize,
    ),
    maxConcurrentExports: positiveInteger(
      "tracing.maxConcurrentExports",
      tracing.maxConcurrentExports,
      2,
    ),
    tailSampler: tracing.tailSampler,
    propagateToQueues: tracing.propagateToQueues !== false,
    metrics,
    exportTimeoutMs: positiveNumber("exportTimeoutMs", options.exportTimeoutMs, 10_000),
    exportDelayMs: nonNegativeNumber("exportDelayMs", options.exportDelayMs, 100),
    exporters,
    waitUntilBudgetMs: positiveNumber("waitUntilBudgetMs", options.waitUntilBudgetMs, 20_000),
    asyncLocalStorage: Als,
    instrumentGlobalFetch: options.instrumentGlobalFetch !== false,
    instrumentBindings: options.instrumentBindings !== false,
  };
}

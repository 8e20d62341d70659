import {
  createTelemetry,
  type LoggerOptions,
  type LogLevel,
  memorySink,
  type RecordSink,
  TelemetryContext,
} from "@groundwork/core";
import {
  defaultRegistry,
  type FlatSample,
  flattenSamples,
  type MetricFamilySnapshot,
  type Registry,
} from "@groundwork/metrics";
import type { ReadableSpan, SpanExporter } from "@opentelemetry/sdk-trace-base";
import { type CapturedLog, type LogQuery, logMatches, toCapturedLog } from "./logs/match";
import { checkCount, createTraceCapture, setTraceCapture } from "./traces/capture";
import type { TraceNode } from "./traces/tree";

/** Options of {@link createTestTelemetry}. */
export interface TestTelemetryOptions {
  /** Least severe level captured. Default `"trace"` (everything). */
  level?: LogLevel;
  /** Redaction, as in production, so tests can assert on it. Default none. */
  redactKeys?: readonly string[];
  /** Fields on every captured record. Default none. */
  fields?: Record<string, unknown>;
  /** `service.name` of the capture. Default `"test"`. */
  serviceName?: string;
  /** Most records kept; more are counted as dropped. Default 100 000. */
  maxRecords?: number;
  /** Sampling ratio for new traces started in the capture. Default 1 (every trace). */
  samplingRatio?: number;
  /** Most spans kept. Default 100 000. */
  maxSpans?: number;
  /**
   * The metrics registry `metrics()` reads. Default `defaultRegistry`. Tests
   * that run concurrently and assert on the same metrics should give each
   * test its own registry (`createRegistry()` and `defineMetrics(…, { registry })`).
   */
  registry?: Registry;
}

/**
 * Where code that builds its own pipeline (an instrumented Worker, see `@groundwork/worker`)
 * can send its telemetry so that a {@link TestTelemetry} captures it.
 *
 * @example
 * ```ts
 * const t = createTestTelemetry({ registry: createRegistry() });
 * const { logs, spans, metrics } = t.exporters;
 * logs.write({ time: Date.now(), level: "info", msg: "hello", fields: {} });
 * expect(t).toHaveLogged("info", "hello");
 * ```
 */
export interface TestExporters {
  /** A record sink whose records `logs()` returns. */
  readonly logs: RecordSink;
  /** A span exporter whose spans `spans()` and `traces()` return. */
  readonly spans: SpanExporter;
  /** The registry `metrics()` reads. */
  readonly metrics: Registry;
}

/** Captured telemetry of one test, isolated from every other test. */
export interface TestTelemetry {
  /** The telemetry context that captures; enter it with `run` or `t.context.run`. */
  readonly context: TelemetryContext;
  /**
   * Runs `fn` inside the capturing context, in isolation from other tests.
   *
   * @param fn - the code under test; sync or async.
   * @returns what `fn` returns (await it for async code before asserting).
   */
  run<R>(fn: () => R): R;
  /** Captured log records, oldest first. */
  logs(): CapturedLog[];
  /** Captured records matching a query. */
  findLogs(query: LogQuery): CapturedLog[];
  /** Finished spans, in the order they ended (OpenTelemetry `ReadableSpan`s). */
  spans(): ReadableSpan[];
  /** Finished spans as trace trees `{ name, attributes, events, links, status, kind, children }`. */
  traces(): TraceNode[];
  /** Current metric samples of the registry: `{ name, labels, value }`, as a scraper would store them. */
  metrics(): FlatSample[];
  /** Current metric families of the registry, with help, type and samples. */
  metricFamilies(): MetricFamilySnapshot[];
  /** Forgets captured logs and spans (metric values live in the registry: `registry.reset()`). */
  reset(): void;
  /**
   * The capture's sink, span exporter and registry, for code that exports on its own, e.g.
   * `instrument(handler, { serviceName, exporters: t.exporters })` from `@groundwork/worker`.
   */
  readonly exporters: TestExporters;
}

/**
 * Creates an in-memory capture of telemetry for one test. Code run with
 * `t.run(fn)` logs and traces into it; other tests (also concurrent ones) do
 * not see its records and it does not see theirs.
 *
 * @param options - see {@link TestTelemetryOptions} (default: everything captured).
 * @returns the capture.
 * @throws {TestingError} `ERR_INVALID_OPTION` for a `maxRecords` or `maxSpans` that is
 *   not a positive integer, or a `samplingRatio` outside [0, 1].
 * @example
 * ```ts
 * const t = createTestTelemetry();
 * await t.run(() => handler(request));
 * expect(t).toHaveLogged("info", "request served", { status: 200 });
 * expect(t).toHaveSpan("GET /orders", { "http.response.status_code": 200 });
 * ```
 */
export function createTestTelemetry(options: TestTelemetryOptions = {}): TestTelemetry {
  const maxRecords = options.maxRecords ?? 100_000;
  checkCount("maxRecords", maxRecords);
  const sink = memorySink({ maxRecords });
  const logging: Omit<LoggerOptions, "serviceName" | "serviceVersion"> = {
    level: options.level ?? "trace",
    sink,
    ...(options.redactKeys ? { redactKeys: options.redactKeys } : {}),
    ...(options.fields ? { fields: options.fields } : {}),
  };
  const serviceName = options.serviceName ?? "test";
  const telemetry = createTelemetry({ serviceName, logging, tracing: false });
  const capture = createTraceCapture({
    serviceName,
    ...(options.samplingRatio === undefined ? {} : { samplingRatio: options.samplingRatio }),
    ...(options.maxSpans === undefined ? {} : { maxSpans: options.maxSpans }),
  });
  const ctx = TelemetryContext.fromOtel(setTraceCapture(telemetry.context.otel, capture));
  const registry = options.registry ?? defaultRegistry;
  const logs = () => sink.records().map(toCapturedLog);
  return {
    context: ctx,
    run: (fn) => ctx.run(fn),
    logs,
    findLogs: (query) => logs().filter((l) => logMatches(l, query)),
    spans: () => capture.spans(),
    metrics: () => flattenSamples(registry.snapshot()),
    metricFamilies: () => registry.snapshot(),
    traces: () => capture.traces(),
    reset: () => {
      sink.drain();
      capture.reset();
    },
    exporters: { logs: sink, spans: capture.exporter, metrics: registry },
  };
}

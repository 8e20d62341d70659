import { detectAsyncLocalStorage, runtimeGlobal } from "@groundwork/platform";
import type { Context } from "@opentelemetry/api";
import { protobufEncoding, type WorkerOtlpEncoding } from "../encoding";
import type { ResolvedOptions } from "../options";
import {
  createIsolateTracing,
  createSpanExporter,
  installContext,
  type TracingRuntime,
} from "./core";
import { createExportWindow, type ExportWindow } from "./export-window";
import { installGlobalFetch } from "./fetch-patch";
import { invocationOf } from "./invocation";
import { createLogQueue, type LogQueue } from "./log-queue";
import { createRequestMetrics, type RequestMetrics } from "./metrics";
import { createSpanBuffer, type SpanBuffer } from "./span-buffer";

/** What one isolate keeps for one instrumented handler: tracer, span buffer, metrics. */
export interface IsolateState {
  readonly options: ResolvedOptions;
  readonly tracing: TracingRuntime;
  readonly spans: SpanBuffer;
  readonly metrics: RequestMetrics | undefined;
  /** Log records waiting for `logging.exporter`, when there is one. */
  readonly logs: LogQueue | undefined;
  /** Gathers the invocations that end close together into one export. */
  readonly window: ExportWindow;
  /** Whether the active context survives `await` (AsyncLocalStorage was found). */
  readonly asyncContext: boolean;
}

interface ConsoleLike {
  warn(...args: unknown[]): void;
}

let warnedNoAsyncContext = false;
let warnedNoJson = false;

/**
 * The encoders of the configured protocol: JSON when it is `http/json` and the JSON encoders
 * were given, protobuf otherwise (every OTLP/HTTP receiver accepts both), with one warning
 * per isolate when JSON was asked for without its encoders.
 */
function encodingOf(options: ResolvedOptions): WorkerOtlpEncoding {
  if (options.otlp?.protocol !== "http/json") return protobufEncoding;
  if (options.otlpJson !== undefined) return options.otlpJson;
  if (!warnedNoJson) {
    warnedNoJson = true;
    runtimeGlobal<ConsoleLike>("console")?.warn(
      "@groundwork/worker: the OTLP protocol is http/json, but the JSON encoders are not " +
        'bundled (pass otlpJson from "@groundwork/worker/otlp-json"); sending http/protobuf.',
    );
  }
  return protobufEncoding;
}

function instanceId(): string {
  try {
    return crypto.randomUUID();
  } catch {
    return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
  }
}

/**
 * Builds the isolate's state. Called at the first invocation (random ids and I/O objects
 * cannot be made in a Worker's global scope).
 */
export function createIsolateState(options: ResolvedOptions): IsolateState {
  const Storage = options.asyncLocalStorage ?? detectAsyncLocalStorage();
  installContext(Storage);
  const asyncContext = Storage !== undefined;
  if (!asyncContext && !warnedNoAsyncContext) {
    warnedNoAsyncContext = true;
    runtimeGlobal<ConsoleLike>("console")?.warn(
      "@groundwork/worker: no AsyncLocalStorage (enable the nodejs_compat or nodejs_als " +
        "compatibility flag, or pass asyncLocalStorage); the ambient log and span functions " +
        "lose the invocation after the first await: use getTelemetry(ctx) instead.",
    );
  }
  const id = instanceId();
  const encoding = options.otlp === undefined ? protobufEncoding : encodingOf(options);
  let metrics: RequestMetrics | undefined;
  if (options.metrics !== undefined) {
    metrics = createRequestMetrics({
      serviceName: options.serviceName,
      serviceVersion: options.serviceVersion,
      instanceId: id,
      otlp: options.otlp,
      encoding: encoding.metrics,
      registry: options.exporters.metrics,
      ...options.metrics,
    });
  }
  const exporter =
    options.exporters.spans ??
    (options.otlp === undefined
      ? undefined
      : createSpanExporter(encoding.traces, {
          ...options.otlp,
          endpoint: `${options.otlp.endpoint}/v1/traces`,
        }));
  const spans = createSpanBuffer(exporter, {
    maxQueueSize: options.maxQueueSize,
    maxBatchSize: options.maxBatchSize,
    maxConcurrentExports: options.maxConcurrentExports,
    exportTimeoutMs: options.exportTimeoutMs,
    openSetOf: (parent: Context) => invocationOf(parent)?.open,
    ...(metrics === undefined
      ? {}
      : {
          onDrop: (n: number) => metrics.spansDropped(n),
          onTailDrop: (n: number) => metrics.spansDiscarded(n),
          onCut: (n: number, reason: "unfinished" | "deadline") => metrics.spansCut(n, reason),
        }),
    ...(options.tailSampler === undefined
      ? {}
      : { groupOf: (parent: Context) => invocationOf(parent)?.group }),
  });
  const tracing = createIsolateTracing({
    serviceName: options.serviceName,
    serviceVersion: options.serviceVersion,
    enabled: options.tracingEnabled,
    samplingRatio: options.samplingRatio,
    processor: spans,
    instanceId: id,
  });
  if (options.instrumentGlobalFetch) installGlobalFetch();
  let logs: LogQueue | undefined;
  const send = options.logExporter?.open({
    serviceName: options.serviceName,
    serviceVersion: options.serviceVersion,
    instanceId: id,
    otlp: options.otlp,
  });
  if (send !== undefined) {
    logs = createLogQueue(send, {
      maxQueueSize: options.logQueueSize,
      maxBatchSize: options.maxBatchSize,
      maxConcurrentExports: options.maxConcurrentExports,
      ...(metrics === undefined ? {} : { onDrop: (n: number) => metrics.logsDropped(n) }),
    });
  }
  // A scheduled export not started by its due time plus this was cut off with its invocation.
  const window = createExportWindow({ graceMs: Math.max(1000, options.exportDelayMs) });
  return { options, tracing, spans, metrics, logs, window, asyncContext };
}

// The everyday API: what the guides use. Plumbing lives in subpaths:
// `@groundwork/core/otlp`, `/propagation`, `/tracing`, `/context`, `/node`.
export type { CoreErrorCode, CoreErrorOptions } from "./errors";
export { CoreError } from "./errors";
export type {
  LineSink,
  LogCallOptions,
  LogFields,
  LogFormat,
  Logger,
  LoggerOptions,
  LogLevel,
  LogRecord,
  LogSink,
  LogStats,
  MemorySink,
  RecordSink,
  SerializeLimits,
  StandaloneLogger,
} from "./logging/index";
export {
  consoleSink,
  createLogger,
  DEFAULT_SERIALIZE_LIMITS,
  LEVEL_OFF,
  LEVEL_VALUES,
  LOG_LEVELS,
  lineSink,
  log,
  memorySink,
  parseLogLevel,
  recordSink,
} from "./logging/index";
export type { HeaderGetter, HeaderRecord, HeaderSetter, HeadersLike } from "./propagation/w3c";
export { extractContext, injectHeaders, w3cTraceparent } from "./propagation/w3c";
export type {
  Telemetry,
  TelemetryOptions,
  TelemetryStats,
  TelemetryTracingOptions,
  TraceExporterOption,
} from "./telemetry";
export { createLogContext, createTelemetry } from "./telemetry";
export { TelemetryContext, withForkedLog } from "./telemetry-context";
export { addSpanEvent, currentSpan, currentTraceId, setSpanAttributes } from "./tracing/helpers";
export { withSamplingRatio } from "./tracing/sampling-ratio";
export type { GroundworkSpanOptions, SpanFn } from "./tracing/span";
export { recordSpanError, span } from "./tracing/span";
export type { ForkedTraceOptions, StartTraceOptions } from "./tracing/traces";
export { startTrace, withForkedTrace } from "./tracing/traces";

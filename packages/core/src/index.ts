// context
export type {
  AsyncLocalStorageConstructor,
  AsyncLocalStorageLike,
  ContextEntry,
} from "./context/index";
export {
  addFields,
  createAsyncLocalStorageContextManager,
  createStackContextManager,
  ensureContextManager,
  fromOtelContext,
  installContextManager,
  TelemetryContext,
  withForkedLog,
} from "./context/index";
// export
export type {
  AbortSignalLike,
  BatchSpanProcessor,
  BatchSpanProcessorOptions,
  BatchSpanProcessorStats,
  ConsoleSpanExporterOptions,
  ExportFailure,
  ExportFailureReason,
  ExportOutcome,
  ExportSuccess,
  OtlpFetch,
  OtlpFetchInit,
  OtlpFetchResponse,
  OtlpHttpSender,
  OtlpHttpSenderOptions,
  OtlpProtocol,
  OtlpRetryOptions,
  OtlpRetryPolicy,
  OtlpTraceExporter,
  OtlpTraceExporterOptions,
  ServiceResourceOptions,
} from "./export/index";
export {
  backoffDelayMs,
  createBatchSpanProcessor,
  createConsoleSpanExporter,
  createOtlpHttpSender,
  createOtlpTraceExporter,
  createServiceResource,
  DEFAULT_OTLP_TRACES_ENDPOINT,
  DEFAULT_RETRY_POLICY,
  formatSpanLine,
  isRetryableStatus,
  OtlpExportError,
  parseRetryAfterMs,
  resolveRetryPolicy,
} from "./export/index";
// logging
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
  RateSpec,
  RecordSink,
  SerializeLimits,
  StandaloneLogger,
} from "./logging/index";
export {
  consoleSink,
  createLogger,
  DEFAULT_SERIALIZE_LIMITS,
  InvalidLogLevelError,
  LEVEL_VALUES,
  LOG_LEVELS,
  lineSink,
  log,
  memorySink,
  parseLogLevel,
  recordSink,
} from "./logging/index";

// telemetry
export type { Telemetry, TelemetryOptions, TelemetryStats } from "./telemetry";
export { createTelemetry } from "./telemetry";

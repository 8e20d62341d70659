export type { HandlerClass } from "./classes";
export { instrumentDO } from "./classes";
export type { WorkerOtlpEncoding } from "./encoding";
export type { WorkerErrorCode } from "./errors";
export { WorkerError } from "./errors";
export type { HandlerLike } from "./instrument";
export { instrument } from "./instrument";
export type { WorkerLogExportContext, WorkerLogExporter, WorkerLogSend } from "./log-export";
export type {
  WorkerConfig,
  WorkerExporters,
  WorkerLoggingOptions,
  WorkerMetricsOptions,
  WorkerOptions,
  WorkerOtlpOptions,
  WorkerTracingOptions,
} from "./options";
export type { InvocationSummary, TailSampler, TailSamplerOptions } from "./sampling";
export { createTailSampler } from "./sampling";
export { traceStub } from "./stub";
export type { WorkerTelemetry } from "./telemetry";
export { getTelemetry } from "./telemetry";
export type {
  EmailMessageLike,
  ExecutionContextLike,
  FetchFn,
  IncomingRequestCfLike,
  MessageBatchLike,
  ScheduledControllerLike,
  TraceItemLike,
} from "./types";

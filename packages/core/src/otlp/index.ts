export type {
  BatchSpanProcessor,
  BatchSpanProcessorOptions,
  BatchSpanProcessorStats,
} from "./batch-processor";
export {
  createBatchSpanProcessor,
  DEFAULT_MAX_QUEUE_SIZE,
  MAX_ADAPTIVE_QUEUE_SIZE,
} from "./batch-processor";
export type { ConsoleSpanExporterOptions } from "./console-exporter";
export { createConsoleSpanExporter, formatSpanLine } from "./console-exporter";
export type { OtlpTraceEncoding } from "./encoding";
export { protobufTraceEncoding } from "./encoding";
export type {
  AbortSignalLike,
  OtlpFetch,
  OtlpFetchInit,
  OtlpFetchResponse,
  OtlpResponseBody,
  OtlpResponseReader,
} from "./fetch";
export { jsonTraceEncoding } from "./json-encoding";
export type { PartialSuccess, RejectedField } from "./partial-success";
export { decodePartialSuccess, partialSuccessError } from "./partial-success";
export type { ServiceResourceOptions } from "./resource";
export { createServiceResource } from "./resource";
export type { OtlpRetryOptions, OtlpRetryPolicy } from "./retry";
export {
  backoffDelayMs,
  DEFAULT_RETRY_POLICY,
  isRetryableStatus,
  parseRetryAfterMs,
  resolveRetryPolicy,
} from "./retry";
export type {
  ExportFailure,
  ExportFailureReason,
  ExportOutcome,
  ExportSuccess,
  OtlpHttpSender,
  OtlpHttpSenderOptions,
  OtlpProtocol,
} from "./sender";
export { createOtlpHttpSender, MAX_RESPONSE_BYTES } from "./sender";
export type { OtlpTraceExporter, OtlpTraceExporterOptions } from "./trace-exporter";
export {
  createOtlpTraceExporter,
  createOtlpTraceExporterFor,
  DEFAULT_OTLP_TRACES_ENDPOINT,
} from "./trace-exporter";

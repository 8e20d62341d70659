// errors
export type { NodeErrorCode, NodeErrorOptions } from "./errors";
export { NodeError } from "./errors";
// fetch
export type { FetchFunction, InstrumentFetchOptions } from "./fetch/index";
export { instrumentFetch } from "./fetch/index";
// http
export type {
  CloseOptions,
  FetchHandler,
  HttpTelemetryOptions,
  InstrumentServerOptions,
  RunningServer,
  ServeContext,
  ServeOptions,
} from "./http/index";
export { instrumentServer, serve } from "./http/index";
// process metrics
export type { ProcessMetrics, ProcessMetricsOptions } from "./process-metrics/index";
export { createProcessMetrics } from "./process-metrics/index";
// service
export type {
  Closeable,
  RunnableSettings,
  RunServiceOptions,
  SandboxSettings,
  ServiceContext,
  ServiceSettings,
} from "./service/index";
export { runService, serviceSettings } from "./service/index";
// telemetry server
export type {
  HealthCheck,
  TelemetryRoute,
  TelemetryServer,
  TelemetryServerOptions,
  TraceBuffer,
  TraceBufferOptions,
  TraceJson,
  TraceSpanJson,
} from "./telemetry-server/index";
export {
  createTraceBuffer,
  serveTelemetry,
  telemetryServerOptionsFromSettings,
} from "./telemetry-server/index";

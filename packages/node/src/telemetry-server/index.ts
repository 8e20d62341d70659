export type {
  HealthCheck,
  TelemetryRoute,
  TelemetryServer,
  TelemetryServerOptions,
} from "./telemetry-server";
export { serveTelemetry, telemetryServerOptionsFromSettings } from "./telemetry-server";
export type { TraceBuffer, TraceBufferOptions, TraceJson, TraceSpanJson } from "./trace-buffer";
export { createTraceBuffer } from "./trace-buffer";

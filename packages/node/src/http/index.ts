export type { InstrumentServerOptions } from "./instrument-server";
export { instrumentServer } from "./instrument-server";
export type {
  CloseOptions,
  FetchHandler,
  RunningServer,
  ServeContext,
  ServeOptions,
} from "./serve";
export { serve } from "./serve";
export type { HttpTelemetryOptions } from "./telemetry";

// errors
export type { NodeErrorCode, NodeErrorOptions } from "./errors";
export { NodeError } from "./errors";
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

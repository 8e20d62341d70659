// errors
export type { NodeErrorCode, NodeErrorOptions } from "./errors";
export { NodeError } from "./errors";
// http
export type {
  CloseOptions,
  FetchHandler,
  HttpTelemetryOptions,
  RunningServer,
  ServeContext,
  ServeOptions,
} from "./http/index";
export { serve } from "./http/index";

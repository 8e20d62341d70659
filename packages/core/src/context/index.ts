export type { AsyncLocalStorageConstructor, AsyncLocalStorageLike } from "./manager";
export {
  createAsyncLocalStorageContextManager,
  createStackContextManager,
  ensureContextManager,
  installContextManager,
} from "./manager";
export type { ContextEntry } from "./telemetry-context";
export { addFields, fromOtelContext, TelemetryContext, withForkedLog } from "./telemetry-context";

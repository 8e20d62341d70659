export type {
  Closeable,
  RunnableSettings,
  RunServiceOptions,
  ServiceContext,
} from "./run-service";
export { runService } from "./run-service";
export type { SandboxSettings, ServiceSettings } from "./service-settings";
export { serviceSettings } from "./service-settings";

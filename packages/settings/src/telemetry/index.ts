export type { RegistryOptionsContext } from "./registry-options";
export { registryOptionsFromSettings } from "./registry-options";
export type {
  ExporterSettings,
  LoggingSettings,
  MetricsSettings,
  RateLimitSettings,
  ServerSettings,
  TelemetrySettings,
  TelemetrySettingsInput,
  TracingSettings,
} from "./telemetry-settings";
export { telemetrySettings } from "./telemetry-settings";
export type { LogOutput, TelemetryOptionsContext } from "./to-options";
export { telemetryOptionsFromSettings } from "./to-options";

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
export { telemetryOptionsFromSettings, UnsupportedLogOutputError } from "./to-options";

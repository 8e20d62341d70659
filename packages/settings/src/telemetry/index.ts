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

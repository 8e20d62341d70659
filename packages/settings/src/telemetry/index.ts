export type { TelemetrySettings, TelemetrySettingsInput } from "./telemetry-settings";
export { telemetrySettings } from "./telemetry-settings";

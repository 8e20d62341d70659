export { defineSettings, isSettings } from "./define";
export type {
  FormatOptions,
  SecretSpan,
  SettingsErrorCode,
  SettingsIssue,
  SettingsIssueCode,
  SettingsSource,
} from "./errors";
export { formatIssue, formatPath, formatSource, SettingsError } from "./errors";
export type { SocketAddr, UrlOptions } from "./helpers";
export {
  byteSize,
  duration,
  formatByteSize,
  formatDuration,
  indirect,
  parseByteSize,
  parseDuration,
  parseSocketAddr,
  rate,
  Secret,
  secret,
  socketAddr,
  url,
} from "./helpers";
export type {
  InferOutput,
  StandardIssue,
  StandardResult,
  StandardSchema,
} from "./internal/standard";
export type { FsLike, ReadFile } from "./read-file";
export { fsReadFile } from "./read-file";
export type {
  DefineSettingsOptions,
  EnvOptions,
  JsonSchema,
  LoadOptions,
  ParseOptions,
  Settings,
  SettingsLimits,
  SettingsOf,
  SettingsText,
  YamlOptions,
} from "./settings";
export type {
  ExporterSettings,
  LoggingSettings,
  LogOutput,
  MetricsSettings,
  RateLimitSettings,
  RegistryOptionsContext,
  ServerSettings,
  TelemetryOptionsContext,
  TelemetrySettings,
  TelemetrySettingsInput,
  TracingSettings,
} from "./telemetry";
export {
  registryOptionsFromSettings,
  telemetryOptionsFromSettings,
  telemetrySettings,
} from "./telemetry";

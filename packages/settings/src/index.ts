export type {
  DefineSettingsOptions,
  EnvOptions,
  FsLike,
  InferOutput,
  JsonSchema,
  LoadOptions,
  ParseOptions,
  ReadFile,
  Settings,
  SettingsLimits,
  SettingsText,
  StandardIssue,
  StandardResult,
  StandardSchema,
  YamlOptions,
} from "./define";
export { defineSettings, fsReadFile, isSettings } from "./define";
export type {
  FormatOptions,
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
  ExporterSettings,
  LoggingSettings,
  LogOutput,
  MetricsSettings,
  RateLimitSettings,
  ServerSettings,
  TelemetryOptionsContext,
  TelemetrySettings,
  TelemetrySettingsInput,
  TracingSettings,
} from "./telemetry";
export {
  telemetryOptionsFromSettings,
  telemetrySettings,
  UnsupportedLogOutputError,
} from "./telemetry";

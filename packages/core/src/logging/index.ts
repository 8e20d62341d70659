export type { LogLevel } from "./levels";
export { InvalidLogLevelError, LEVEL_OFF, LEVEL_VALUES, LOG_LEVELS, parseLogLevel } from "./levels";
export type {
  LogFields,
  Logger,
  LogRoot,
  LogState,
  LogStats,
  StandaloneLogger,
} from "./logger";
export {
  addFieldsToState,
  boundLogger,
  createLogger,
  createLogRoot,
  createLogState,
  defaultLogState,
  forkLogState,
  getLogState,
  log,
  setDefaultLogState,
  withLogState,
} from "./logger";
export type { LogCallOptions, LogFormat, LoggerOptions, RateSpec } from "./options";
export type { SerializeLimits } from "./serialize";
export { DEFAULT_SERIALIZE_LIMITS } from "./serialize";
export type { LineSink, LogRecord, LogSink, MemorySink, RecordSink } from "./sinks";
export { consoleSink, lineSink, memorySink, recordSink } from "./sinks";

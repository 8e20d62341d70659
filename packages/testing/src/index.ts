// logs
export type { CapturedLog, LogQuery } from "./logs/match";
export { matchesSubset } from "./logs/match";
export type { MatcherResult } from "./matchers";
export { toHaveLogged } from "./matchers";
export { groundworkMatchers } from "./matchers-all";
export type { TestTelemetry, TestTelemetryOptions } from "./telemetry";
export { captureTelemetry, testTelemetry } from "./telemetry";

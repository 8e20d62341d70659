export type { TestingErrorCode, TestingErrorOptions } from "./errors";
export { TestingError } from "./errors";
// logs
export type { CapturedLog, LogQuery } from "./logs/match";
export { matchesSubset } from "./logs/match";
export type { MatcherResult } from "./matchers";
export { toHaveLogged } from "./matchers";
export { groundworkMatchers } from "./matchers-all";
// metrics
export type { MetricSource } from "./metrics/matchers";
export { toHaveMetric } from "./metrics/matchers";
export type { TestExporters, TestTelemetry, TestTelemetryOptions } from "./telemetry";
export { createTestTelemetry } from "./telemetry";
// tracing
export type {
  RenderTraceTreeOptions,
  SpanSource,
  TraceCapture,
  TraceCaptureOptions,
  TraceMatcherContext,
  TraceMatcherResult,
  TraceNode,
  TraceNodeEvent,
  TraceNodeKind,
  TraceNodeLink,
  TraceNodeStatus,
  TraceShape,
} from "./traces/index";
export {
  buildTraceTrees,
  createTraceCapture,
  expectTraceTree,
  renderTraceTree,
  setTraceCapture,
  toHaveSpan,
  toHaveTraceTree,
  traceMatchers,
  traceOutline,
} from "./traces/index";

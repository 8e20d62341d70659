export type { TraceCapture, TraceCaptureOptions } from "./capture";
export { createTraceCapture, setTraceCapture } from "./capture";
export type { SpanSource, TraceMatcherContext, TraceMatcherResult } from "./matchers";
export { toHaveSpan, toHaveTraceTree, traceMatchers } from "./matchers";
export type { RenderTraceTreeOptions } from "./render";
export { renderTraceTree } from "./render";
export type { TraceShape } from "./shape";
export { expectTraceTree, traceOutline } from "./shape";
export type {
  TraceNode,
  TraceNodeEvent,
  TraceNodeKind,
  TraceNodeLink,
  TraceNodeStatus,
} from "./tree";
export { buildTraceTrees } from "./tree";

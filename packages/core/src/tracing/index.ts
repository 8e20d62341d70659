export type { TracingErrorCode } from "./errors";
export { TracingError } from "./errors";
export { addSpanEvent, currentSpan, currentTraceId, setSpanAttributes } from "./helpers";
export type { ForkMarker } from "./keys";
export {
  currentTracer,
  FORK_KEY,
  SAMPLING_RATIO_KEY,
  TRACER_KEY,
  TRACER_NAME,
  withSamplingRatio,
  withTracer,
} from "./keys";
export type { HeaderGetter, HeaderRecord, HeaderSetter, HeadersLike } from "./propagation";
export {
  BAGGAGE_HEADER,
  extractContext,
  formatBaggage,
  formatTraceparent,
  injectHeaders,
  parseBaggage,
  parseTraceparent,
  parseTracestate,
  TRACEPARENT_HEADER,
  TRACESTATE_HEADER,
  w3cPropagator,
  w3cTraceparent,
} from "./propagation";
export type { TracingOptions, TracingRuntime } from "./runtime";
export { createTracing } from "./runtime";
export type { GroundworkSamplerOptions, TraceRateLimit } from "./sampler";
export { createSampler, traceIdUnderRatio } from "./sampler";
export type { GroundworkSpanOptions, SpanFn } from "./span";
export { recordSpanError, runInSpan, span } from "./span";
export type { ForkedTraceOptions, StartTraceOptions } from "./traces";
export {
  ATTR_FORK_NAME,
  ATTR_FORK_SPAN_ID,
  ATTR_FORK_TRACE_ID,
  ATTR_LINK_RELATION,
  FORK_EVENT_NAME,
  runInForkedTrace,
  startTrace,
  withForkedTrace,
} from "./traces";

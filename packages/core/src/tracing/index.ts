export type { TracingOptions, TracingRuntime } from "./runtime";
export { createTracing } from "./runtime";
export type { GroundworkSamplerOptions, TraceRateLimit } from "./sampler";
export { createSampler, traceIdUnderRatio } from "./sampler";
export { setSamplingRatio } from "./sampling-ratio";
export { getTracer, setTracer, TRACER_NAME } from "./tracer";
export {
  ATTR_FORK_NAME,
  ATTR_FORK_SPAN_ID,
  ATTR_FORK_TRACE_ID,
  ATTR_LINK_RELATION,
  FORK_EVENT_NAME,
} from "./traces";

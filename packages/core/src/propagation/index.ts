export type { HeaderGetter, HeaderRecord, HeaderSetter, HeadersLike } from "./w3c";
export {
  BAGGAGE_HEADER,
  formatBaggage,
  formatTraceparent,
  parseBaggage,
  parseTraceparent,
  parseTracestate,
  RANDOM_TRACE_FLAG,
  TRACEPARENT_HEADER,
  TRACESTATE_HEADER,
  w3cPropagator,
} from "./w3c";

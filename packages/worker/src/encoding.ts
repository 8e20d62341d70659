import type { OtlpTraceEncoding } from "@groundwork/core/otlp";
import type { OtlpMetricsEncoding } from "@groundwork/metrics/otlp";
import { protobufMetrics, protobufSpans } from "./internal/protobuf";

/**
 * The encoders of one OTLP/HTTP protocol for the signals a Worker exports (spans and request
 * metrics). A Worker bundles the protobuf ones; `otlpJson` from `@groundwork/worker/otlp-json`
 * is the JSON one, passed as `otlpJson`, so that Workers sending protobuf do not bundle it.
 *
 * @example
 * ```ts
 * import { otlpJson } from "@groundwork/worker/otlp-json";
 * const encoding: WorkerOtlpEncoding = otlpJson;
 * ```
 */
export interface WorkerOtlpEncoding {
  /** Encodes spans. */
  readonly traces: OtlpTraceEncoding;
  /** Encodes the request metrics. */
  readonly metrics: OtlpMetricsEncoding;
}

/** The encoding every Worker bundles: binary protobuf, the OTLP default. */
export const protobufEncoding: WorkerOtlpEncoding = {
  traces: protobufSpans,
  metrics: protobufMetrics,
};

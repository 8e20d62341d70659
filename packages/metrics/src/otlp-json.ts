// `@groundwork/metrics/otlp-json`: the OTLP/HTTP JSON encoding of metrics alone. Like
// `otlp-push`, it imports nothing from the package root, so code that pushes JSON with
// `createOtlpMetricsPusherFor` (a Worker's) does not load the registry, whose
// `defaultRegistry` is created when the root loads.
import type { OtlpMetricsEncoding } from "@groundwork/metrics/otlp-push";
import { JsonMetricsSerializer } from "@opentelemetry/otlp-transformer";

/**
 * Protobuf-JSON (`http/json`), with `@opentelemetry/otlp-transformer`: the encoding to pass
 * to `createOtlpMetricsPusherFor` of `@groundwork/metrics/otlp-push` for a collector
 * configured for OTLP/JSON. `@groundwork/metrics/otlp` exports the same value.
 *
 * @example
 * ```ts
 * import { createRegistry } from "@groundwork/metrics";
 * import { jsonMetricsEncoding } from "@groundwork/metrics/otlp-json";
 * import { createOtlpMetricsPusherFor } from "@groundwork/metrics/otlp-push";
 *
 * const pusher = createOtlpMetricsPusherFor(jsonMetricsEncoding, {
 *   registry: createRegistry({ serviceName: "edge" }),
 *   intervalMs: 0,
 * });
 * ```
 */
export const jsonMetricsEncoding: OtlpMetricsEncoding = {
  protocol: "http/json",
  encode: (request) => JsonMetricsSerializer.serializeRequest(request),
  decodeResponse: (body) => JsonMetricsSerializer.deserializeResponse(body),
};

// `@groundwork/worker/otlp-json`: the OTLP/HTTP JSON encoders. A separate entry point: a
// Worker bundles the protobuf encoders only, unless it imports this one.
import { jsonTraceEncoding } from "@groundwork/core/otlp";
import { jsonMetricsEncoding } from "@groundwork/metrics/otlp-json";
import type { WorkerOtlpEncoding } from "./encoding";

/**
 * The OTLP/HTTP JSON encoders (`http/json`) of spans and request metrics. Pass it as the
 * `otlpJson` option of a Worker whose collector is configured for `http/json` (`otlp.protocol`
 * or `OTEL_EXPORTER_OTLP_PROTOCOL`); without it such a Worker sends protobuf, which every
 * OTLP/HTTP receiver accepts too, and says so once on the console.
 *
 * @example
 * ```ts
 * import { instrument } from "@groundwork/worker";
 * import { otlpJson } from "@groundwork/worker/otlp-json";
 *
 * export default instrument(
 *   { fetch: async () => new Response("ok") },
 *   {
 *     serviceName: "orders",
 *     otlp: { endpoint: "https://otel.example.com", protocol: "http/json" },
 *     otlpJson,
 *   },
 * );
 * ```
 */
export const otlpJson: WorkerOtlpEncoding = {
  traces: jsonTraceEncoding,
  metrics: jsonMetricsEncoding,
};

export type { WorkerOtlpEncoding } from "./encoding";

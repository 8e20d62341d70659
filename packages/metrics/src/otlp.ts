import type { OtlpProtocol } from "@groundwork/core/otlp";
import { defaultRegistry, MetricsError, type Registry } from "@groundwork/metrics";
import { jsonMetricsEncoding } from "@groundwork/metrics/otlp-json";
import {
  type OtlpMetricsEncoding,
  type OtlpMetricsPusher,
  type OtlpMetricsPushOptions,
  createOtlpMetricsPusherFor as pusherFor,
} from "@groundwork/metrics/otlp-push";
import { ProtobufMetricsSerializer } from "@opentelemetry/otlp-transformer";

export type {
  MetricsTemporality,
  OtlpMetricsEncoding,
  OtlpMetricsPusher,
  OtlpMetricsPusherStats,
} from "@groundwork/metrics/otlp-push";
export { DEFAULT_OTLP_METRICS_ENDPOINT } from "@groundwork/metrics/otlp-push";

/**
 * Options of {@link createOtlpMetricsPusher}: those of `createOtlpMetricsPusherFor` in
 * `@groundwork/metrics/otlp-push`, with the registry optional and a protocol name.
 *
 * @example
 * ```ts
 * const options: OtlpMetricsPusherOptions = { protocol: "http/json", intervalMs: 0 };
 * ```
 */
export interface OtlpMetricsPusherOptions extends Omit<OtlpMetricsPushOptions, "registry"> {
  /** The registry to push. Default {@link defaultRegistry}. */
  registry?: Registry;
  /** Encoding. Default `"http/protobuf"`. */
  protocol?: OtlpProtocol;
}

/** Binary protobuf (`http/protobuf`, the OTLP default), with `@opentelemetry/otlp-transformer`. */
export const protobufMetricsEncoding: OtlpMetricsEncoding = {
  protocol: "http/protobuf",
  encode: (request) => ProtobufMetricsSerializer.serializeRequest(request),
  decodeResponse: (body) => ProtobufMetricsSerializer.deserializeResponse(body),
};

// Protobuf-JSON (`http/json`): defined in `@groundwork/metrics/otlp-json`, which does not
// load the package root, and exported here too.
export { jsonMetricsEncoding };

/**
 * Pushes a registry's metrics over OTLP/HTTP with the core sender: for
 * Workers and other places nothing can scrape. Families keep their names
 * without the service prefix (the service is the `service.name` resource
 * attribute); counters become monotonic sums, gauges gauges, info metrics
 * gauges of 1, histograms explicit-bucket histograms.
 *
 * Memory stays bounded: delta temporality remembers one previous value per
 * live series, and forgets series that disappeared.
 *
 * @param options - registry (default {@link defaultRegistry}), endpoint
 *   (default {@link DEFAULT_OTLP_METRICS_ENDPOINT}), protocol (default
 *   protobuf), temporality (default cumulative), intervalMs (default 60 000;
 *   0 = only on flush), sender/headers/timeout/retry, resource
 * @returns the pusher; call `shutdown()` when the service stops
 * @throws MetricsError `ERR_INVALID_OPTION` for invalid options (a registry
 *   not made by `createRegistry`, an unknown protocol or temporality, a
 *   negative or non-finite interval or timeout, an endpoint that is not an
 *   http(s) URL, a `sender` without `send()` and `shutdown()`)
 * @example
 * ```ts
 * const pusher = createOtlpMetricsPusher({ endpoint: "https://otel.example.com/v1/metrics", intervalMs: 0 });
 * export default {
 *   async fetch(request: Request, env: unknown, ctx: { waitUntil(p: Promise<unknown>): void }) {
 *     http.requests({ method: request.method }).inc();
 *     ctx.waitUntil(pusher.flush());
 *     return new Response("ok");
 *   },
 * };
 * ```
 */
export function createOtlpMetricsPusher(options: OtlpMetricsPusherOptions = {}): OtlpMetricsPusher {
  const protocol: OtlpProtocol = options.protocol ?? "http/protobuf";
  if (protocol !== "http/protobuf" && protocol !== "http/json") {
    invalid(`protocol must be "http/protobuf" or "http/json", got ${JSON.stringify(protocol)}`);
  }
  return createOtlpMetricsPusherFor(
    protocol === "http/json" ? jsonMetricsEncoding : protobufMetricsEncoding,
    options,
  );
}

/**
 * Creates the pusher of {@link createOtlpMetricsPusher} for one given encoding, so that a
 * bundle holds only that encoding's code: `protocol` in `options` is ignored and the bodies
 * are in `encoding.protocol`. The same function of `@groundwork/metrics/otlp-push`, with
 * the registry defaulting to {@link defaultRegistry}.
 *
 * @param encoding - {@link protobufMetricsEncoding} or {@link jsonMetricsEncoding}
 * @param options - as {@link createOtlpMetricsPusher}'s. Default `{}`.
 * @returns the pusher; call `shutdown()` when the service stops
 * @throws MetricsError `ERR_INVALID_OPTION` for invalid options, as {@link createOtlpMetricsPusher}
 * @example
 * ```ts
 * const pusher = createOtlpMetricsPusherFor(protobufMetricsEncoding, { intervalMs: 0 });
 * ```
 */
export function createOtlpMetricsPusherFor(
  encoding: OtlpMetricsEncoding,
  options: OtlpMetricsPusherOptions = {},
): OtlpMetricsPusher {
  return pusherFor(encoding, { ...options, registry: options.registry ?? defaultRegistry });
}

function invalid(message: string): never {
  throw new MetricsError("ERR_INVALID_OPTION", message);
}

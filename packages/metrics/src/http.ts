import {
  type ExpositionFormat,
  OPENMETRICS_CONTENT_TYPE,
  PROMETHEUS_CONTENT_TYPE,
  type Registry,
} from "./registry";

/**
 * Picks the exposition format for an `Accept` header: OpenMetrics 1.0 when the
 * client accepts `application/openmetrics-text` (version 1.0.0 or unspecified)
 * at least as much as plain text, otherwise the Prometheus text format.
 *
 * @param accept - the request's `Accept` header; missing or empty means text
 * @returns `"openmetrics"` or `"prometheus"`
 * @example
 * ```ts
 * negotiateFormat("application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5"); // "openmetrics"
 * negotiateFormat("text/plain"); // "prometheus"
 * ```
 */
export function negotiateFormat(accept: string | null | undefined): ExpositionFormat {
  if (!accept) return "prometheus";
  let om = 0;
  let text = 0;
  for (const range of accept.split(",")) {
    const [rawType = "", ...params] = range.split(";");
    const type = rawType.trim().toLowerCase();
    let q = 1;
    let version: string | undefined;
    for (const p of params) {
      const eq = p.indexOf("=");
      if (eq < 0) continue;
      const key = p.slice(0, eq).trim().toLowerCase();
      const value = p
        .slice(eq + 1)
        .trim()
        .replace(/^"|"$/g, "");
      if (key === "q") {
        const n = Number(value);
        q = Number.isFinite(n) ? Math.min(Math.max(n, 0), 1) : 0;
      } else if (key === "version") {
        version = value;
      }
    }
    if (type === "application/openmetrics-text") {
      if (version === undefined || version === "1.0.0") om = Math.max(om, q);
    } else if (type === "text/plain" || type === "text/*" || type === "*/*") {
      text = Math.max(text, q);
    }
  }
  return om > 0 && om >= text ? "openmetrics" : "prometheus";
}

/**
 * The content type that goes with a format.
 *
 * @param format - `"prometheus"` or `"openmetrics"`
 * @returns the `Content-Type` header value
 * @example
 * ```ts
 * contentTypeOf("openmetrics"); // "application/openmetrics-text; version=1.0.0; charset=utf-8"
 * ```
 */
export function contentTypeOf(format: ExpositionFormat): string {
  return format === "openmetrics" ? OPENMETRICS_CONTENT_TYPE : PROMETHEUS_CONTENT_TYPE;
}

/** The parts of a fetch `Request` the handler reads. */
export interface MetricsRequest {
  readonly method: string;
  readonly headers: { get(name: string): string | null };
}

/** The parts of a fetch `Response` the handler returns. */
export interface MetricsResponse {
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  text(): Promise<string>;
}

/**
 * The runtime's own `Response` type where the consumer's compilation has one
 * (DOM, Workers or Node typings), else {@link MetricsResponse}: the package
 * compiles without those typings, and callers should not need a cast.
 */
export type RuntimeResponse = typeof globalThis extends { Response: { prototype: infer R } }
  ? R
  : MetricsResponse;

interface ResponseConstructor {
  new (
    body: string | null,
    init: { status: number; headers: Record<string, string> },
  ): RuntimeResponse;
}

/**
 * Answers a scrape: renders the registry in the negotiated format. Only GET
 * and HEAD are allowed (405 otherwise).
 *
 * @param registry - the registry to render
 * @param request - a fetch `Request` (or anything with `method` and `headers.get`)
 * @returns a fetch `Response` with the matching `Content-Type`
 * @example
 * ```ts
 * export default { fetch: (request: Request) => handleMetricsRequest(defaultRegistry, request) };
 * ```
 */
export function handleMetricsRequest(registry: Registry, request: MetricsRequest): RuntimeResponse {
  const ResponseCtor = (globalThis as unknown as { Response: ResponseConstructor }).Response;
  const method = request.method.toUpperCase();
  if (method !== "GET" && method !== "HEAD") {
    return new ResponseCtor("method not allowed\n", {
      status: 405,
      headers: { allow: "GET, HEAD", "content-type": "text/plain; charset=utf-8" },
    });
  }
  const format = negotiateFormat(request.headers.get("accept"));
  const body = registry.collect(format);
  return new ResponseCtor(method === "HEAD" ? null : body, {
    status: 200,
    headers: { "content-type": contentTypeOf(format), "cache-control": "no-store" },
  });
}

/**
 * A fetch handler serving one registry, for routers that take handlers.
 *
 * @param registry - the registry to render
 * @returns `(request) => Response`
 * @example
 * ```ts
 * const metrics = metricsHandler(defaultRegistry);
 * // in a router: if (url.pathname === "/metrics") return metrics(request);
 * ```
 */
export function metricsHandler(registry: Registry): (request: MetricsRequest) => RuntimeResponse {
  return (request) => handleMetricsRequest(registry, request);
}

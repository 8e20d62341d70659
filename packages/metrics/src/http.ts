import { runtimeGlobal } from "@groundwork/platform";
import { contentTypeOf, negotiateFormat } from "./format";
import type { Registry } from "./registry";

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
  const ResponseCtor = runtimeGlobal<ResponseConstructor>("Response") as ResponseConstructor;
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

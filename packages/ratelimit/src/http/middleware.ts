import { runtimeGlobal } from "@groundwork/platform";
import { invalidOption, RateLimitError } from "../errors";
import type { Limiter, RateLimitResult } from "../types";
import { formatPolicy, formatRateLimit, formatRetryAfter } from "./headers";

// Web-standard Request/Response described structurally: this package
// compiles without DOM or Node typings.
/** The part of a fetch `Request` the middleware reads. */
export interface RequestLike {
  readonly headers: { get(name: string): string | null };
}

/** The part of a fetch `Response` the middleware touches. */
export interface ResponseLike {
  readonly status: number;
  readonly headers: { set(name: string, value: string): void };
}

/**
 * Where the rate-limit key comes from: `"ip"` (the `CF-Connecting-IP`
 * header, then `X-Forwarded-For` if `trustedProxies` > 0), a request header,
 * or a function. A function returning `undefined` exempts the request.
 */
export type KeySource<Req, A extends unknown[]> =
  | "ip"
  | { header: string }
  | ((request: Req, ...rest: A) => string | undefined | Promise<string | undefined>);

/** Options of {@link rateLimit}. */
export interface RateLimitOptions<
  Req extends RequestLike,
  Res extends ResponseLike,
  A extends unknown[],
> {
  /** Any limiter: in-memory, Redis or Workers binding. */
  limiter: Limiter;
  /** Key source. Default `"ip"`. Requests with no IP or header share the key `"unknown"`. */
  key?: KeySource<Req, A>;
  /**
   * Proxies in front of the service that append to `X-Forwarded-For`. With
   * n > 0 the client is the n-th address from the right. Default 0: the
   * header is ignored, because clients can forge it.
   */
  trustedProxies?: number;
  /** Units a request costs: a number or a function of the request. Default 1. */
  cost?: number | ((request: Req, ...rest: A) => number);
  /** Policy name in the `RateLimit-Policy` and `RateLimit` headers. Default `"default"`. */
  policyName?: string;
  /** Add `RateLimit-Policy` and `RateLimit` to every response, not only 429s. Default `true`. */
  headers?: boolean;
  /** Builds the 429 response. Default: plain-text "Too Many Requests". Headers are added to it. */
  onLimited?: (result: RateLimitResult, request: Req, ...rest: A) => Res | Promise<Res>;
  /** Told when the key function, cost function or limiter throws; the request then passes. */
  onError?: (error: unknown) => void;
}

interface ResponseConstructor {
  new (
    body: unknown,
    init?: { status?: number; statusText?: string; headers?: unknown },
  ): ResponseLike;
}

interface FullResponse extends ResponseLike {
  readonly body: unknown;
  readonly statusText: string;
  readonly headers: ResponseLike["headers"];
}

/**
 * Wraps a fetch-style handler `(request, ...rest) => Response` with a rate
 * limit. Refused requests get `429 Too Many Requests` with `Retry-After`;
 * every response carries `RateLimit-Policy` and, when the limiter is exact,
 * `RateLimit` (IETF httpapi draft). The handler is not called for refused
 * requests. Limiter failures let the request through (see `onError`).
 *
 * @param options - limiter (required), key (`"ip"`), trustedProxies (0),
 *   cost (1), policyName (`"default"`), headers (`true`), onLimited, onError.
 * @param handler - the handler to protect; extra arguments (env, ctx) are passed through.
 * @returns the wrapped handler.
 * @throws {RateLimitError} `ERR_INVALID_OPTION` for any invalid option.
 * @example
 * ```ts
 * import { createLimiter } from "@groundwork/ratelimit";
 * import { rateLimit } from "@groundwork/ratelimit/http";
 *
 * const handler = rateLimit(
 *   { limiter: createLimiter({ rate: "10/s", burst: 20 }), key: "ip" },
 *   (request: Request) => new Response("hello"),
 * );
 * ```
 */
export function rateLimit<Req extends RequestLike, Res extends ResponseLike, A extends unknown[]>(
  options: RateLimitOptions<Req, Res, A>,
  handler: (request: Req, ...rest: A) => Res | Promise<Res>,
): (request: Req, ...rest: A) => Promise<Res> {
  if (typeof handler !== "function") throw invalidOption("handler must be a function");
  const { limiter, onLimited, onError } = options;
  if (typeof limiter !== "object" || limiter === null || typeof limiter.check !== "function") {
    throw invalidOption("limiter must be a Limiter (createLimiter, createRedisLimiter, …)");
  }
  const keySource = options.key ?? "ip";
  const trustedProxies = options.trustedProxies ?? 0;
  if (!Number.isInteger(trustedProxies) || trustedProxies < 0) {
    throw invalidOption(`trustedProxies must be a non-negative integer, got ${trustedProxies}`);
  }
  const name = options.policyName ?? "default";
  const addHeaders = options.headers ?? true;
  const policyHeader = formatPolicy(name, limiter.policy);
  const cost = options.cost ?? 1;
  const fixedCost = typeof cost === "number" ? { cost } : undefined;

  const keyOf = (request: Req, rest: A): string | undefined | Promise<string | undefined> => {
    if (keySource === "ip") return clientIp(request, trustedProxies) ?? "unknown";
    if (typeof keySource === "function") return keySource(request, ...rest);
    return request.headers.get(keySource.header) ?? "unknown";
  };

  const report = (err: unknown) => {
    if (!onError) return;
    try {
      onError(err);
    } catch {
      // The hook is for observation; it must not break serving.
    }
  };

  return async (request: Req, ...rest: A): Promise<Res> => {
    let result: RateLimitResult | undefined;
    try {
      const key = await keyOf(request, rest);
      if (key !== undefined) {
        const checkOptions =
          fixedCost ?? (typeof cost === "function" ? { cost: cost(request, ...rest) } : undefined);
        result = await limiter.check(key, checkOptions);
      }
    } catch (err) {
      report(err);
    }
    if (result === undefined) return handler(request, ...rest);

    if (!result.allowed) {
      const limited = onLimited
        ? await onLimited(result, request, ...rest)
        : (tooManyRequests() as Res);
      const retryAfter = formatRetryAfter(result.retryAfterMs);
      const withHeaders = decorate(limited, result, retryAfter, true);
      return withHeaders;
    }
    const response = await handler(request, ...rest);
    return addHeaders ? decorate(response, result, undefined, false) : response;
  };

  function decorate(
    response: Res,
    result: RateLimitResult,
    retryAfter: string | undefined,
    limited: boolean,
  ): Res {
    // A 101 carries a WebSocket that a rebuilt Response would lose.
    if (response.status === 101) return response;
    const apply = (r: ResponseLike) => {
      if (limited && retryAfter !== undefined) r.headers.set("Retry-After", retryAfter);
      if (addHeaders || limited) {
        r.headers.set("RateLimit-Policy", policyHeader);
        // Only state the store actually knows (not the Workers binding's, nor a failed store's).
        if (
          limiter.exact &&
          Number.isFinite(result.remaining) &&
          Number.isFinite(result.resetAfterMs)
        ) {
          r.headers.set("RateLimit", formatRateLimit(name, result));
        }
      }
    };
    try {
      apply(response);
      return response;
    } catch {
      // Headers of a fetched Response are immutable: copy it, then set.
      const full = response as unknown as FullResponse;
      const copy = new (responseConstructor())(full.body, {
        status: full.status,
        statusText: full.statusText,
        headers: full.headers,
      });
      try {
        apply(copy);
      } catch (err) {
        report(err);
        return response;
      }
      return copy as Res;
    }
  }
}

/**
 * The client address as seen by the edge: `CF-Connecting-IP`, else — only
 * when `trustedProxies` > 0 — the address the outermost trusted proxy
 * appended to `X-Forwarded-For`.
 *
 * @param request - the incoming request.
 * @param trustedProxies - proxies that append to `X-Forwarded-For`; default 0 (ignore it).
 * @returns the address, or `undefined` when none is known.
 * @example
 * ```ts
 * clientIp(new Request("https://x/", { headers: { "X-Forwarded-For": "203.0.113.9, 10.0.0.2" } }), 1); // "10.0.0.2"
 * ```
 */
export function clientIp(request: RequestLike, trustedProxies = 0): string | undefined {
  const cf = request.headers.get("CF-Connecting-IP")?.trim();
  if (cf) return cf;
  if (trustedProxies <= 0) return undefined;
  const forwarded = request.headers.get("X-Forwarded-For");
  if (!forwarded) return undefined;
  const hops = forwarded
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (hops.length === 0) return undefined;
  return hops[Math.max(0, hops.length - trustedProxies)];
}

function responseConstructor(): ResponseConstructor {
  const ctor = runtimeGlobal<ResponseConstructor>("Response");
  if (!ctor) {
    throw new RateLimitError("ERR_INVALID_OPTION", "this runtime has no global Response");
  }
  return ctor;
}

function tooManyRequests(): ResponseLike {
  return new (responseConstructor())("Too Many Requests\n", {
    status: 429,
    headers: { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store" },
  });
}

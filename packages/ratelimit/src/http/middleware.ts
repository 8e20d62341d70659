import { runtimeGlobal } from "@groundwork/platform";
import { invalidOption, RateLimitError } from "../errors";
import type { Limiter, RateLimitResult } from "../types";
import { type ClientAddressOptions, clientIp, type ProxyHeader } from "./client-address";
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
 * Where the rate-limit key comes from: `"ip"` (the client address: the
 * connection's peer, or a trusted forwarding header; see
 * {@link RateLimitOptions.trustedProxies}), a request header, or a function.
 * A function returning `undefined` exempts the request.
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
  /**
   * Key source. Default `"ip"`. A request without a usable key (no address
   * known, or the header missing) is handled by `unkeyed`, never put in a
   * shared bucket.
   */
  key?: KeySource<Req, A>;
  /**
   * Reads the address of the connection's peer. Default: the
   * `remoteAddress` string of the handler's second argument, when it is an
   * object that has one (what `@groundwork/node` passes: `(request, { remoteAddress })`).
   */
  peerAddress?: (request: Req, ...rest: A) => string | undefined;
  /**
   * Proxies in front of the service, each appending to `proxyHeader`. With
   * n > 0 the chain (header entries, then the peer) is walked from the right
   * over n trusted hops. Default 0: forwarding headers are ignored, because
   * clients can forge them.
   */
  trustedProxies?: number;
  /** The header the trusted proxies write. Default `"X-Forwarded-For"`. */
  proxyHeader?: ProxyHeader;
  /**
   * Key on `CF-Connecting-IP`. Set it in a Worker (Cloudflare sets the field
   * on every request) or behind Cloudflare when the origin accepts no other
   * traffic; anywhere else clients can forge it. Default `false`.
   */
  trustCloudflare?: boolean;
  /**
   * What happens to a request without a usable key: `"refuse"` answers 429
   * (through `onLimited`, with `retryAfterMs: Infinity` and no `Retry-After`)
   * and tells `onError` (`ERR_NO_KEY`); `"allow"` serves it unlimited.
   * Default `"refuse"`.
   */
  unkeyed?: "refuse" | "allow";
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
 * By default requests are keyed on the connection's peer address, taken from
 * the handler's second argument `{ remoteAddress }` (what `@groundwork/node`
 * passes) or from `peerAddress`; forwarding headers count only when trusted
 * (`trustedProxies`, `trustCloudflare`), and a request with no usable key is
 * refused (`unkeyed`), never put in a shared bucket.
 *
 * @param options - limiter (required), key (`"ip"`), peerAddress (the second
 *   argument's `remoteAddress`), trustedProxies (0), proxyHeader
 *   (`"X-Forwarded-For"`), trustCloudflare (`false`), unkeyed (`"refuse"`),
 *   cost (1), policyName (`"default"`), headers (`true`), onLimited, onError.
 * @param handler - the handler to protect; extra arguments (env, ctx) are passed through.
 * @returns the wrapped handler.
 * @throws {RateLimitError} `ERR_INVALID_OPTION` for any invalid option.
 * @example
 * ```ts
 * import { createLimiter } from "@groundwork/ratelimit";
 * import { rateLimit } from "@groundwork/ratelimit/http";
 *
 * // Behind a server adapter that calls handler(request, { remoteAddress }).
 * const handler = rateLimit(
 *   { limiter: createLimiter({ rate: "10/s", burst: 20 }) },
 *   (request: Request, connection: { remoteAddress: string }) => new Response("hello"),
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
  if (
    keySource !== "ip" &&
    typeof keySource !== "function" &&
    (typeof keySource !== "object" || keySource === null || typeof keySource.header !== "string")
  ) {
    throw invalidOption('key must be "ip", { header } or a function');
  }
  const trustedProxies = options.trustedProxies ?? 0;
  if (!Number.isInteger(trustedProxies) || trustedProxies < 0) {
    throw invalidOption(`trustedProxies must be a non-negative integer, got ${trustedProxies}`);
  }
  const proxyHeader = options.proxyHeader ?? "X-Forwarded-For";
  if (proxyHeader !== "X-Forwarded-For" && proxyHeader !== "Forwarded") {
    throw invalidOption(
      `proxyHeader must be "X-Forwarded-For" or "Forwarded", got ${String(proxyHeader)}`,
    );
  }
  const unkeyed = options.unkeyed ?? "refuse";
  if (unkeyed !== "refuse" && unkeyed !== "allow") {
    throw invalidOption(`unkeyed must be "refuse" or "allow", got ${String(unkeyed)}`);
  }
  const { peerAddress } = options;
  if (peerAddress !== undefined && typeof peerAddress !== "function") {
    throw invalidOption("peerAddress must be a function");
  }
  if (onLimited === undefined && runtimeGlobal("Response") === undefined) {
    throw invalidOption("this runtime has no global Response: pass onLimited");
  }
  const addressOptions: ClientAddressOptions = {
    trustedProxies,
    proxyHeader,
    trustCloudflare: options.trustCloudflare === true,
  };
  const name = options.policyName ?? "default";
  const addHeaders = options.headers ?? true;
  const policyHeader = formatPolicy(name, limiter.policy);
  const cost = options.cost ?? 1;
  const fixedCost = typeof cost === "number" ? { cost } : undefined;

  const peerOf = (request: Req, rest: A): string | undefined => {
    if (peerAddress) return peerAddress(request, ...rest);
    const conn = rest[0] as { remoteAddress?: unknown } | null | undefined;
    return typeof conn === "object" && conn !== null && typeof conn.remoteAddress === "string"
      ? conn.remoteAddress
      : undefined;
  };

  // `null`: no usable key (handled by `unkeyed`); `undefined`: exempt.
  const keyOf = (
    request: Req,
    rest: A,
  ): string | null | undefined | Promise<string | undefined> => {
    if (keySource === "ip") {
      addressOptions.peerAddress = peerOf(request, rest);
      return clientIp(request, addressOptions) ?? null;
    }
    if (typeof keySource === "function") return keySource(request, ...rest);
    const value = request.headers.get(keySource.header);
    return value === null || value === "" ? null : value;
  };

  const report = (err: unknown) => {
    if (!onError) return;
    try {
      onError(err);
    } catch {
      // The hook is for observation; it must not break serving.
    }
  };

  // Awaiting only what is a promise: with a synchronous key and an in-memory
  // limiter the handler runs in the same microtask as the request, as each
  // `await` of a plain value would cost a microtask turn per request.
  return async (request: Req, ...rest: A): Promise<Res> => {
    let result: RateLimitResult | undefined;
    try {
      const found = keyOf(request, rest);
      const key = isPromiseLike(found) ? await found : found;
      if (key === null) {
        if (unkeyed === "refuse") {
          report(
            new RateLimitError(
              "ERR_NO_KEY",
              "request refused: no client address or key (see the rateLimit options key, peerAddress, trustedProxies)",
            ),
          );
          result = NO_KEY;
        }
      } else if (key !== undefined) {
        const checkOptions =
          fixedCost ?? (typeof cost === "function" ? { cost: cost(request, ...rest) } : undefined);
        const checked = limiter.check(key, checkOptions);
        result = isPromiseLike(checked) ? await checked : checked;
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
          r.headers.set("RateLimit", formatRateLimit(name, result, limiter.policy));
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

function isPromiseLike<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { then?: unknown }).then === "function"
  );
}

// Checked at construction unless onLimited builds the responses.
function responseConstructor(): ResponseConstructor {
  return runtimeGlobal<ResponseConstructor>("Response") as ResponseConstructor;
}

const NO_KEY: RateLimitResult = Object.freeze({
  allowed: false,
  remaining: Number.NaN,
  retryAfterMs: Number.POSITIVE_INFINITY,
  resetAfterMs: Number.NaN,
});

function tooManyRequests(): ResponseLike {
  return new (responseConstructor())("Too Many Requests\n", {
    status: 429,
    headers: { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store" },
  });
}

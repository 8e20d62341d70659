import { injectHeaders, span } from "@groundwork/core";
import { type Span, SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { NodeError } from "../errors";
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_REQUEST_METHOD_ORIGINAL,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_FULL,
} from "../http/attributes";
import { checkBoolean, checkFunction, checkOptionsObject, checkStringArray } from "../http/options";
import { normaliseMethod, OTHER_METHOD } from "../http/route";
import { errorType } from "../http/telemetry";

/** A `fetch` function, as the global one. */
export type FetchFunction = (
  input: string | URL | Request,
  init?: RequestInit,
) => Promise<Response>;

/** Options of {@link instrumentFetch}. */
export interface InstrumentFetchOptions {
  /** The `fetch` to wrap. Default: `globalThis.fetch` when `instrumentFetch` is called. */
  fetch?: FetchFunction;
  /**
   * Also replace `globalThis.fetch` with the wrapper, so libraries calling
   * the global `fetch` are traced too. Default `false`: only callers of the
   * returned function are.
   */
  install?: boolean;
  /**
   * Query parameters whose values are replaced by `[REDACTED]` in `url.full`,
   * on top of the built-in list (signatures, tokens, keys, passwords;
   * compared case-insensitively). Default none.
   */
  redactQueryParams?: readonly string[];
}

const REDACTED = "[REDACTED]";

// The parameters the semantic conventions name (AWSAccessKeyId, Signature,
// sig, X-Goog-Signature) and the usual credential carriers.
const SENSITIVE_PARAMS = [
  "awsaccesskeyid",
  "signature",
  "sig",
  "x-goog-signature",
  "x-goog-credential",
  "x-amz-signature",
  "x-amz-credential",
  "x-amz-security-token",
  "access_token",
  "refresh_token",
  "id_token",
  "token",
  "api_key",
  "apikey",
  "key",
  "password",
  "secret",
  "client_secret",
];

const ORIGINAL = Symbol.for("@groundwork/node.instrumentFetch.original");

interface Prepared {
  readonly name: string;
  readonly attributes: Record<string, string | number>;
}

function sanitiseUrl(url: URL, sensitive: ReadonlySet<string>): string {
  // Credentials never go into telemetry; nor does the fragment, which is not sent.
  let out = `${url.protocol}//${url.host}${url.pathname}`;
  if (url.search.length > 1) {
    const parts = url.search.slice(1).split("&");
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i] as string;
      const eq = part.indexOf("=");
      const rawKey = eq === -1 ? part : part.slice(0, eq);
      let key: string;
      try {
        key = decodeURIComponent(rawKey.replace(/\+/g, " ")).toLowerCase();
      } catch {
        key = rawKey.toLowerCase();
      }
      if (eq !== -1 && sensitive.has(key)) parts[i] = `${rawKey}=${REDACTED}`;
    }
    out += `?${parts.join("&")}`;
  }
  return out;
}

function prepare(
  input: string | URL | Request,
  init: RequestInit | undefined,
  sensitive: ReadonlySet<string>,
): Prepared {
  const isRequest = typeof Request !== "undefined" && input instanceof Request;
  const url = new URL(isRequest ? input.url : String(input));
  const original = (init?.method ?? (isRequest ? input.method : "GET")).toUpperCase();
  const method = normaliseMethod(original);
  const attributes: Record<string, string | number> = {
    [ATTR_HTTP_REQUEST_METHOD]: method,
    [ATTR_URL_FULL]: sanitiseUrl(url, sensitive),
    [ATTR_SERVER_ADDRESS]: url.hostname,
    [ATTR_SERVER_PORT]: url.port === "" ? (url.protocol === "https:" ? 443 : 80) : Number(url.port),
  };
  if (method === OTHER_METHOD) attributes[ATTR_HTTP_REQUEST_METHOD_ORIGINAL] = original;
  return { name: method === OTHER_METHOD ? "HTTP" : method, attributes };
}

function outgoingHeaders(input: string | URL | Request, init: RequestInit | undefined): Headers {
  const source =
    init?.headers ??
    (typeof Request !== "undefined" && input instanceof Request ? input.headers : undefined);
  return injectHeaders(new Headers(source));
}

async function call(
  s: Span,
  base: FetchFunction,
  input: string | URL | Request,
  init: RequestInit | undefined,
): Promise<Response> {
  let nextInit = init;
  try {
    nextInit = { ...init, headers: outgoingHeaders(input, init) };
  } catch {
    // Headers the fetch API refuses are left for fetch itself to refuse.
  }
  let response: Response;
  try {
    response = await base(input, nextInit);
  } catch (error) {
    try {
      s.setAttribute(ATTR_ERROR_TYPE, errorType(error));
    } catch {}
    throw error;
  }
  try {
    const status = response.status;
    s.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
    // Client spans mark 4xx and 5xx as errors (the semantic conventions' rule).
    if (status >= 400) {
      s.setAttribute(ATTR_ERROR_TYPE, String(status));
      s.setStatus({ code: SpanStatusCode.ERROR });
    }
  } catch {}
  return response;
}

/**
 * Wraps `fetch` so that every call runs in a CLIENT span of the current
 * trace, with HTTP semantic-convention attributes (`http.request.method`,
 * `url.full` without credentials and with secret query values redacted,
 * `server.address`, `server.port`, `http.response.status_code`,
 * `error.type`) and the span's `traceparent` (with `tracestate` and
 * `baggage`) sent in the request headers. 4xx and 5xx answers and failures
 * mark the span as an error. The wrapper resolves and rejects exactly as the
 * wrapped `fetch` does; nothing of its own is ever thrown.
 *
 * @param options - see {@link InstrumentFetchOptions}; default: wrap
 *   `globalThis.fetch`, do not install
 * @returns the instrumented `fetch`
 * @throws NodeError `ERR_INVALID_OPTION` for invalid options
 * @example
 * ```ts
 * import { instrumentFetch } from "@groundwork/node";
 *
 * const tracedFetch = instrumentFetch();
 * const res = await tracedFetch("https://api.example.com/v1/rates?api_key=s3cr3t");
 * // span "GET", url.full "https://api.example.com/v1/rates?api_key=[REDACTED]"
 *
 * instrumentFetch({ install: true }); // every global fetch() call is traced from now on
 * ```
 */
export function instrumentFetch(options: InstrumentFetchOptions = {}): FetchFunction {
  checkOptionsObject(options);
  checkFunction("fetch", options.fetch);
  checkBoolean("install", options.install);
  checkStringArray("redactQueryParams", options.redactQueryParams);
  let base = options.fetch ?? (globalThis.fetch as FetchFunction | undefined);
  if (typeof base !== "function") {
    throw new NodeError("ERR_INVALID_OPTION", "fetch: no global fetch to wrap; pass one");
  }
  // Wrapping a wrapper would make two spans per call.
  base = (base as { [ORIGINAL]?: FetchFunction })[ORIGINAL] ?? base;
  const wrapped = base;
  const sensitive = new Set([
    ...SENSITIVE_PARAMS,
    ...(options.redactQueryParams ?? []).map((k) => k.toLowerCase()),
  ]);
  const instrumented: FetchFunction = (input, init) => {
    let prepared: Prepared;
    try {
      prepared = prepare(input, init, sensitive);
    } catch {
      // Input fetch will refuse (a malformed URL): let it, with its own error.
      return wrapped(input, init);
    }
    return span(prepared.name, { kind: SpanKind.CLIENT, attributes: prepared.attributes }, (s) =>
      call(s, wrapped, input, init),
    );
  };
  Object.defineProperty(instrumented, ORIGINAL, { value: wrapped });
  if (options.install === true) globalThis.fetch = instrumented as typeof globalThis.fetch;
  return instrumented;
}

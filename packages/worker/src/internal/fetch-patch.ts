import { type Context, context, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { isTracingSuppressed } from "@opentelemetry/core";
import type { FetchFn } from "../types";
import { injectInto, recordError, runIn, traceparentOf } from "./core";
import { invocationOf } from "./invocation";

const PATCHED = Symbol.for("@groundwork/worker.fetch");

/**
 * Runs one outbound `fetch` in a CLIENT span under `parent`, with `traceparent` injected.
 * Outside an invocation, or with tracing suppressed (the exporters' own requests), the call
 * goes straight to `base`.
 */
export function tracedFetch(
  base: FetchFn,
  parent: Context,
  input: Request | string | URL,
  init: RequestInit | undefined,
): Promise<Response> {
  const invocation = invocationOf(parent);
  if (invocation === undefined || isTracingSuppressed(parent)) return base(input, init);
  let request: Request;
  try {
    request = new Request(input, init);
  } catch {
    // Let the runtime report a bad input as it would without us.
    return base(input, init);
  }
  const method = request.method;
  let url: URL | undefined;
  try {
    url = new URL(request.url);
  } catch {}
  const span = invocation.state.tracing.tracer.startSpan(
    method,
    {
      kind: SpanKind.CLIENT,
      attributes: {
        "http.request.method": method,
        ...(url === undefined
          ? {}
          : {
              "url.full": `${url.origin}${url.pathname}`,
              "server.address": url.hostname,
              ...(url.port === "" ? {} : { "server.port": Number(url.port) }),
            }),
      },
    },
    parent,
  );
  const spanContext = trace.setSpan(parent, span);
  try {
    // The Request made above is ours and its headers are mutable: write into them rather
    // than copying them into a second Request (a copy only where a runtime refused).
    injectInto(request.headers, spanContext);
    if (request.headers.get("traceparent") === null && traceparentOf(span.spanContext())) {
      const headers = new Headers(request.headers);
      injectInto(headers, spanContext);
      request = new Request(request, { headers });
    }
  } catch {}
  let pending: Promise<Response>;
  try {
    pending = runIn(spanContext, () => base(request));
  } catch (error) {
    recordError(span, error);
    span.end();
    throw error;
  }
  return pending.then(
    (response) => {
      try {
        span.setAttribute("http.response.status_code", response.status);
        if (response.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        span.end();
      } catch {}
      return response;
    },
    (error: unknown) => {
      recordError(span, error);
      span.end();
      throw error;
    },
  );
}

type PatchedFetch = FetchFn & { [PATCHED]?: FetchFn };

/** The runtime's own `fetch`, under our patch if it is installed. */
function originalFetch(): FetchFn {
  const current = (globalThis as unknown as { fetch: PatchedFetch }).fetch;
  const original = current[PATCHED] ?? current;
  return (input, init) => original.call(globalThis, input, init);
}

/**
 * Replaces the global `fetch`, once per isolate, by one that traces calls made inside an
 * invocation (found in the active context) and passes every other call through.
 */
export function installGlobalFetch(): void {
  const scope = globalThis as unknown as { fetch: PatchedFetch };
  const original = scope.fetch;
  if (typeof original !== "function" || original[PATCHED] !== undefined) return;
  const base: FetchFn = (input, init) => original.call(globalThis, input, init);
  const patched = (input: Request | string | URL, init?: RequestInit): Promise<Response> =>
    tracedFetch(base, context.active(), input, init);
  Object.defineProperty(patched, PATCHED, { value: original });
  scope.fetch = patched;
}

/** A `fetch` tracing every call under `otel`'s invocation, with or without an async context. */
export function boundFetch(otel: Context): FetchFn {
  return (input, init) => {
    // With an async context the active span (a child span inside the invocation) is the
    // parent; without one only the invocation's own context is known.
    const active = context.active();
    const parent = invocationOf(active) === invocationOf(otel) ? active : otel;
    return tracedFetch(originalFetch(), parent, input, init);
  };
}

import { epochNow } from "@groundwork/platform";
import {
  type Context,
  type Exception,
  type HrTime,
  INVALID_SPAN_CONTEXT,
  isSpanContextValid,
  type Span,
  type SpanContext,
  type SpanOptions,
  SpanStatusCode,
  TraceFlags,
  trace,
} from "@opentelemetry/api";
import { isTracingSuppressed, millisToHrTime } from "@opentelemetry/core";
import { activeContext, ensureContextManager, withContext } from "../context/manager";
import { extendable } from "../context/otel-context";
import { RANDOM_TRACE_FLAG } from "../propagation/w3c";
import { countInvalidInput, readParent, readSpanOptions } from "./attributes";
import { randomSpanId, randomTraceId } from "./ids";
import { checkInstalled } from "./install-hint";
import { type RootPath, rootPaths } from "./root-path";
import { getTracer, samplerFollowsLocalParent } from "./tracer";

/**
 * Options of {@link span}: the OpenTelemetry span options (`attributes`,
 * `kind`, `links`, `startTime`, `root`) and `parent`.
 */
export interface GroundworkSpanOptions extends SpanOptions {
  /**
   * The context to start the span in, instead of the active one: for code that
   * carries a context captured earlier (a queue consumer, a callback). Default:
   * the active context.
   */
  parent?: Context;
}

/** The function a span wraps. It receives the span, e.g. to add attributes once results are known. */
export type SpanFn<R> = (span: Span) => R;

/**
 * Marks a span as failed by `err`: an `exception` event and ERROR status.
 * Never throws.
 *
 * @param s - the span.
 * @param err - whatever was thrown or rejected with.
 * @example
 * ```ts
 * const s = getTracer().startSpan("upload");
 * upload().catch((err) => recordSpanError(s, err)).finally(() => s.end());
 * ```
 */
export function recordSpanError(s: Span, err: unknown): void {
  try {
    let exception: Exception;
    let message: string;
    if (err instanceof Error) {
      exception = err;
      message = err.message;
    } else if (typeof err === "object" && err !== null && "message" in err) {
      message = String((err as { message: unknown }).message);
      exception = { message, name: String((err as { name?: unknown }).name ?? "Error") };
    } else {
      message = String(err);
      exception = message;
    }
    s.recordException(exception);
    s.setStatus({ code: SpanStatusCode.ERROR, message });
  } catch {
    // A value whose String() throws still must not escape from telemetry code.
    try {
      s.setStatus({ code: SpanStatusCode.ERROR });
    } catch {}
  }
}

/**
 * Now, from {@link epochNow}, as an `HrTime`: a number would be taken by the SDK for a
 * `performance.now()` reading whenever it is not above it (in workerd, where the clock only
 * moves between I/O, it often is not) and shifted by a per-span offset.
 */
function hrNow(): HrTime {
  return millisToHrTime(epochNow());
}

/** The name a span gets when it was given something other than a string. */
const INVALID_SPAN_NAME = "<invalid>";

/**
 * A span name fit for export: `name` itself when it is a string, else
 * {@link INVALID_SPAN_NAME}. An untyped caller passing `undefined` or `null`
 * must cost only a name, never the batch the span is exported with.
 */
function spanName(name: unknown): string {
  return typeof name === "string" ? name : INVALID_SPAN_NAME;
}

function endSpan(s: Span): void {
  try {
    s.end(hrNow());
  } catch {}
}

/** Handlers shared by every async span: bound per span with the span as `this`. */
function endOk(this: Span): void {
  endSpan(this);
}
function endErr(this: Span, err: unknown): void {
  recordSpanError(this, err);
  endSpan(this);
}

/**
 * The span that opens a trace in this process (a new root, or the local root under a remote
 * parent `remote`) when the runtime's sampler drops it: a non-recording span with fresh ids,
 * made without the SDK. Its context is what children, log records and `injectHeaders` see.
 * `undefined` when the sampler keeps the span; the SDK then starts it with the decision and
 * trace id taken here.
 */
function startUnsampledRoot(
  path: RootPath,
  parent: Context,
  remote: SpanContext | undefined,
  root: boolean,
  name: string,
): Span | undefined {
  try {
    // Where tracing is suppressed (an exporter's own requests) the SDK hands out an invalid
    // span context, so that nothing is propagated: leave those to it.
    if (isTracingSuppressed(parent)) return undefined;
    const continues = !root && remote !== undefined && isSpanContextValid(remote);
    const traceId = continues ? remote.traceId : randomTraceId();
    if (!path.drops(root ? trace.deleteSpan(parent) : parent, traceId, spanName(name))) {
      return undefined;
    }
    const sc: SpanContext = {
      traceId,
      spanId: randomSpanId(),
      // A new trace id is random throughout (Trace Context Level 2's flag); a continuation
      // keeps what its parent said about the id it was given.
      traceFlags: continues ? remote.traceFlags & RANDOM_TRACE_FLAG : RANDOM_TRACE_FLAG,
    };
    if (continues && remote.traceState !== undefined) sc.traceState = remote.traceState;
    return trace.wrapSpanContext(sc);
  } catch {
    path.forget();
    return undefined;
  }
}

function isRoot(options: SpanOptions | undefined): boolean {
  try {
    return options?.root === true;
  } catch {
    return false;
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === "object" || typeof value === "function") &&
    typeof (value as { then?: unknown }).then === "function"
  );
}

/**
 * Starts a span under `parent` with the tracer found there, runs `fn` in a
 * context where it is the active span, and ends it when `fn` returns or its
 * promise settles. Failures are recorded on the span and re-thrown (the
 * returned promise is `fn`'s own, untouched). Shared by `span`, `startTrace`
 * and `withForkedTrace`; `options.parent`, if any, is ignored here.
 */
export function runSpanIn<R>(
  parent: Context,
  name: string,
  options: SpanOptions | undefined,
  fn: SpanFn<R>,
): R {
  ensureContextManager();
  checkInstalled(parent, name);
  const tracer = getTracer(parent);
  const active = trace.getSpan(parent);
  const sc = active?.spanContext();
  const root = isRoot(options);
  let rootPath: RootPath | undefined;
  if (sc !== undefined && sc.isRemote !== true && !root) {
    // Our sampler drops every child of an unsampled local span, so creating
    // one would only burn ids and a context switch: run fn in the parent's
    // (non-recording) span instead. This is what makes unsampled spans cheap.
    if (
      (sc.traceFlags & TraceFlags.SAMPLED) === 0 &&
      samplerFollowsLocalParent.has(tracer) &&
      isSpanContextValid(sc)
    ) {
      return fn(active as Span);
    }
  } else {
    rootPath = rootPaths.get(tracer);
    if (rootPath !== undefined) {
      const unsampled = startUnsampledRoot(rootPath, parent, sc, root, name);
      if (unsampled !== undefined) {
        return withContext(trace.setSpan(extendable(parent), unsampled), fn, unsampled);
      }
    }
  }
  let s: Span;
  try {
    // Options come from user code: a plain copy keeps a throwing getter or
    // Proxy from reaching the SDK. Made only here, once a span is really
    // started, so the unsampled shortcut above stays free of it. The copy is
    // what the SDK gets, completed in place: copying it once more (an object
    // rest to drop `parent`, a spread to add the start time) halved the rate
    // of sampled spans, more than the SDK's own work on them.
    const spanOptions = readSpanOptions(options, parent);
    // Start and end both come from epochNow(), one monotonic base anchored once: the SDK's
    // own start time is a millisecond wall clock, and a child could seem to end after its
    // parent or overlap the sibling before it.
    spanOptions.startTime ??= hrNow();
    s = tracer.startSpan(spanName(name), spanOptions, parent);
    // The SDK takes a kept decision when it asks its sampler; had it returned without
    // asking, the decision must not reach the next span.
    rootPath?.forget();
  } catch {
    rootPath?.forget();
    // A broken tracer must not take the user's work down with it.
    return fn(trace.wrapSpanContext(trace.getSpanContext(parent) ?? INVALID_SPAN_CONTEXT));
  }
  let result: R;
  try {
    result = withContext(trace.setSpan(extendable(parent), s), fn, s);
  } catch (err) {
    recordSpanError(s, err);
    endSpan(s);
    throw err;
  }
  if (isThenable(result)) {
    try {
      // Reactions on the user's own promise: the caller gets exactly fn's
      // value back, and a rejection still reaches them.
      result.then(endOk.bind(s), endErr.bind(s));
    } catch (err) {
      endErr.call(s, err);
    }
  } else {
    endSpan(s);
  }
  return result;
}

/**
 * Runs `fn` in a new child span of the active span (or a new trace when there
 * is none). Works for sync and async `fn`: the span ends when `fn` returns or
 * its promise settles; a throw or rejection is recorded as an exception event
 * with ERROR status and passed on unchanged. Returns `fn`'s value.
 *
 * @param name - span name.
 * @param fn - the work; receives the span.
 * @returns what `fn` returns.
 * @example
 * ```ts
 * const user = await span("load user", async (s) => {
 *   const u = await db.users.get(id);
 *   s.setAttribute("user.plan", u.plan);
 *   return u;
 * });
 * ```
 */
export function span<R>(name: string, fn: SpanFn<R>): R;
/**
 * Runs `fn` in a new child span with options: the OpenTelemetry span options
 * and `parent`, a context to start in instead of the active one.
 *
 * @param name - span name.
 * @param options - `attributes`, `kind`, `links`, `startTime`, `root`, `parent` (default none).
 * @param fn - the work; receives the span.
 * @returns what `fn` returns.
 * @example
 * ```ts
 * await span("GET /users", { kind: SpanKind.CLIENT, attributes: { "http.request.method": "GET" } }, () =>
 *   fetch(url),
 * );
 * ```
 */
export function span<R>(name: string, options: GroundworkSpanOptions, fn: SpanFn<R>): R;
export function span<R>(
  name: string,
  fnOrOptions: SpanFn<R> | GroundworkSpanOptions,
  maybeFn?: SpanFn<R>,
): R {
  const active = activeContext();
  if (typeof fnOrOptions === "function") return runSpanIn(active, name, undefined, fnOrOptions);
  if (typeof maybeFn !== "function") {
    // Nothing to run: a counted no-op rather than a TypeError from telemetry.
    countInvalidInput(active);
    return undefined as R;
  }
  return runSpanIn(readParent(fnOrOptions, active), name, fnOrOptions, maybeFn);
}

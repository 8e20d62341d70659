import {
  type Attributes,
  type Context,
  context,
  isSpanContextValid,
  type Link,
  type Span,
  type SpanKind,
  type SpanOptions,
  TraceFlags,
  trace,
} from "@opentelemetry/api";
import { activeContext, ensureContextManager } from "../context/manager";
import { setContextValue } from "../context/otel-context";
import { extractContext, type HeadersLike } from "../propagation/w3c";
import { readField, readParent } from "./attributes";
import { FORK_KEY, type ForkMarker, SAMPLING_RATIO_KEY } from "./context-keys";
import { normaliseRatio } from "./sampling-ratio";
import { runSpanIn, type SpanFn } from "./span";

/** Name of the event the parent span records when a trace is forked from it. */
export const FORK_EVENT_NAME = "trace.fork";
/** Attribute of the fork event and of the links: the forked trace's id. */
export const ATTR_FORK_TRACE_ID = "groundwork.fork.trace_id";
/** Attribute of the fork event: the forked trace's root span id. */
export const ATTR_FORK_SPAN_ID = "groundwork.fork.span_id";
/** Attribute of the fork event: the forked trace's root span name. */
export const ATTR_FORK_NAME = "groundwork.fork.name";
/** Attribute on fork links saying which way they point: `"forked_from"` (root → parent) or `"forked_to"` (parent → root). */
export const ATTR_LINK_RELATION = "groundwork.link.relation";

/** Options of {@link startTrace}. */
export interface StartTraceOptions {
  /**
   * Continue a remote trace instead of starting a new one: a W3C
   * `traceparent` value, or request headers (`Headers` or a plain record)
   * carrying `traceparent`, `tracestate` and `baggage`. An invalid or absent
   * `traceparent` starts a new trace, as the W3C spec requires.
   */
  stitchWith?: string | HeadersLike;
  /**
   * Sampling ratio in [0, 1] for this trace and new traces started inside
   * it, instead of the configured one. It also lets a continuation of an
   * unsampled remote parent be sampled. Default: the configured ratio.
   */
  samplingRatio?: number;
  /** Attributes of the root span. */
  attributes?: Attributes;
  /** Kind of the root span (e.g. `SpanKind.SERVER` for a request handler). Default INTERNAL. */
  kind?: SpanKind;
  /** Links of the root span. */
  links?: Link[];
  /**
   * The context to start the trace in instead of the active one: its log,
   * sampling ratio and other values are kept, its span (if any) is not the
   * parent. A server that forks a log per request passes the fork's context
   * here rather than entering it first. Default: the active context.
   */
  parent?: Context;
}

/** Options of {@link withForkedTrace} (and `TelemetryContext.forkTrace`). */
export interface ForkedTraceOptions {
  /**
   * The context whose active span the new trace forks from, instead of the
   * active one, so a context captured earlier can be forked later; every other
   * value of it (log, baggage, …) is kept. Default: the active context.
   */
  parent?: Context;
  /**
   * Sampling ratio in [0, 1] for the forked trace. A sampled parent makes the
   * fork sampled regardless; this decides for forks of unsampled parents
   * (which otherwise stay unsampled) and for new traces started inside.
   */
  samplingRatio?: number;
  /** Attributes of the forked trace's root span. */
  attributes?: Attributes;
  /** Kind of the forked trace's root span. Default INTERNAL. */
  kind?: SpanKind;
}

/** The root span's options from user-supplied fork options, read without throwing. */
function rootOptions(options: ForkedTraceOptions, ctx: Context): SpanOptions {
  const out: SpanOptions = {};
  const attributes = readField(options, "attributes", ctx);
  if (attributes !== undefined) out.attributes = attributes as Attributes;
  const kind = readField(options, "kind", ctx);
  if (kind !== undefined) out.kind = kind as SpanKind;
  return out;
}

/**
 * Runs `fn` in the root span of a new trace. The active span, if any, is not
 * the parent: use {@link withForkedTrace} to keep a link to it.
 *
 * @param name - root span name.
 * @param fn - the work; receives the root span.
 * @returns what `fn` returns.
 * @example
 * ```ts
 * await startTrace("nightly cleanup", () => cleanup());
 * ```
 */
export function startTrace<R>(name: string, fn: SpanFn<R>): R;
/**
 * Runs `fn` in the root span of a new trace, or of a continuation of a remote
 * trace when `stitchWith` carries a valid `traceparent`.
 *
 * @param name - root span name.
 * @param options - `stitchWith`, `samplingRatio`, `attributes`, `kind`, `links`, `parent` (default none).
 * @param fn - the work; receives the root span.
 * @returns what `fn` returns.
 * @example
 * ```ts
 * export default {
 *   fetch: (request: Request) =>
 *     startTrace("GET /orders", { stitchWith: request.headers, kind: SpanKind.SERVER }, () =>
 *       handle(request),
 *     ),
 * };
 * ```
 */
export function startTrace<R>(name: string, options: StartTraceOptions, fn: SpanFn<R>): R;
export function startTrace<R>(
  name: string,
  fnOrOptions: SpanFn<R> | StartTraceOptions,
  maybeFn?: SpanFn<R>,
): R {
  ensureContextManager();
  const fn = typeof fnOrOptions === "function" ? fnOrOptions : (maybeFn as SpanFn<R>);
  const options: StartTraceOptions = typeof fnOrOptions === "function" ? {} : fnOrOptions;
  let ctx = readParent(options, activeContext());
  if (trace.getSpan(ctx) !== undefined) ctx = trace.deleteSpan(ctx);
  if (ctx.getValue(FORK_KEY) !== undefined) ctx = ctx.deleteValue(FORK_KEY);
  // Options come from user code: read them so that a throwing getter or Proxy costs a
  // counted field, never an exception (runSpanIn reads the span fields the same way).
  const stitchWith = readField(options, "stitchWith", ctx) as StartTraceOptions["stitchWith"];
  if (stitchWith !== undefined) ctx = extractContext(stitchWith, ctx);
  const ratio = normaliseRatio(readField(options, "samplingRatio", ctx));
  if (ratio !== undefined) ctx = setContextValue(ctx, SAMPLING_RATIO_KEY, ratio);
  // The tracer reads only the span-option fields, so the options object is
  // passed as is rather than copied on every trace.
  return runSpanIn(ctx, name, options, fn);
}

/** Runs `fn` in a trace forked from the span active in `parent`. */
function forkTraceIn<R>(
  parent: Context,
  name: string,
  options: ForkedTraceOptions,
  fn: SpanFn<R>,
): R {
  const parentSpan = trace.getSpan(parent);
  const parentContext = parentSpan?.spanContext();
  const hasParent = parentContext !== undefined && isSpanContextValid(parentContext);
  const ratio = normaliseRatio(readField(options, "samplingRatio", parent));
  let ctx = trace.deleteSpan(parent);
  if (hasParent) {
    const marker: ForkMarker = {
      parentSampled: (parentContext.traceFlags & TraceFlags.SAMPLED) !== 0,
      ratio,
    };
    ctx = setContextValue(ctx, FORK_KEY, marker);
  } else {
    ctx = ctx.deleteValue(FORK_KEY);
  }
  if (ratio !== undefined) ctx = setContextValue(ctx, SAMPLING_RATIO_KEY, ratio);
  const spanOptions = rootOptions(options, parent);
  if (hasParent) {
    spanOptions.links = [
      { context: parentContext, attributes: { [ATTR_LINK_RELATION]: "forked_from" } },
    ];
  }
  return runSpanIn(ctx, name, spanOptions, (root) => {
    if (hasParent && parentSpan?.isRecording() === true) recordFork(parentSpan, root, name);
    return fn(root);
  });
}

function recordFork(parentSpan: Span, root: Span, name: string): void {
  try {
    const child = root.spanContext();
    if (!isSpanContextValid(child)) return;
    parentSpan.addLink({ context: child, attributes: { [ATTR_LINK_RELATION]: "forked_to" } });
    parentSpan.addEvent(FORK_EVENT_NAME, {
      [ATTR_FORK_TRACE_ID]: child.traceId,
      [ATTR_FORK_SPAN_ID]: child.spanId,
      [ATTR_FORK_NAME]: name,
    });
  } catch {
    // Recording the fork is best effort; the fork itself must go on.
  }
}

/**
 * Runs `fn` in a new trace forked from the current span: the new root links
 * to the current span, and the current span records the fork (a link and a
 * `trace.fork` event carrying the new trace id). If the current span is
 * sampled the fork is always sampled; if it is not, the fork is not sampled
 * unless `samplingRatio` says otherwise. Use it for work that outlives or
 * fans out from a request (background jobs, per-connection loops) so it gets
 * its own trace without losing the way back.
 *
 * @param name - the forked trace's root span name.
 * @param fn - the work; receives the root span.
 * @returns what `fn` returns.
 * @example
 * ```ts
 * await span("accept connection", async () => {
 *   void withForkedTrace("connection", () => serveConnection(socket));
 * });
 * ```
 */
export function withForkedTrace<R>(name: string, fn: SpanFn<R>): R;
/**
 * Runs `fn` in a new trace forked from the current span (or from the span
 * active in `options.parent`), with options for the fork's root.
 *
 * @param name - the forked trace's root span name.
 * @param options - `parent`, `samplingRatio`, `attributes`, `kind` (default none).
 * @param fn - the work; receives the root span.
 * @returns what `fn` returns.
 * @example
 * ```ts
 * const saved = context.active();
 * queue.onMessage((msg) => withForkedTrace("handle message", { parent: saved }, () => handle(msg)));
 * ```
 */
export function withForkedTrace<R>(name: string, options: ForkedTraceOptions, fn: SpanFn<R>): R;
export function withForkedTrace<R>(
  name: string,
  fnOrOptions: SpanFn<R> | ForkedTraceOptions,
  maybeFn?: SpanFn<R>,
): R {
  ensureContextManager();
  if (typeof fnOrOptions === "function")
    return forkTraceIn(context.active(), name, {}, fnOrOptions);
  return forkTraceIn(
    readParent(fnOrOptions, context.active()),
    name,
    fnOrOptions,
    maybeFn as SpanFn<R>,
  );
}

import { type Context, context, type Tracer, trace } from "@opentelemetry/api";
import { setContextValue } from "../context/otel-context";
import { VERSION } from "../version";
import { TRACER_KEY } from "./context-keys";

/** Name and instrumentation scope of the tracer used when no tracer was put in the context. */
export const TRACER_NAME = "@groundwork/core";

/**
 * Returns a context in which Groundwork's span functions use `tracer`. A
 * tracer carried in the context, rather than the global tracer provider, is
 * what lets two telemetry instances (or two concurrent tests) live in one
 * process without seeing each other's spans.
 *
 * @param ctx - the context to extend.
 * @param tracer - the tracer to use inside it.
 * @returns a new context; `ctx` is unchanged.
 * @example
 * ```ts
 * const tracing = createTracing({ serviceName: "shop" });
 * context.with(setTracer(context.active(), tracing.tracer), () => span("work", () => 1));
 * ```
 */
export function setTracer(ctx: Context, tracer: Tracer): Context {
  return setContextValue(ctx, TRACER_KEY, tracer);
}

let fallbackTracer: Tracer | undefined;

/**
 * The tracer Groundwork's span functions use in a context: the one stored
 * with {@link setTracer}, else the global `trace.getTracer("@groundwork/core")`
 * (a no-op tracer until an application registers a global provider).
 *
 * @param ctx - the context to look in (default: the active context).
 * @returns the tracer.
 * @example
 * ```ts
 * const s = getTracer().startSpan("manual");
 * s.end();
 * ```
 */
export function getTracer(ctx: Context = context.active()): Tracer {
  const stored = ctx.getValue(TRACER_KEY) as Tracer | undefined;
  if (stored !== undefined) return stored;
  // The global API hands out a proxy tracer that follows later registrations,
  // so caching it is safe and saves a lookup per span.
  fallbackTracer ??= trace.getTracer(TRACER_NAME, VERSION);
  return fallbackTracer;
}

/**
 * Tracers built by `createTracing`, whose sampler is known to drop every child
 * of an unsampled local parent: `span()` skips creating those children and runs
 * the function in the parent's non-recording span instead. Module state on
 * purpose: `createTracing` adds its tracer once and `span()` only asks; the set
 * is weak, so a tracer (and its provider) is still collected once dropped.
 */
export const samplerFollowsLocalParent: WeakSet<Tracer> = new WeakSet();

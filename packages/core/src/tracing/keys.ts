import { type Context, context, createContextKey, type Tracer, trace } from "@opentelemetry/api";
import { setContextValue } from "../context/otel-context";

/** Name and instrumentation scope of the tracer used when no tracer was put in the context. */
export const TRACER_NAME = "@groundwork/core";

/**
 * Context key under which {@link withTracer} stores the tracer that
 * Groundwork's span functions use. A key of our own, rather than the global
 * tracer provider, is what lets two telemetry instances (or two concurrent
 * tests) live in one process without seeing each other's spans.
 */
export const TRACER_KEY: symbol = createContextKey("groundwork.tracer");

/** Context key of the per-branch sampling ratio read by the Groundwork sampler. */
export const SAMPLING_RATIO_KEY: symbol = createContextKey("groundwork.sampling_ratio");

/** Context key marking that the next root span starts a forked trace (see `withForkedTrace`). */
export const FORK_KEY: symbol = createContextKey("groundwork.fork");

/** What a forked trace's root inherits from the span it was forked from. */
export interface ForkMarker {
  /** Whether the span the fork started from was sampled. */
  readonly parentSampled: boolean;
  /** Sampling ratio given explicitly to this fork, if any. */
  readonly ratio: number | undefined;
}

/**
 * Returns a context in which Groundwork's span functions use `tracer`.
 *
 * @param ctx - the context to extend.
 * @param tracer - the tracer to use inside it.
 * @returns a new context; `ctx` is unchanged.
 * @example
 * ```ts
 * const tracing = createTracing({ serviceName: "shop" });
 * context.with(withTracer(context.active(), tracing.tracer), () => span("work", () => 1));
 * ```
 */
export function withTracer(ctx: Context, tracer: Tracer): Context {
  return setContextValue(ctx, TRACER_KEY, tracer);
}

/**
 * Tracers built by `createTracing`, whose sampler is known to drop every
 * child of an unsampled local parent; `span()` skips creating those children.
 */
export const samplerFollowsLocalParent: WeakSet<Tracer> = new WeakSet();

let fallbackTracer: Tracer | undefined;

/**
 * The tracer Groundwork's span functions use in a context: the one stored
 * with {@link withTracer}, else the global `trace.getTracer("@groundwork/core")`
 * (a no-op tracer until an application registers a global provider).
 *
 * @param ctx - the context to look in (default: the active context).
 * @returns the tracer.
 * @example
 * ```ts
 * const s = currentTracer().startSpan("manual");
 * s.end();
 * ```
 */
export function currentTracer(ctx: Context = context.active()): Tracer {
  const stored = ctx.getValue(TRACER_KEY) as Tracer | undefined;
  if (stored !== undefined) return stored;
  // The global API hands out a proxy tracer that follows later registrations,
  // so caching it is safe and saves a lookup per span.
  fallbackTracer ??= trace.getTracer(TRACER_NAME);
  return fallbackTracer;
}

/**
 * Normalises a sampling ratio: clamps to [0, 1]; `undefined` for anything
 * that is not a number (NaN included), so a bad per-call value never throws
 * and simply leaves the default in force.
 */
export function normaliseRatio(ratio: unknown): number | undefined {
  if (typeof ratio !== "number" || Number.isNaN(ratio)) return undefined;
  return ratio <= 0 ? 0 : ratio >= 1 ? 1 : ratio;
}

/**
 * Returns a context in which new traces (roots and continuations of
 * unsampled remote parents) are sampled with `ratio` instead of the
 * configured default. Children of local spans always follow their parent,
 * and forks follow the span they fork from unless given their own ratio.
 *
 * @param ctx - the context to extend.
 * @param ratio - a probability in [0, 1]; values outside are clamped, NaN is ignored.
 * @returns a new context.
 * @example
 * ```ts
 * context.with(withSamplingRatio(context.active(), 0.01), () => startTrace("batch", run));
 * ```
 */
export function withSamplingRatio(ctx: Context, ratio: number): Context {
  const r = normaliseRatio(ratio);
  return r === undefined ? ctx : setContextValue(ctx, SAMPLING_RATIO_KEY, r);
}

import { createContextKey } from "@opentelemetry/api";

// The context keys of the tracing layer. Private to the package: they are read
// and written through functions (`getTracer`/`setTracer`, `setSamplingRatio`,
// the fork functions), as OpenTelemetry keeps its own keys.

/** The tracer Groundwork's span functions use (see `setTracer`). */
export const TRACER_KEY: symbol = createContextKey("groundwork.tracer");

/** The per-branch sampling ratio read by the Groundwork sampler (see `setSamplingRatio`). */
export const SAMPLING_RATIO_KEY: symbol = createContextKey("groundwork.sampling_ratio");

/** Marks that the next root span starts a forked trace (see `withForkedTrace`). */
export const FORK_KEY: symbol = createContextKey("groundwork.fork");

/** What a forked trace's root inherits from the span it was forked from. */
export interface ForkMarker {
  /** Whether the span the fork started from was sampled. */
  readonly parentSampled: boolean;
  /** Sampling ratio given explicitly to this fork, if any. */
  readonly ratio: number | undefined;
}

import type { SpanProcessor } from "@opentelemetry/sdk-trace-base";
import { RANDOM_TRACE_FLAG } from "../propagation/w3c";

/**
 * Sets Trace Context Level 2's `random` flag on spans whose trace id the SDK has just drawn
 * at random (a new trace) and on spans of a trace whose parent carries the flag. The SDK
 * computes a span's flags from the sampling decision alone, so the flag is added here, on
 * the span context before anything reads it.
 */
export const randomFlagProcessor: SpanProcessor = {
  onStart(span) {
    try {
      const sc = span.spanContext() as { traceId: string; traceFlags: number };
      // The SDK sets the parent span context only when the parent it found was valid, so
      // its absence means a new trace without validating the parent's ids a second time.
      const parent = span.parentSpanContext;
      if (
        parent === undefined ||
        parent.traceId !== sc.traceId ||
        (parent.traceFlags & RANDOM_TRACE_FLAG) !== 0
      ) {
        sc.traceFlags |= RANDOM_TRACE_FLAG;
      }
    } catch {
      // A span context that cannot take the flag keeps its own.
    }
  },
  onEnd() {},
  forceFlush: () => Promise.resolve(),
  shutdown: () => Promise.resolve(),
};

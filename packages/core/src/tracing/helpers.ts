import {
  type Attributes,
  type Context,
  context,
  type Span,
  type TimeInput,
  trace,
} from "@opentelemetry/api";
import { countInvalidInput, readAttributes, readTime } from "./attributes";

/**
 * The active span, or `undefined` outside any span.
 *
 * @param ctx - the context to read (default: the active context).
 * @returns the span (possibly non-recording, when not sampled).
 * @example
 * ```ts
 * currentSpan()?.updateName("GET /users/:id");
 * ```
 */
export function currentSpan(ctx: Context = context.active()): Span | undefined {
  return trace.getSpan(ctx);
}

/**
 * Adds attributes to the active span. A no-op outside a span or when the span
 * is not sampled. Keys listed in the logging `redactKeys` get the redaction
 * marker. Never throws: attributes that cannot be read (throwing getters,
 * Proxies) or are not attribute values are left out and counted in
 * `stats().logs.invalidInput`.
 *
 * @param attributes - the attributes to set.
 * @example
 * ```ts
 * setSpanAttributes({ "order.id": order.id, "order.items": order.items.length });
 * ```
 */
export function setSpanAttributes(attributes: Attributes): void {
  const ctx = context.active();
  const s = trace.getSpan(ctx);
  if (s === undefined) return;
  try {
    if (s.isRecording()) s.setAttributes(readAttributes(attributes, ctx));
  } catch {
    countInvalidInput(ctx);
  }
}

/**
 * Adds an event to the active span. A no-op outside a span or when the span
 * is not sampled. Attributes are read and redacted as by
 * {@link setSpanAttributes}; never throws.
 *
 * @param name - event name.
 * @param attributes - event attributes (default none).
 * @param time - event time (default now).
 * @example
 * ```ts
 * addSpanEvent("cache.miss", { "cache.key": key });
 * ```
 */
export function addSpanEvent(name: string, attributes?: Attributes, time?: TimeInput): void {
  const ctx = context.active();
  const s = trace.getSpan(ctx);
  if (s === undefined) return;
  try {
    if (!s.isRecording()) return;
    let eventName: string;
    try {
      eventName = typeof name === "string" ? name : String(name);
    } catch {
      countInvalidInput(ctx);
      eventName = "[invalid name]";
    }
    s.addEvent(eventName, readAttributes(attributes, ctx), readTime(time, ctx));
  } catch {
    countInvalidInput(ctx);
  }
}

/**
 * The trace id of the active span, for log lines and error reports.
 *
 * @param ctx - the context to read (default: the active context).
 * @returns the 32-hex-digit trace id, or `undefined` outside a span.
 * @example
 * ```ts
 * return new Response("internal error", { headers: { "x-trace-id": currentTraceId() ?? "" } });
 * ```
 */
export function currentTraceId(ctx: Context = context.active()): string | undefined {
  const sc = trace.getSpanContext(ctx);
  return sc === undefined || !trace.isSpanContextValid(sc) ? undefined : sc.traceId;
}

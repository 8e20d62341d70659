import { type Attributes, type AttributeValue, SpanKind, SpanStatusCode } from "@opentelemetry/api";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import type { OtlpTraceEncoding } from "./encoding";

/** The name an exported span gets when its own is not a string. */
export const UNENCODABLE_NAME = "<invalid>";

/** Encoded spans, and how many of the given spans could not be encoded even once repaired. */
export interface EncodedSpans {
  /** The request body; `undefined` when no span could be encoded. */
  readonly body: Uint8Array | undefined;
  /** Spans left out of `body`. */
  readonly dropped: number;
}

/**
 * Encodes `spans` as one OTLP export request. A span that makes the encoder throw costs
 * only itself: the batch is encoded again span by span, a failing span is replaced by a
 * repaired copy (a string name, valid attribute values, events and links), and a span that
 * still fails is left out and counted. Never throws.
 */
export function encodeSpans(
  spans: readonly ReadableSpan[],
  encoding: OtlpTraceEncoding,
): EncodedSpans {
  const encode = encoding.encode;
  const whole = tryEncode(encode, spans);
  if (whole !== undefined) return { body: whole, dropped: 0 };
  const kept: ReadableSpan[] = [];
  for (const span of spans) {
    if (tryEncode(encode, [span]) !== undefined) {
      kept.push(span);
      continue;
    }
    const repaired = repairSpan(span);
    if (repaired !== undefined && tryEncode(encode, [repaired]) !== undefined) kept.push(repaired);
  }
  const body = kept.length === 0 ? undefined : tryEncode(encode, kept);
  return body === undefined
    ? { body: undefined, dropped: spans.length }
    : { body, dropped: spans.length - kept.length };
}

/** Spans encoded in one go before {@link encodeSpansInSlices} yields to the event loop. */
export const ENCODE_SLICE_SIZE = 64;

/** How {@link encodeSpansInSlices} gives the event loop a turn, and learns it must stop. */
export interface SliceControl {
  /** Resolves on a later turn of the event loop (a macrotask, so timers and I/O run). */
  readonly yieldToLoop: () => Promise<void>;
  /** `true` once the work is no longer wanted (the exporter was shut down). */
  readonly cancelled: () => boolean;
}

/**
 * Encodes `spans` as one OTLP export request like {@link encodeSpans}, but
 * {@link ENCODE_SLICE_SIZE} spans at a time, giving the event loop a turn between slices so
 * that a large batch does not block the application. Each slice is an export request of
 * its own, joined into one request carrying all of them by `encoding.join`. Never throws.
 *
 * @returns the encoded spans, or `undefined` when cancelled between two slices
 */
export async function encodeSpansInSlices(
  spans: readonly ReadableSpan[],
  encoding: OtlpTraceEncoding,
  control: SliceControl,
): Promise<EncodedSpans | undefined> {
  if (spans.length <= ENCODE_SLICE_SIZE) return encodeSpans(spans, encoding);
  const parts: Uint8Array[] = [];
  let dropped = 0;
  for (let start = 0; start < spans.length; start += ENCODE_SLICE_SIZE) {
    if (start > 0) {
      await control.yieldToLoop();
      if (control.cancelled()) return undefined;
    }
    const slice = encodeSpans(spans.slice(start, start + ENCODE_SLICE_SIZE), encoding);
    dropped += slice.dropped;
    if (slice.body !== undefined) parts.push(slice.body);
  }
  if (parts.length === 0) return { body: undefined, dropped };
  const body = encoding.join(parts);
  // Parts the encoding cannot join (a JSON shape other than the transformer's): encode the
  // batch in one go instead.
  return body === undefined ? encodeSpans(spans, encoding) : { body, dropped };
}

type Encoder = (spans: readonly ReadableSpan[]) => Uint8Array | undefined;

function tryEncode(encode: Encoder, spans: readonly ReadableSpan[]): Uint8Array | undefined {
  try {
    return encode(spans);
  } catch {
    return undefined;
  }
}

function isAttributeValue(value: unknown): value is AttributeValue {
  const t = typeof value;
  if (t === "string" || t === "number" || t === "boolean") return true;
  if (!Array.isArray(value)) return false;
  return value.every((v) => {
    const e = typeof v;
    return v === null || v === undefined || e === "string" || e === "number" || e === "boolean";
  });
}

function cleanAttributes(attributes: unknown): Attributes {
  const out: Attributes = {};
  if (typeof attributes !== "object" || attributes === null) return out;
  for (const [key, value] of Object.entries(attributes)) {
    if (isAttributeValue(value)) out[key] = value;
  }
  return out;
}

function isHrTime(value: unknown): value is [number, number] {
  return (
    Array.isArray(value) &&
    value.length === 2 &&
    Number.isFinite(value[0]) &&
    Number.isFinite(value[1])
  );
}

function text(value: unknown, fallback: string): string {
  return typeof value === "string" ? value : fallback;
}

/**
 * A copy of `span` with everything the encoders need in a valid shape: a string name,
 * attribute values of the allowed types, well-formed events and links. `undefined` when
 * the span's identity or times cannot be read.
 */
function repairSpan(span: ReadableSpan): ReadableSpan | undefined {
  try {
    const spanContext = span.spanContext();
    if (!isHrTime(span.startTime) || !isHrTime(span.endTime)) return undefined;
    const status = span.status as { code?: unknown; message?: unknown } | undefined;
    const code =
      status?.code === SpanStatusCode.OK || status?.code === SpanStatusCode.ERROR
        ? status.code
        : SpanStatusCode.UNSET;
    const events = (Array.isArray(span.events) ? span.events : [])
      .filter((event) => isHrTime(event?.time))
      .map((event) => ({
        name: text(event.name, UNENCODABLE_NAME),
        time: event.time,
        attributes: cleanAttributes(event.attributes),
        droppedAttributesCount: event.droppedAttributesCount ?? 0,
      }));
    const links = (Array.isArray(span.links) ? span.links : [])
      .filter((link) => typeof link?.context?.traceId === "string")
      .map((link) => ({
        context: link.context,
        attributes: cleanAttributes(link.attributes),
        droppedAttributesCount: link.droppedAttributesCount ?? 0,
      }));
    const repaired: ReadableSpan = {
      name: text(span.name, UNENCODABLE_NAME),
      kind: typeof span.kind === "number" ? span.kind : SpanKind.INTERNAL,
      spanContext: () => spanContext,
      startTime: span.startTime,
      endTime: span.endTime,
      status: typeof status?.message === "string" ? { code, message: status.message } : { code },
      attributes: cleanAttributes(span.attributes),
      links,
      events,
      duration: span.duration,
      ended: true,
      resource: span.resource,
      instrumentationScope: span.instrumentationScope,
      droppedAttributesCount: span.droppedAttributesCount ?? 0,
      droppedEventsCount: span.droppedEventsCount ?? 0,
      droppedLinksCount: span.droppedLinksCount ?? 0,
    };
    if (span.parentSpanContext !== undefined) {
      return { ...repaired, parentSpanContext: span.parentSpanContext };
    }
    return repaired;
  } catch {
    return undefined;
  }
}

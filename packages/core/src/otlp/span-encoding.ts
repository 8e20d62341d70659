import { runtimeGlobal } from "@groundwork/platform";
import { type Attributes, type AttributeValue, SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { JsonTraceSerializer, ProtobufTraceSerializer } from "@opentelemetry/otlp-transformer";
import type { ReadableSpan, TimedEvent } from "@opentelemetry/sdk-trace-base";
import type { OtlpProtocol } from "./sender";

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
export function encodeSpans(spans: readonly ReadableSpan[], protocol: OtlpProtocol): EncodedSpans {
  const encode = protocol === "http/json" ? encodeJson : encodeProtobuf;
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

type Encoder = (spans: readonly ReadableSpan[]) => Uint8Array | undefined;

function tryEncode(encode: Encoder, spans: readonly ReadableSpan[]): Uint8Array | undefined {
  try {
    return encode(spans);
  } catch {
    return undefined;
  }
}

function encodeProtobuf(spans: readonly ReadableSpan[]): Uint8Array | undefined {
  return ProtobufTraceSerializer.serializeRequest(spans as ReadableSpan[]);
}

// The OTLP JSON mapping writes a double that JSON cannot hold as the string "NaN",
// "Infinity" or "-Infinity", and the transformer writes every integral number as an int64.
// Such values are handed to it as marked strings and the marks rewritten in the text.
const MARK = "\u0000groundwork-double:";
const MARKED = /\{"stringValue":"\\u0000groundwork-double:([^"]*)"\}/g;

interface Utf8Codec {
  decode(bytes: Uint8Array): string;
  encode(text: string): Uint8Array;
}

let utf8: Utf8Codec | undefined;

/** The runtime's UTF-8 codecs, made on first use (core compiles without DOM typings). */
function utf8Codec(): Utf8Codec {
  if (utf8 === undefined) {
    const Decoder = runtimeGlobal<new () => { decode(bytes: Uint8Array): string }>("TextDecoder");
    const Encoder = runtimeGlobal<new () => { encode(text: string): Uint8Array }>("TextEncoder");
    if (Decoder === undefined || Encoder === undefined) throw new TypeError("no TextDecoder");
    const decoder = new Decoder();
    const encoder = new Encoder();
    utf8 = { decode: (bytes) => decoder.decode(bytes), encode: (text) => encoder.encode(text) };
  }
  return utf8;
}

function encodeJson(spans: readonly ReadableSpan[]): Uint8Array | undefined {
  let marked = false;
  const views = spans.map((span) => {
    const view = markDoubles(span);
    if (view !== span) marked = true;
    return view;
  });
  const bytes = JsonTraceSerializer.serializeRequest(views);
  if (!marked || bytes === undefined) return bytes;
  const codec = utf8Codec();
  const text = codec
    .decode(bytes)
    .replace(MARKED, (_: string, value: string) =>
      value === "NaN" || value === "Infinity" || value === "-Infinity"
        ? `{"doubleValue":"${value}"}`
        : `{"doubleValue":${value}}`,
    );
  return codec.encode(text);
}

/** Whether a number must be sent as a double that JSON cannot express as an int64 or a number. */
function needsMark(value: number): boolean {
  return !Number.isFinite(value) || (Number.isInteger(value) && !Number.isSafeInteger(value));
}

function markValue(value: AttributeValue | undefined): AttributeValue | undefined {
  if (typeof value === "number") return needsMark(value) ? `${MARK}${String(value)}` : value;
  if (Array.isArray(value) && value.some((v) => typeof v === "number" && needsMark(v))) {
    return value.map((v) =>
      typeof v === "number" && needsMark(v) ? `${MARK}${String(v)}` : v,
    ) as AttributeValue;
  }
  return value;
}

function markAttributes(attributes: Attributes | undefined): Attributes | undefined {
  if (attributes === undefined) return attributes;
  let out: Attributes | undefined;
  for (const key of Object.keys(attributes)) {
    const value = attributes[key];
    const marked = markValue(value);
    if (marked !== value) {
      out ??= { ...attributes };
      out[key] = marked;
    }
  }
  return out ?? attributes;
}

/** `span` itself, or a view of it whose odd numbers are marked for {@link encodeJson}. */
function markDoubles(span: ReadableSpan): ReadableSpan {
  const attributes = markAttributes(span.attributes);
  let events: TimedEvent[] | undefined;
  span.events.forEach((event, i) => {
    const marked = markAttributes(event.attributes);
    if (marked === event.attributes) return;
    events ??= [...span.events];
    events[i] = marked === undefined ? event : { ...event, attributes: marked };
  });
  let links: ReadableSpan["links"] | undefined;
  span.links.forEach((link, i) => {
    const marked = markAttributes(link.attributes);
    if (marked === link.attributes) return;
    links ??= [...span.links];
    links[i] = marked === undefined ? link : { ...link, attributes: marked };
  });
  if (attributes === span.attributes && events === undefined && links === undefined) return span;
  const view: ReadableSpan = Object.create(span);
  Object.defineProperty(view, "attributes", { value: attributes });
  if (events !== undefined) Object.defineProperty(view, "events", { value: events });
  if (links !== undefined) Object.defineProperty(view, "links", { value: links });
  return view;
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

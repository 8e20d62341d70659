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
 * its own; their concatenation is one request carrying all of them (protobuf merges
 * repeated fields; for JSON the `resourceSpans` arrays are joined). Never throws.
 *
 * @returns the encoded spans, or `undefined` when cancelled between two slices
 */
export async function encodeSpansInSlices(
  spans: readonly ReadableSpan[],
  protocol: OtlpProtocol,
  control: SliceControl,
): Promise<EncodedSpans | undefined> {
  if (spans.length <= ENCODE_SLICE_SIZE) return encodeSpans(spans, protocol);
  const parts: Uint8Array[] = [];
  let dropped = 0;
  for (let start = 0; start < spans.length; start += ENCODE_SLICE_SIZE) {
    if (start > 0) {
      await control.yieldToLoop();
      if (control.cancelled()) return undefined;
    }
    const slice = encodeSpans(spans.slice(start, start + ENCODE_SLICE_SIZE), protocol);
    dropped += slice.dropped;
    if (slice.body !== undefined) parts.push(slice.body);
  }
  if (parts.length === 0) return { body: undefined, dropped };
  const body = protocol === "http/json" ? joinJsonRequests(parts) : concatBytes(parts);
  // A JSON shape other than the transformer's: encode the batch in one go instead.
  return body === undefined ? encodeSpans(spans, protocol) : { body, dropped };
}

function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0] as Uint8Array;
  let size = 0;
  for (const part of parts) size += part.length;
  const out = new Uint8Array(size);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

const JSON_HEAD = Array.from('{"resourceSpans":[', (c) => c.charCodeAt(0));
const JSON_TAIL = Array.from("]}", (c) => c.charCodeAt(0));

function hasJsonShape(part: Uint8Array): boolean {
  if (part.length < JSON_HEAD.length + JSON_TAIL.length) return false;
  for (let i = 0; i < JSON_HEAD.length; i++) if (part[i] !== JSON_HEAD[i]) return false;
  const tail = part.length - JSON_TAIL.length;
  for (let i = 0; i < JSON_TAIL.length; i++) if (part[tail + i] !== JSON_TAIL[i]) return false;
  return true;
}

/** `{"resourceSpans":[a]}` + `{"resourceSpans":[b]}` → `{"resourceSpans":[a,b]}`. */
function joinJsonRequests(parts: readonly Uint8Array[]): Uint8Array | undefined {
  if (parts.length === 1) return parts[0];
  if (!parts.every(hasJsonShape)) return undefined;
  const inner = parts.map((part) =>
    part.subarray(JSON_HEAD.length, part.length - JSON_TAIL.length),
  );
  const pieces: Uint8Array[] = [Uint8Array.from(JSON_HEAD)];
  inner.forEach((piece, i) => {
    if (i > 0) pieces.push(COMMA);
    pieces.push(piece);
  });
  pieces.push(Uint8Array.from(JSON_TAIL));
  return concatBytes(pieces);
}

const COMMA = Uint8Array.of(",".charCodeAt(0));

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

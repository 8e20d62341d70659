import { runtimeGlobal } from "@groundwork/platform";
import type { Attributes, AttributeValue } from "@opentelemetry/api";
import { JsonTraceSerializer } from "@opentelemetry/otlp-transformer";
import type { ReadableSpan, TimedEvent } from "@opentelemetry/sdk-trace-base";
import { concatBytes } from "./bytes";
import type { OtlpTraceEncoding } from "./encoding";

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

// Strings rather than byte arrays made at load time: a module whose top level only
// declares stays out of bundles that do not use it.
const JSON_HEAD = '{"resourceSpans":[';
const JSON_TAIL = "]}";

function asciiBytes(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

function hasJsonShape(part: Uint8Array): boolean {
  if (part.length < JSON_HEAD.length + JSON_TAIL.length) return false;
  for (let i = 0; i < JSON_HEAD.length; i++) if (part[i] !== JSON_HEAD.charCodeAt(i)) return false;
  const tail = part.length - JSON_TAIL.length;
  for (let i = 0; i < JSON_TAIL.length; i++) {
    if (part[tail + i] !== JSON_TAIL.charCodeAt(i)) return false;
  }
  return true;
}

/** `{"resourceSpans":[a]}` + `{"resourceSpans":[b]}` → `{"resourceSpans":[a,b]}`. */
function joinJsonRequests(parts: readonly Uint8Array[]): Uint8Array | undefined {
  if (parts.length === 1) return parts[0];
  if (!parts.every(hasJsonShape)) return undefined;
  const comma = asciiBytes(",");
  const pieces: Uint8Array[] = [asciiBytes(JSON_HEAD)];
  parts.forEach((part, i) => {
    if (i > 0) pieces.push(comma);
    pieces.push(part.subarray(JSON_HEAD.length, part.length - JSON_TAIL.length));
  });
  pieces.push(asciiBytes(JSON_TAIL));
  return concatBytes(pieces);
}

/**
 * Protobuf-JSON (`http/json`), encoded with `@opentelemetry/otlp-transformer`: ids in hex,
 * 64-bit integers as strings, and doubles JSON cannot hold (`NaN`, `±Infinity`, integers
 * beyond 2^53) written as the OTLP JSON mapping says.
 */
export const jsonTraceEncoding: OtlpTraceEncoding = {
  protocol: "http/json",
  encode: encodeJson,
  join: joinJsonRequests,
  decodeResponse: (body) => JsonTraceSerializer.deserializeResponse(body),
};

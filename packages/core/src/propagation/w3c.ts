import { runtimeGlobal } from "@groundwork/platform";
import {
  type Baggage,
  type BaggageEntry,
  baggageEntryMetadataFromString,
  type Context,
  context,
  isSpanContextValid,
  propagation,
  type SpanContext,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
  TraceFlags,
  type TraceState,
  trace,
} from "@opentelemetry/api";
import { extendable } from "../context/otel-context";
import { countInvalidInput } from "../tracing/attributes";
import {
  MAX_TRACESTATE_MEMBERS,
  TRACESTATE_KEY,
  TRACESTATE_VALUE,
  traceStateOf,
} from "./trace-state";

/** Header names of W3C Trace Context and W3C Baggage. */
export const TRACEPARENT_HEADER = "traceparent";
/** @see {@link TRACEPARENT_HEADER} */
export const TRACESTATE_HEADER = "tracestate";
/** @see {@link TRACEPARENT_HEADER} */
export const BAGGAGE_HEADER = "baggage";

/** Something headers can be read from with `get(name)`, e.g. the Fetch API's `Headers`. */
export interface HeaderGetter {
  get(name: string): string | null | undefined;
}
/** Something headers can be written to with `set(name, value)`, e.g. the Fetch API's `Headers`. */
export interface HeaderSetter {
  set(name: string, value: string): void;
}
/** Plain header records, e.g. Node's `IncomingHttpHeaders` or a `Record<string, string>`. */
export type HeaderRecord = Record<string, string | readonly string[] | undefined>;
/** Where trace context can be read from: a `Headers`-like object or a plain record. */
export type HeadersLike = HeaderGetter | HeaderRecord;

// Upper bounds that keep a hostile header from costing more than a few KB.
const MAX_BAGGAGE_MEMBERS = 180;
const MAX_BAGGAGE_BYTES = 8192;

// --- traceparent --------------------------------------------------------------

/** Trace Context Level 2's `random` flag: the trace id's rightmost 7 bytes are random. */
export const RANDOM_TRACE_FLAG = 0x02;
/** The flags a traceparent passes on: `sampled` and `random`. */
const KNOWN_FLAGS = TraceFlags.SAMPLED | RANDOM_TRACE_FLAG;

function isLowerHex(s: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

function isAllZero(s: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (s.charCodeAt(i) !== 48) return false;
  return true;
}

function trimOws(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && (s.charCodeAt(start) === 32 || s.charCodeAt(start) === 9)) start++;
  while (end > start && (s.charCodeAt(end - 1) === 32 || s.charCodeAt(end - 1) === 9)) end--;
  return start === 0 && end === s.length ? s : s.slice(start, end);
}

/**
 * Parses a W3C `traceparent` value as the Trace Context spec prescribes:
 * lowercase hex only; version `ff` is invalid; version `00` must be exactly
 * 55 characters; a higher version may carry more fields after a `-`, which
 * are ignored; all-zero trace or parent ids are invalid. Of the flags
 * `sampled` (0x01) and Trace Context Level 2's `random` (0x02) are kept; the
 * others are reserved and must not be passed on.
 *
 * @param value - the header value; surrounding spaces and tabs are ignored.
 * @returns a remote span context, or `undefined` when the value is invalid. Never throws.
 * @example
 * ```ts
 * parseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
 * // { traceId: "4bf9…4736", spanId: "00f0…02b7", traceFlags: 1, isRemote: true }
 * ```
 */
export function parseTraceparent(value: unknown): SpanContext | undefined {
  if (typeof value !== "string") return undefined;
  const s = value.length > 55 ? trimOws(value) : value;
  if (s.length < 55) return undefined;
  if (!isLowerHex(s, 0, 2)) return undefined;
  const version = s.slice(0, 2);
  if (version === "ff") return undefined;
  if (version === "00" ? s.length !== 55 : s.length > 55 && s.charCodeAt(55) !== 45) {
    return undefined;
  }
  if (s.charCodeAt(2) !== 45 || s.charCodeAt(35) !== 45 || s.charCodeAt(52) !== 45) {
    return undefined;
  }
  if (!isLowerHex(s, 3, 35) || isAllZero(s, 3, 35)) return undefined;
  if (!isLowerHex(s, 36, 52) || isAllZero(s, 36, 52)) return undefined;
  if (!isLowerHex(s, 53, 55)) return undefined;
  return {
    traceId: s.slice(3, 35),
    spanId: s.slice(36, 52),
    traceFlags: Number.parseInt(s.slice(53, 55), 16) & KNOWN_FLAGS,
    isRemote: true,
  };
}

/**
 * Formats a span context as a version-00 `traceparent` value.
 *
 * @param spanContext - the span context.
 * @returns the value, or `undefined` when the span context is invalid.
 * @example
 * ```ts
 * formatTraceparent(span.spanContext()); // "00-…-…-01"
 * ```
 */
export function formatTraceparent(spanContext: SpanContext): string | undefined {
  if (!isSpanContextValid(spanContext)) return undefined;
  const flags = spanContext.traceFlags & KNOWN_FLAGS;
  return `00-${spanContext.traceId}-${spanContext.spanId}-0${flags.toString(16)}`;
}

// --- tracestate ---------------------------------------------------------------

/**
 * Parses a W3C `tracestate` value (several header lines joined with `,`) under the current
 * grammar: a key is `(lcalpha / DIGIT) 0*255(keychar)` with `@` among the key characters.
 * Empty list members are skipped; a repeated key keeps its first member and drops the
 * others; an invalid member or more than 32 members make the whole value invalid, and an
 * invalid value is dropped rather than passed on in part.
 *
 * @param value - the header value.
 * @returns the trace state, or `undefined` when absent or invalid. Never throws.
 * @example
 * ```ts
 * parseTracestate("congo=t61rcWkgMzE,rojo=00f067aa0ba902b7")?.get("rojo"); // "00f067aa0ba902b7"
 * ```
 */
export function parseTracestate(value: unknown): TraceState | undefined {
  if (typeof value !== "string" || value.length === 0) return undefined;
  const members: [string, string][] = [];
  const seen = new Set<string>();
  let start = 0;
  while (start <= value.length) {
    let end = value.indexOf(",", start);
    if (end === -1) end = value.length;
    const member = trimOws(value.slice(start, end));
    start = end + 1;
    if (member === "") continue;
    const eq = member.indexOf("=");
    if (eq <= 0) return undefined;
    const key = member.slice(0, eq);
    const val = member.slice(eq + 1);
    if (!TRACESTATE_KEY.test(key) || !TRACESTATE_VALUE.test(val)) return undefined;
    // A repeated key costs that member only, not the whole header.
    if (seen.has(key)) continue;
    if (members.length === MAX_TRACESTATE_MEMBERS) return undefined;
    seen.add(key);
    members.push([key, val]);
  }
  if (members.length === 0) return undefined;
  return traceStateOf(members);
}

// --- baggage ------------------------------------------------------------------

function isTokenChar(c: number): boolean {
  // RFC 9110 tchar
  return (
    (c >= 48 && c <= 57) ||
    (c >= 65 && c <= 90) ||
    (c >= 97 && c <= 122) ||
    c === 33 ||
    (c >= 35 && c <= 39) ||
    c === 42 ||
    c === 43 ||
    c === 45 ||
    c === 46 ||
    c === 94 ||
    c === 95 ||
    c === 96 ||
    c === 124 ||
    c === 126
  );
}

function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) if (!isTokenChar(s.charCodeAt(i))) return false;
  return true;
}

function isBaggageOctet(c: number): boolean {
  return (
    c === 0x21 ||
    (c >= 0x23 && c <= 0x2b) ||
    (c >= 0x2d && c <= 0x3a) ||
    (c >= 0x3c && c <= 0x5b) ||
    (c >= 0x5d && c <= 0x7e)
  );
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

// Core compiles without DOM typings, so the two web-standard codecs are typed here.
type Utf8EncoderConstructor = new () => { encode(input: string): Uint8Array };
type Utf8DecoderConstructor = new () => { decode(input: Uint8Array): string };
let utf8Decoder: InstanceType<Utf8DecoderConstructor> | undefined;
let utf8Encoder: InstanceType<Utf8EncoderConstructor> | undefined;

/** Percent-decodes; octets that are not valid UTF-8 become U+FFFD, as the Baggage spec requires. */
function percentDecode(s: string): string {
  if (!s.includes("%")) return s;
  const bytes = new Uint8Array(s.length);
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 37 && i + 2 < s.length) {
      const hi = hexValue(s.charCodeAt(i + 1));
      const lo = hexValue(s.charCodeAt(i + 2));
      if (hi >= 0 && lo >= 0) {
        bytes[n++] = hi * 16 + lo;
        i += 2;
        continue;
      }
    }
    bytes[n++] = c;
  }
  utf8Decoder ??= new (
    runtimeGlobal<Utf8DecoderConstructor>("TextDecoder") as Utf8DecoderConstructor
  )();
  return utf8Decoder.decode(bytes.subarray(0, n));
}

function percentEncode(s: string): string {
  let plain = true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!isBaggageOctet(c) || c === 37) {
      plain = false;
      break;
    }
  }
  if (plain) return s;
  utf8Encoder ??= new (
    runtimeGlobal<Utf8EncoderConstructor>("TextEncoder") as Utf8EncoderConstructor
  )();
  let out = "";
  for (const b of utf8Encoder.encode(s)) {
    out +=
      isBaggageOctet(b) && b !== 37
        ? String.fromCharCode(b)
        : `%${b.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/**
 * Parses a W3C `baggage` value (several header lines joined with `,`).
 * Values are percent-decoded (invalid UTF-8 becomes U+FFFD); properties after
 * `;` are kept as entry metadata. Malformed list members are skipped and the
 * rest kept; members beyond 180 or 8192 bytes are dropped whole.
 *
 * @param value - the header value.
 * @returns the baggage, or `undefined` when absent or empty. Never throws.
 * @example
 * ```ts
 * parseBaggage("userId=alice,isVip=true;ttl=60")?.getEntry("isVip")?.value; // "true"
 * ```
 */
export function parseBaggage(value: unknown): Baggage | undefined {
  if (typeof value !== "string" || value.length === 0) return undefined;
  // No prototype: a member named "__proto__" must be an ordinary key.
  const entries: Record<string, BaggageEntry> = Object.create(null);
  let count = 0;
  let start = 0;
  while (start <= value.length && count < MAX_BAGGAGE_MEMBERS) {
    let end = value.indexOf(",", start);
    if (end === -1) end = value.length;
    if (end > MAX_BAGGAGE_BYTES) break;
    const member = value.slice(start, end);
    start = end + 1;
    const semi = member.indexOf(";");
    const pair = semi === -1 ? member : member.slice(0, semi);
    const eq = pair.indexOf("=");
    if (eq === -1) continue;
    const key = trimOws(pair.slice(0, eq));
    const raw = trimOws(pair.slice(eq + 1));
    if (!isToken(key)) continue;
    let valid = true;
    for (let i = 0; i < raw.length; i++) {
      if (!isBaggageOctet(raw.charCodeAt(i))) {
        valid = false;
        break;
      }
    }
    if (!valid) continue;
    const entry: BaggageEntry = { value: percentDecode(raw) };
    if (semi !== -1) {
      const props = trimOws(member.slice(semi + 1));
      if (props !== "") entry.metadata = baggageEntryMetadataFromString(props);
    }
    if (!(key in entries)) count++;
    entries[key] = entry;
  }
  return count === 0 ? undefined : propagation.createBaggage(entries);
}

/**
 * Formats baggage as a W3C `baggage` value, percent-encoding values and
 * dropping entries with keys that are not HTTP tokens or that would exceed
 * 180 members or 8192 bytes.
 *
 * @param baggage - the baggage.
 * @returns the value, or `undefined` when nothing is left to send.
 * @example
 * ```ts
 * formatBaggage(propagation.createBaggage({ userId: { value: "alice" } })); // "userId=alice"
 * ```
 */
export function formatBaggage(baggage: Baggage): string | undefined {
  let out = "";
  let count = 0;
  for (const [key, entry] of baggage.getAllEntries()) {
    if (count === MAX_BAGGAGE_MEMBERS) break;
    if (!isToken(key) || typeof entry.value !== "string") continue;
    let member = `${key}=${percentEncode(entry.value)}`;
    const meta = entry.metadata?.toString();
    if (meta) member += `;${meta}`;
    if (out.length + member.length + (out === "" ? 0 : 1) > MAX_BAGGAGE_BYTES) continue;
    out = out === "" ? member : `${out},${member}`;
    count++;
  }
  return out === "" ? undefined : out;
}

// --- carriers -----------------------------------------------------------------

function isGetter(headers: HeadersLike): headers is HeaderGetter {
  return typeof (headers as HeaderGetter).get === "function";
}

/** Reads a header; for a plain record, several values are returned as an array. */
function readHeader(headers: HeadersLike, name: string): string | readonly string[] | undefined {
  if (isGetter(headers)) return headers.get(name) ?? undefined;
  const direct = headers[name];
  if (direct !== undefined) return direct;
  for (const key of Object.keys(headers)) {
    if (key.length === name.length && key.toLowerCase() === name) return headers[key];
  }
  return undefined;
}

/** A header that may legitimately be repeated; lines join into one list. */
function readListHeader(headers: HeadersLike, name: string): string | undefined {
  const v = readHeader(headers, name);
  return typeof v === "string" ? v : Array.isArray(v) ? v.join(",") : undefined;
}

/** `traceparent` must occur once; repeated lines make it invalid. */
function readSingleHeader(headers: HeadersLike, name: string): string | undefined {
  const v = readHeader(headers, name);
  if (typeof v === "string") return v;
  return Array.isArray(v) && v.length === 1 ? (v[0] as string) : undefined;
}

/**
 * W3C Trace Context + Baggage as one OpenTelemetry propagator, with the
 * strict parsing of {@link parseTraceparent}, {@link parseTracestate} and
 * {@link parseBaggage}. Register it globally with
 * `propagation.setGlobalPropagator(w3cPropagator)` so OpenTelemetry
 * instrumentations use the same rules.
 *
 * @example
 * ```ts
 * propagation.setGlobalPropagator(w3cPropagator);
 * ```
 */
export const w3cPropagator: TextMapPropagator = {
  inject(ctx: Context, carrier: unknown, setter: TextMapSetter): void {
    try {
      const sc = trace.getSpanContext(ctx);
      const tp = sc === undefined ? undefined : formatTraceparent(sc);
      if (sc !== undefined && tp !== undefined) {
        setter.set(carrier, TRACEPARENT_HEADER, tp);
        const ts = sc.traceState?.serialize();
        if (ts) setter.set(carrier, TRACESTATE_HEADER, ts);
      }
      const baggage = propagation.getBaggage(ctx);
      const b = baggage === undefined ? undefined : formatBaggage(baggage);
      if (b !== undefined) setter.set(carrier, BAGGAGE_HEADER, b);
    } catch {
      // Propagation is best effort; a strange carrier must not break the request.
    }
  },
  extract(ctx: Context, carrier: unknown, getter: TextMapGetter): Context {
    try {
      const single = (name: string): string | undefined => {
        const v = getter.get(carrier, name);
        return typeof v === "string" ? v : v?.length === 1 ? v[0] : undefined;
      };
      const list = (name: string): string | undefined => {
        const v = getter.get(carrier, name);
        return typeof v === "string" ? v : v?.join(",");
      };
      return applyExtracted(
        ctx,
        single(TRACEPARENT_HEADER),
        list(TRACESTATE_HEADER),
        list(BAGGAGE_HEADER),
      );
    } catch {
      return ctx;
    }
  },
  fields: () => [TRACEPARENT_HEADER, TRACESTATE_HEADER, BAGGAGE_HEADER],
};

function applyExtracted(
  ctx: Context,
  traceparent: string | undefined,
  tracestate: string | undefined,
  baggageValue: string | undefined,
): Context {
  const sc = parseTraceparent(traceparent);
  if (sc !== undefined) {
    // tracestate only means something next to a valid traceparent.
    const ts = parseTracestate(tracestate);
    if (ts !== undefined) sc.traceState = ts;
    ctx = trace.setSpanContext(extendable(ctx), sc);
  }
  const baggage = parseBaggage(baggageValue);
  if (baggage !== undefined) ctx = propagation.setBaggage(extendable(ctx), baggage);
  return ctx;
}

/**
 * The W3C `traceparent` of the active span (or of the span in `ctx`), to hand
 * to code that propagates context by hand (queues, job payloads, logs).
 *
 * @param ctx - the context to read (default: the active context).
 * @returns the `traceparent` value, or `undefined` when there is no valid span.
 * @example
 * ```ts
 * await queue.send({ body, traceparent: w3cTraceparent() });
 * ```
 */
export function w3cTraceparent(ctx: Context = context.active()): string | undefined {
  const sc = trace.getSpanContext(ctx);
  return sc === undefined ? undefined : formatTraceparent(sc);
}

/**
 * Writes `traceparent`, `tracestate` and `baggage` for the active span (or
 * the span in `ctx`) into outgoing headers. Nothing is written for a missing
 * or invalid span context.
 *
 * @param headers - a `Headers`-like object or a plain record; modified in place.
 * @param ctx - the context to propagate (default: the active context).
 * @returns `headers`. Never throws: a carrier that cannot be written is left as it is
 *   and counted in `stats().logs.invalidInput`.
 * @example
 * ```ts
 * const res = await fetch(url, { headers: injectHeaders(new Headers()) });
 * ```
 */
export function injectHeaders<H extends HeaderSetter | Record<string, string>>(
  headers: H,
  ctx: Context = context.active(),
): H {
  // A carrier that cannot be written (frozen, a throwing setter or Proxy, not an
  // object) keeps what could be written; the call never throws and counts it once.
  let failed = false;
  const setter: TextMapSetter<H> = {
    set(carrier, key, value) {
      try {
        if (typeof (carrier as HeaderSetter).set === "function") {
          (carrier as HeaderSetter).set(key, value);
        } else {
          (carrier as Record<string, string>)[key] = value;
        }
      } catch {
        failed = true;
      }
    },
  };
  w3cPropagator.inject(ctx, headers, setter);
  if (failed) countInvalidInput(ctx);
  return headers;
}

/**
 * Reads W3C trace context and baggage from incoming headers (or a bare
 * `traceparent` string) into a context. Malformed values are ignored as the
 * W3C specs require: the result then simply has no remote parent (or no
 * baggage). Never throws.
 *
 * @param headers - a `Headers`-like object, a plain record, or a `traceparent` value.
 * @param ctx - the context to extend (default: the active context).
 * @returns `ctx` with the remote span context and baggage set.
 * @example
 * ```ts
 * const parent = extractContext(request.headers);
 * context.with(parent, () => span("handle", () => handle(request)));
 * ```
 */
export function extractContext(
  headers: string | HeadersLike,
  ctx: Context = context.active(),
): Context {
  try {
    if (typeof headers === "string") return applyExtracted(ctx, headers, undefined, undefined);
    if (headers === null || typeof headers !== "object") return ctx;
    return applyExtracted(
      ctx,
      readSingleHeader(headers, TRACEPARENT_HEADER),
      readListHeader(headers, TRACESTATE_HEADER),
      readListHeader(headers, BAGGAGE_HEADER),
    );
  } catch {
    return ctx;
  }
}

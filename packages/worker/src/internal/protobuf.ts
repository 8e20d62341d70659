// OTLP/HTTP protobuf encoding of spans and request metrics, written for the Worker's bundle:
// the OpenTelemetry transformer's serializers cover every signal and shape and weigh several
// times more. Field numbers are those of opentelemetry-proto (common, resource, trace and
// metrics v1); what is written follows the transformer's protobuf serializers, so that a
// collector decodes the same data from either (decision 0012).
import type { OtlpTraceEncoding } from "@groundwork/core/otlp";
import type { OtlpMetricsEncoding } from "@groundwork/metrics/otlp";
import type { HrTime, SpanContext } from "@opentelemetry/api";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";

/**
 * Bytes being written, in one buffer that grows by doubling. A nested message reserves bytes
 * for its length when it starts (`open`) and is moved only when its length needs another
 * number of bytes (`close`).
 */
interface Out {
  buf: Uint8Array;
  pos: number;
}

/** Wire types. */
const VARINT = 0;
const I64 = 1;
const LEN = 2;
const I32 = 5;

/**
 * The buffer of the last request encoded, written over by the next one instead of growing a
 * new buffer from 4 KiB each time; one larger than `SPARE_MAX` is not kept.
 */
let spare: Uint8Array | undefined;
const SPARE_MAX = 256 * 1024;

function writer(): Out {
  const buf = spare ?? new Uint8Array(4096);
  // Taken while in use, so that an encoding that throws half-way leaves nothing shared behind.
  spare = undefined;
  return { buf, pos: 0 };
}

function finish(out: Out): Uint8Array {
  if (out.buf.length <= SPARE_MAX) spare = out.buf;
  return out.buf.slice(0, out.pos);
}

function room(out: Out, n: number): void {
  if (out.pos + n <= out.buf.length) return;
  const next = new Uint8Array(Math.max(out.buf.length * 2, out.pos + n));
  next.set(out.buf.subarray(0, out.pos));
  out.buf = next;
}

/** Writes `n`, a non-negative safe integer, as a varint at `pos` of `buf`; returns the end. */
function varintAt(buf: Uint8Array, pos: number, n: number): number {
  while (n > 127) {
    buf[pos++] = (n % 128) | 128;
    n = Math.floor(n / 128);
  }
  buf[pos++] = n;
  return pos;
}

function varint(out: Out, n: number): void {
  room(out, 10);
  out.pos = varintAt(out.buf, out.pos, n);
}

function tag(out: Out, field: number, wire: number): void {
  varint(out, field * 8 + wire);
}

function uint(out: Out, field: number, n: number): void {
  tag(out, field, VARINT);
  varint(out, n);
}

/**
 * Starts a nested message of `field` and reserves `reserve` bytes for its length: 1 for a
 * message expected under 128 bytes, 2 for one expected under 16 KiB. The first reserved byte
 * holds how many were reserved until `close` writes the length. Returns where the length goes.
 */
function open(out: Out, field: number, reserve: 1 | 2): number {
  tag(out, field, LEN);
  room(out, reserve);
  const at = out.pos;
  out.buf[at] = reserve;
  out.pos += reserve;
  return at;
}

/** Ends the nested message opened at `at`, moving it if its length takes other than reserved. */
function close(out: Out, at: number): void {
  const reserved = out.buf[at]!;
  const start = at + reserved;
  const length = out.pos - start;
  let size = 1;
  for (let n = length; n > 127; n >>>= 7) size++;
  if (size !== reserved) {
    room(out, size - reserved);
    out.buf.copyWithin(at + size, start, out.pos);
    out.pos += size - reserved;
  }
  varintAt(out.buf, at, length);
}

/** `data` as it is. */
function raw(out: Out, data: Uint8Array): void {
  room(out, data.length);
  out.buf.set(data, out.pos);
  out.pos += data.length;
}

function bytes(out: Out, field: number, data: Uint8Array): void {
  tag(out, field, LEN);
  varint(out, data.length);
  raw(out, data);
}

let utf8: { encode(text: string): Uint8Array } | undefined;

/**
 * A string in UTF-8. ASCII is copied here, checked as it is copied: a `TextEncoder` call per
 * attribute key and value cost most of the encoding's time. Any other string is written
 * again over the copy, from `TextEncoder`.
 */
function string(out: Out, field: number, text: string): void {
  const mark = out.pos;
  const length = text.length;
  tag(out, field, LEN);
  varint(out, length);
  room(out, length);
  const buf = out.buf;
  let pos = out.pos;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c > 127) {
      out.pos = mark;
      utf8 ??= new TextEncoder();
      bytes(out, field, utf8.encode(text));
      return;
    }
    buf[pos++] = c;
  }
  out.pos = pos;
}

/** The value of a hex digit of either case, 0 for any other character. */
function nibble(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  c |= 32; // to lower case
  return c >= 97 && c <= 102 ? c - 87 : 0;
}

/** An id given in hex, as its bytes (a last odd digit is left out). */
function hex(out: Out, field: number, id: string): void {
  const length = id.length >>> 1;
  tag(out, field, LEN);
  varint(out, length);
  room(out, length);
  const buf = out.buf;
  let pos = out.pos;
  for (let i = 0; i < 2 * length; i += 2) {
    buf[pos++] = (nibble(id.charCodeAt(i)) << 4) | nibble(id.charCodeAt(i + 1));
  }
  out.pos = pos;
}

/** The 4 bytes of `n`, little-endian. */
function le32(out: Out, n: number): void {
  room(out, 4);
  for (let i = 0; i < 32; i += 8) out.buf[out.pos++] = (n >>> i) & 255;
}

function fixed32(out: Out, field: number, n: number): void {
  tag(out, field, I32);
  le32(out, n);
}

/**
 * A fixed64 of an integer, two's complement: `>>> 0` and the floor of a division by 2^32 give
 * its 32-bit halves exactly, beyond 2^53 as well.
 */
function int64(out: Out, n: number): void {
  le32(out, n >>> 0);
  le32(out, Math.floor(n / 2 ** 32));
}

/** An `HrTime` as nanoseconds since the epoch, a fixed64; fractions are truncated. */
function time(out: Out, field: number, t: HrTime): void {
  tag(out, field, I64);
  const seconds = t[0];
  const nanos = t[1];
  if (!(seconds >= 0 && seconds < 2 ** 32 && nanos >= 0 && nanos < 2 ** 32)) {
    // Before 1970, after 2106 or not numbers at all (BigInt throws on NaN): the slow way.
    const n = BigInt.asUintN(
      64,
      BigInt(Math.trunc(seconds)) * 1_000_000_000n + BigInt(Math.trunc(nanos)),
    );
    le32(out, Number(n & 0xffffffffn));
    le32(out, Number(n >> 32n));
    return;
  }
  // seconds × 1e9 is beyond 2^53, where numbers lose integers, but 1e9 = 1953125 × 2^9 and
  // seconds × 1953125 is below 2^53: the product is shifted left by 9 bits in halves.
  const product = Math.trunc(seconds) * 1953125;
  const low = (product % 2 ** 23) * 512 + Math.trunc(nanos);
  le32(out, low >>> 0);
  le32(out, Math.floor(product / 2 ** 23) + Math.floor(low / 2 ** 32));
}

const scratch = new DataView(new ArrayBuffer(8));
const scratchBytes = new Uint8Array(scratch.buffer);

function float64(out: Out, value: number): void {
  scratch.setFloat64(0, value, true);
  raw(out, scratchBytes);
}

function double(out: Out, field: number, value: number): void {
  tag(out, field, I64);
  float64(out, value);
}

/** An `AnyValue`: as the transformer writes it, integers in int64 range as `int_value`. */
function anyValue(out: Out, value: unknown): void {
  if (typeof value === "string") string(out, 1, value);
  else if (typeof value === "boolean") uint(out, 2, value ? 1 : 0);
  else if (typeof value === "number") {
    if (Number.isSafeInteger(value) && value >= 0) uint(out, 3, value);
    else if (Number.isInteger(value) && value >= -(2 ** 63) && value < 2 ** 63) {
      tag(out, 3, VARINT);
      // An int64 varint: negative values take ten bytes.
      let v = BigInt.asUintN(64, BigInt(value));
      room(out, 10);
      while (v > 127n) {
        out.buf[out.pos++] = Number(v & 127n) | 128;
        v >>= 7n;
      }
      out.buf[out.pos++] = Number(v);
    } else double(out, 4, value);
  } else if (value instanceof Uint8Array) bytes(out, 7, value);
  else if (Array.isArray(value)) {
    const list = open(out, 5, 1);
    for (const item of value) {
      const at = open(out, 1, 1);
      anyValue(out, item);
      close(out, at);
    }
    close(out, list);
  } else if (typeof value === "object" && value !== null) {
    const list = open(out, 6, 1);
    attributes(out, 1, value as Record<string, unknown>);
    close(out, list);
  }
}

function attributes(out: Out, field: number, attrs: Readonly<Record<string, unknown>>): void {
  for (const key in attrs) {
    if (!Object.hasOwn(attrs, key)) continue;
    const kv = open(out, field, 1);
    string(out, 1, key);
    const value = open(out, 2, 1);
    anyValue(out, attrs[key]);
    close(out, value);
    close(out, kv);
  }
}

interface ResourceLike {
  readonly attributes: Readonly<Record<string, unknown>>;
  readonly schemaUrl?: string | undefined;
}

interface ScopeLike {
  readonly name: string;
  readonly version?: string | undefined;
  readonly schemaUrl?: string | undefined;
}

function resource(out: Out, res: ResourceLike): void {
  const at = open(out, 1, 2);
  attributes(out, 1, res.attributes);
  uint(out, 2, 0);
  close(out, at);
}

function scope(out: Out, s: ScopeLike): void {
  const at = open(out, 1, 1);
  string(out, 1, s.name);
  if (s.version) string(out, 2, s.version);
  close(out, at);
}

/** `flags` of a span or link: the trace flags and whether the parent is remote. */
function spanFlags(traceFlags: number, isRemote: boolean | undefined): number {
  return (traceFlags & 255) | 256 | (isRemote ? 512 : 0);
}

function event(out: Out, e: ReadableSpan["events"][number]): void {
  const at = open(out, 11, 2);
  time(out, 1, e.time);
  string(out, 2, e.name);
  if (e.attributes) attributes(out, 3, e.attributes);
  uint(out, 4, e.droppedAttributesCount || 0);
  close(out, at);
}

function link(out: Out, l: ReadableSpan["links"][number]): void {
  const at = open(out, 13, 1);
  const ctx = l.context;
  hex(out, 1, ctx.traceId);
  hex(out, 2, ctx.spanId);
  const state = ctx.traceState?.serialize();
  if (state) string(out, 3, state);
  if (l.attributes) attributes(out, 4, l.attributes);
  uint(out, 5, l.droppedAttributesCount || 0);
  fixed32(out, 6, spanFlags(ctx.traceFlags, ctx.isRemote));
  close(out, at);
}

/** A span, field 2 of its `ScopeSpans`. */
function span(out: Out, s: ReadableSpan): void {
  const at = open(out, 2, 2);
  const sc = s.spanContext();
  hex(out, 1, sc.traceId);
  hex(out, 2, sc.spanId);
  const state = sc.traceState?.serialize();
  if (state) string(out, 3, state);
  const parent: SpanContext | undefined = s.parentSpanContext;
  if (parent?.spanId) hex(out, 4, parent.spanId);
  string(out, 5, s.name);
  if (s.kind != null) uint(out, 6, s.kind + 1);
  time(out, 7, s.startTime);
  time(out, 8, s.endTime);
  attributes(out, 9, s.attributes);
  uint(out, 10, s.droppedAttributesCount);
  for (const e of s.events) event(out, e);
  uint(out, 12, s.droppedEventsCount);
  for (const l of s.links) link(out, l);
  uint(out, 14, s.droppedLinksCount);
  const status = open(out, 15, 1);
  if (s.status.message) string(out, 2, s.status.message);
  uint(out, 3, s.status.code);
  close(out, status);
  fixed32(out, 16, spanFlags(sc.traceFlags, parent?.isRemote));
  close(out, at);
}

function encodeSpans(spans: readonly ReadableSpan[]): Uint8Array {
  // Grouped by resource, then by scope, as the transformer groups them.
  const groups = new Map<ResourceLike, Map<ScopeLike, ReadableSpan[]>>();
  for (const s of spans) {
    let scopes = groups.get(s.resource);
    if (scopes === undefined) {
      scopes = new Map();
      groups.set(s.resource, scopes);
    }
    const list = scopes.get(s.instrumentationScope);
    if (list === undefined) scopes.set(s.instrumentationScope, [s]);
    else list.push(s);
  }
  const out = writer();
  for (const [res, scopes] of groups) {
    const resourceSpans = open(out, 1, 2);
    resource(out, res);
    for (const [sc, list] of scopes) {
      const scopeSpans = open(out, 2, 2);
      scope(out, sc);
      for (const s of list) span(out, s);
      if (sc.schemaUrl) string(out, 3, sc.schemaUrl);
      close(out, scopeSpans);
    }
    if (res.schemaUrl) string(out, 3, res.schemaUrl);
    close(out, resourceSpans);
  }
  return finish(out);
}

/** Reads a varint at `at.i`, advancing it. */
function readVarint(body: Uint8Array, at: { i: number }): number {
  let n = 0;
  let scale = 1;
  for (;;) {
    const b = body[at.i++];
    if (b === undefined) throw new RangeError("truncated");
    n += (b & 127) * scale;
    if (b < 128) return n;
    scale *= 128;
  }
}

/** Calls `visit` with each field of a protobuf message (groups are not expected). */
function readFields(data: Uint8Array, visit: (field: number, value: number | Uint8Array) => void) {
  const at = { i: 0 };
  while (at.i < data.length) {
    const key = readVarint(data, at);
    const wire = key & 7;
    if (wire === VARINT) visit(key >>> 3, readVarint(data, at));
    else if (wire === LEN) {
      const length = readVarint(data, at);
      if (at.i + length > data.length) throw new RangeError("truncated");
      visit(key >>> 3, data.subarray(at.i, at.i + length));
      at.i += length;
    } else if (wire === I64 || wire === I32) at.i += wire === I64 ? 8 : 4;
    else throw new RangeError(`unexpected wire type ${wire}`);
  }
}

/**
 * `Export…ServiceResponse` → `{ partialSuccess: { [rejected]: n, errorMessage } }`, the shape
 * the transformer's deserializers return. Throws on a body that is not such a message.
 */
function decodeResponse(body: Uint8Array, rejected: string): unknown {
  const response: { partialSuccess?: Record<string, unknown> } = {};
  readFields(body, (field, value) => {
    if (field !== 1 || typeof value === "number") return;
    const partial: Record<string, unknown> = {};
    readFields(value, (f, v) => {
      if (f === 1 && typeof v === "number") partial[rejected] = v;
      else if (f === 2 && typeof v !== "number") partial.errorMessage = new TextDecoder().decode(v);
    });
    response.partialSuccess = partial;
  });
  return response;
}

/** Spans as binary protobuf; requests join by concatenation (protobuf merges repeated fields). */
export const protobufSpans: OtlpTraceEncoding = {
  protocol: "http/protobuf",
  encode: encodeSpans,
  join: (parts) => {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let offset = 0;
    for (const part of parts) {
      out.set(part, offset);
      offset += part.length;
    }
    return out;
  },
  decodeResponse: (body) => decodeResponse(body, "rejectedSpans"),
};

type MetricsRequest = Parameters<OtlpMetricsEncoding["encode"]>[0];
type MetricData = MetricsRequest["scopeMetrics"][number]["metrics"][number];

interface PointLike<V> {
  readonly attributes: Readonly<Record<string, unknown>>;
  readonly startTime: HrTime;
  readonly endTime: HrTime;
  readonly value: V;
}

interface HistogramValue {
  readonly count: number;
  readonly sum?: number | undefined;
  readonly buckets: { readonly boundaries: readonly number[]; readonly counts: readonly number[] };
}

// Enum values of the OpenTelemetry metrics data model (see @groundwork/metrics/otlp).
const HISTOGRAM = 0;
const GAUGE = 2;

function point(out: Out, p: PointLike<unknown>, attributesField: number): void {
  attributes(out, attributesField, p.attributes);
  time(out, 2, p.startTime);
  time(out, 3, p.endTime);
}

function histogramPoint(out: Out, p: PointLike<HistogramValue>): void {
  const at = open(out, 1, 2);
  point(out, p, 9);
  tag(out, 4, I64);
  int64(out, p.value.count);
  if (p.value.sum !== undefined) double(out, 5, p.value.sum);
  const counts = p.value.buckets.counts;
  tag(out, 6, LEN);
  varint(out, counts.length * 8);
  for (const c of counts) int64(out, c);
  const bounds = p.value.buckets.boundaries;
  tag(out, 7, LEN);
  varint(out, bounds.length * 8);
  for (const b of bounds) float64(out, b);
  close(out, at);
}

function numberPoints(out: Out, points: readonly PointLike<number>[]): void {
  for (const p of points) {
    const at = open(out, 1, 1);
    point(out, p, 7);
    double(out, 4, p.value);
    close(out, at);
  }
}

/** A metric, field 2 of its `ScopeMetrics`. */
function metric(out: Out, m: MetricData): void {
  const at = open(out, 2, 2);
  string(out, 1, m.descriptor.name);
  if (m.descriptor.description) string(out, 2, m.descriptor.description);
  if (m.descriptor.unit) string(out, 3, m.descriptor.unit);
  // Protobuf's temporality enum starts at 1 (0 is unspecified); the SDK's at 0.
  const temporality = (m as { aggregationTemporality: number }).aggregationTemporality + 1;
  if ((m.dataPointType as number) === HISTOGRAM) {
    const histogram = open(out, 9, 2);
    for (const p of m.dataPoints as readonly PointLike<HistogramValue>[]) histogramPoint(out, p);
    uint(out, 2, temporality);
    close(out, histogram);
  } else if ((m.dataPointType as number) === GAUGE) {
    const gauge = open(out, 5, 2);
    numberPoints(out, m.dataPoints as readonly PointLike<number>[]);
    close(out, gauge);
  } else {
    const sum = open(out, 7, 2);
    numberPoints(out, m.dataPoints as readonly PointLike<number>[]);
    uint(out, 2, temporality);
    uint(out, 3, (m as { isMonotonic: boolean }).isMonotonic ? 1 : 0);
    close(out, sum);
  }
  close(out, at);
}

/**
 * Request metrics as binary protobuf: the sums, gauges and explicit-bucket histograms of
 * double values that `@groundwork/metrics/otlp` makes of a registry.
 */
export const protobufMetrics: OtlpMetricsEncoding = {
  protocol: "http/protobuf",
  encode: (request) => {
    const out = writer();
    const resourceMetrics = open(out, 1, 2);
    resource(out, request.resource);
    for (const sm of request.scopeMetrics) {
      const scopeMetrics = open(out, 2, 2);
      scope(out, sm.scope);
      for (const data of sm.metrics) metric(out, data);
      if (sm.scope.schemaUrl) string(out, 3, sm.scope.schemaUrl);
      close(out, scopeMetrics);
    }
    if (request.resource.schemaUrl) string(out, 3, request.resource.schemaUrl);
    close(out, resourceMetrics);
    return finish(out);
  },
  decodeResponse: (body) => decodeResponse(body, "rejectedDataPoints"),
};

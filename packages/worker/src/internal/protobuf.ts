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
 * Bytes being written, in one buffer that grows by doubling. A nested message is written in
 * place and moved right by the size of its length once that is known.
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

const scratch = new DataView(new ArrayBuffer(8));

function writer(): Out {
  return { buf: new Uint8Array(4096), pos: 0 };
}

function room(out: Out, n: number): void {
  if (out.pos + n <= out.buf.length) return;
  const next = new Uint8Array(Math.max(out.buf.length * 2, out.pos + n));
  next.set(out.buf.subarray(0, out.pos));
  out.buf = next;
}

function varint(out: Out, n: number): void {
  room(out, 10);
  while (n > 127) {
    out.buf[out.pos++] = (n & 127) | 128;
    n = Math.floor(n / 128);
  }
  out.buf[out.pos++] = n;
}

function tag(out: Out, field: number, wire: number): void {
  varint(out, field * 8 + wire);
}

function uint(out: Out, field: number, n: number): void {
  tag(out, field, VARINT);
  varint(out, n);
}

function bytes(out: Out, field: number, data: Uint8Array): void {
  tag(out, field, LEN);
  varint(out, data.length);
  room(out, data.length);
  out.buf.set(data, out.pos);
  out.pos += data.length;
}

let utf8: { encode(text: string): Uint8Array } | undefined;

/**
 * A string in UTF-8. ASCII is copied here: a `TextEncoder` call per attribute key and value
 * cost most of the encoding's time.
 */
function string(out: Out, field: number, text: string): void {
  const length = text.length;
  for (let i = 0; i < length; i++) {
    if (text.charCodeAt(i) > 127) {
      utf8 ??= new TextEncoder();
      bytes(out, field, utf8.encode(text));
      return;
    }
  }
  tag(out, field, LEN);
  varint(out, length);
  room(out, length);
  for (let i = 0; i < length; i++) out.buf[out.pos++] = text.charCodeAt(i);
}

function message(out: Out, field: number, write: (out: Out) => void): void {
  tag(out, field, LEN);
  const start = out.pos;
  write(out);
  const length = out.pos - start;
  let size = 1;
  for (let n = length; n > 127; n = Math.floor(n / 128)) size++;
  room(out, size);
  out.buf.copyWithin(start + size, start, out.pos);
  out.pos = start;
  varint(out, length);
  out.pos = start + size + length;
}

function hex(out: Out, field: number, id: string): void {
  const data = new Uint8Array(id.length >>> 1);
  for (let i = 0; i < data.length; i++) data[i] = Number.parseInt(id.slice(2 * i, 2 * i + 2), 16);
  bytes(out, field, data);
}

/** The 8 bytes of `scratch`, little-endian as written there. */
function scratch8(out: Out): void {
  room(out, 8);
  for (let i = 0; i < 8; i++) out.buf[out.pos++] = scratch.getUint8(i);
}

/** A fixed64 of a 64-bit two's complement integer. */
function int64(out: Out, value: bigint): void {
  scratch.setBigUint64(0, BigInt.asUintN(64, value), true);
  scratch8(out);
}

function fixed32(out: Out, field: number, n: number): void {
  tag(out, field, I32);
  room(out, 4);
  for (let i = 0; i < 4; i++) out.buf[out.pos++] = (n >>> (8 * i)) & 255;
}

function time(out: Out, field: number, t: HrTime): void {
  tag(out, field, I64);
  int64(out, BigInt(Math.trunc(t[0])) * 1_000_000_000n + BigInt(Math.trunc(t[1])));
}

function doubleBytes(out: Out, value: number): void {
  scratch.setFloat64(0, value, true);
  scratch8(out);
}

function double(out: Out, field: number, value: number): void {
  tag(out, field, I64);
  doubleBytes(out, value);
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
    message(out, 5, (list) => {
      for (const item of value) message(list, 1, (v) => anyValue(v, item));
    });
  } else if (typeof value === "object" && value !== null) {
    message(out, 6, (list) => attributes(list, 1, value as Record<string, unknown>));
  }
}

function attributes(out: Out, field: number, attrs: Readonly<Record<string, unknown>>): void {
  for (const key in attrs) {
    if (!Object.hasOwn(attrs, key)) continue;
    message(out, field, (kv) => {
      string(kv, 1, key);
      message(kv, 2, (v) => anyValue(v, attrs[key]));
    });
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
  message(out, 1, (r) => {
    attributes(r, 1, res.attributes);
    uint(r, 2, 0);
  });
}

function scope(out: Out, s: ScopeLike): void {
  message(out, 1, (m) => {
    string(m, 1, s.name);
    if (s.version) string(m, 2, s.version);
  });
}

/** `flags` of a span or link: the trace flags and whether the parent is remote. */
function spanFlags(traceFlags: number, isRemote: boolean | undefined): number {
  return (traceFlags & 255) | 256 | (isRemote ? 512 : 0);
}

function span(out: Out, s: ReadableSpan): void {
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
  for (const event of s.events) {
    message(out, 11, (e) => {
      time(e, 1, event.time);
      string(e, 2, event.name);
      if (event.attributes) attributes(e, 3, event.attributes);
      uint(e, 4, event.droppedAttributesCount || 0);
    });
  }
  uint(out, 12, s.droppedEventsCount);
  for (const link of s.links) {
    message(out, 13, (l) => {
      const ctx = link.context;
      hex(l, 1, ctx.traceId);
      hex(l, 2, ctx.spanId);
      const linkState = ctx.traceState?.serialize();
      if (linkState) string(l, 3, linkState);
      if (link.attributes) attributes(l, 4, link.attributes);
      uint(l, 5, link.droppedAttributesCount || 0);
      fixed32(l, 6, spanFlags(ctx.traceFlags, ctx.isRemote));
    });
  }
  uint(out, 14, s.droppedLinksCount);
  message(out, 15, (st) => {
    if (s.status.message) string(st, 2, s.status.message);
    uint(st, 3, s.status.code);
  });
  fixed32(out, 16, spanFlags(sc.traceFlags, parent?.isRemote));
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
    message(out, 1, (rs) => {
      resource(rs, res);
      for (const [sc, list] of scopes) {
        message(rs, 2, (ss) => {
          scope(ss, sc);
          for (const s of list) message(ss, 2, (m) => span(m, s));
          if (sc.schemaUrl) string(ss, 3, sc.schemaUrl);
        });
      }
      if (res.schemaUrl) string(rs, 3, res.schemaUrl);
    });
  }
  return out.buf.slice(0, out.pos);
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

function metric(out: Out, m: MetricData): void {
  string(out, 1, m.descriptor.name);
  if (m.descriptor.description) string(out, 2, m.descriptor.description);
  if (m.descriptor.unit) string(out, 3, m.descriptor.unit);
  // Protobuf's temporality enum starts at 1 (0 is unspecified); the SDK's at 0.
  const temporality = (m as { aggregationTemporality: number }).aggregationTemporality + 1;
  if ((m.dataPointType as number) === HISTOGRAM) {
    message(out, 9, (h) => {
      for (const p of m.dataPoints as readonly PointLike<HistogramValue>[]) {
        message(h, 1, (d) => {
          point(d, p, 9);
          tag(d, 4, I64);
          int64(d, BigInt(p.value.count));
          if (p.value.sum !== undefined) double(d, 5, p.value.sum);
          const counts = p.value.buckets.counts;
          tag(d, 6, LEN);
          varint(d, counts.length * 8);
          for (const c of counts) int64(d, BigInt(c));
          const bounds = p.value.buckets.boundaries;
          tag(d, 7, LEN);
          varint(d, bounds.length * 8);
          for (const b of bounds) doubleBytes(d, b);
        });
      }
      uint(h, 2, temporality);
    });
    return;
  }
  const numbers = (container: Out) => {
    for (const p of m.dataPoints as readonly PointLike<number>[]) {
      message(container, 1, (d) => {
        point(d, p, 7);
        double(d, 4, p.value);
      });
    }
  };
  if ((m.dataPointType as number) === GAUGE) message(out, 5, numbers);
  else {
    message(out, 7, (s) => {
      numbers(s);
      uint(s, 2, temporality);
      uint(s, 3, (m as { isMonotonic: boolean }).isMonotonic ? 1 : 0);
    });
  }
}

/**
 * Request metrics as binary protobuf: the sums, gauges and explicit-bucket histograms of
 * double values that `@groundwork/metrics/otlp` makes of a registry.
 */
export const protobufMetrics: OtlpMetricsEncoding = {
  protocol: "http/protobuf",
  encode: (request) => {
    const out = writer();
    message(out, 1, (rm) => {
      resource(rm, request.resource);
      for (const sm of request.scopeMetrics) {
        message(rm, 2, (m) => {
          scope(m, sm.scope);
          for (const data of sm.metrics) message(m, 2, (x) => metric(x, data));
          if (sm.scope.schemaUrl) string(m, 3, sm.scope.schemaUrl);
        });
      }
      if (request.resource.schemaUrl) string(rm, 3, request.resource.schemaUrl);
    });
    return out.buf.slice(0, out.pos);
  },
  decodeResponse: (body) => decodeResponse(body, "rejectedDataPoints"),
};

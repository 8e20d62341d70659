import { createServiceResource } from "@groundwork/core/otlp";
import {
  type ReceivedMetricPoint,
  type ReceivedSpan,
  useOtlpReceiver,
} from "@groundwork/test-harness";
import { recordVariedSpans } from "@groundwork/test-harness/spans";
import {
  ProtobufMetricsSerializer,
  ProtobufTraceSerializer,
} from "@opentelemetry/otlp-transformer";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { describe, expect, it } from "vitest";
import { protobufMetrics, protobufSpans } from "../src/internal/protobuf";

// The Worker's own protobuf encoding decodes, with the official definitions, to what the
// OpenTelemetry transformer's encoding of the same data decodes to.

const receiver = useOtlpReceiver();

/** Spans of varied shapes, with the values encoders get wrong most easily. */
const recordVaried = (count: number) => recordVariedSpans(count, { edgeCases: true });

/** The transformer's encoding of `spans`. */
const transformer = (spans: ReadableSpan[]) =>
  ProtobufTraceSerializer.serializeRequest(spans) as Uint8Array;

/** `span` with some of its fields replaced. */
function withFields(span: ReadableSpan, fields: Partial<Record<keyof ReadableSpan, unknown>>) {
  const copy: ReadableSpan = Object.create(span);
  for (const [key, value] of Object.entries(fields)) Object.defineProperty(copy, key, { value });
  return copy;
}

/** The payload of the first field `field` of a protobuf message (length-delimited fields only). */
function lengthField(message: Uint8Array, field: number): Uint8Array {
  let i = 0;
  const varint = () => {
    let n = 0;
    for (let scale = 1; ; scale *= 128) {
      const b = message[i++]!;
      n += (b & 127) * scale;
      if (b < 128) return n;
    }
  };
  while (i < message.length) {
    const key = varint();
    const wire = key & 7;
    if (wire === 0) {
      varint();
      continue;
    }
    const length = wire === 1 ? 8 : wire === 5 ? 4 : varint();
    if (wire === 2 && key >>> 3 === field) return message.subarray(i, i + length);
    i += length;
  }
  throw new Error(`no field ${field}`);
}

/**
 * Empties the encoder's kept buffer: one larger than it keeps is dropped, so the next
 * encoding starts from a new small buffer and grows it.
 */
function dropKeptBuffer(span: ReadableSpan): void {
  protobufSpans.encode([withFields(span, { attributes: { big: "x".repeat(300_000) } })]);
}

/**
 * What the receiver decodes of one request body (protobuf), read on its own: the receiver is
 * reset first.
 */
async function decoded(signal: "traces", body: Uint8Array): Promise<ReceivedSpan[]>;
async function decoded(signal: "metrics", body: Uint8Array): Promise<ReceivedMetricPoint[]>;
async function decoded(
  signal: "traces" | "metrics",
  body: Uint8Array,
): Promise<ReceivedSpan[] | ReceivedMetricPoint[]> {
  receiver.reset();
  const response = await fetch(receiver.endpoint(signal), {
    method: "POST",
    headers: { "content-type": "application/x-protobuf" },
    body,
  });
  expect(response.status).toBe(200);
  return signal === "traces" ? receiver.traces() : receiver.metrics();
}

describe("the Worker's protobuf encoding", () => {
  it("decodes to the same spans as the transformer's", async () => {
    const spans = recordVaried(12);
    const expected = await decoded(
      "traces",
      ProtobufTraceSerializer.serializeRequest(spans) as Uint8Array,
    );
    expect(await decoded("traces", protobufSpans.encode(spans) as Uint8Array)).toEqual(expected);
    expect(expected).toHaveLength(24);
  });

  it("writes the same bytes as the transformer", () => {
    const spans = recordVaried(12);
    expect(protobufSpans.encode(spans)).toEqual(transformer(spans));
  });

  it("writes nested messages whose length takes one, two or three bytes as the transformer does", () => {
    // The parent of the first pair: no attributes, events or links, under 128 bytes.
    const base = recordVaried(1)[1]!;
    const padded = (n: number) => withFields(base, { attributes: { pad: "x".repeat(n) } });
    // Where each nested message is in a request of one span with one attribute.
    const paths: Record<string, number[]> = {
      ResourceSpans: [1],
      ScopeSpans: [1, 2],
      Span: [1, 2, 2],
      KeyValue: [1, 2, 2, 9],
      AnyValue: [1, 2, 2, 9, 2],
    };
    const lengthAt = (path: number[], n: number) =>
      path.reduce((m, field) => lengthField(m, field), transformer([padded(n)])).length;
    let checked = 0;
    for (const [name, path] of Object.entries(paths)) {
      for (const target of [127, 128, 16_383, 16_384]) {
        // Lengths grow with the padding, by one byte at a time but where a length prefix
        // inside grows: the padding giving the target, or the one before and after it.
        // ResourceSpans and ScopeSpans hold the resource: never under 128 bytes.
        if (lengthAt(path, 0) > target) continue;
        let n = target - lengthAt(path, 0);
        while (lengthAt(path, n) > target) n--;
        const around = [n - 1, n, n + 1].filter((m) => m >= 0);
        const lengths = around.map((m) => lengthAt(path, m));
        expect(lengths, `${name} of ${target} bytes`).toContain(target);
        for (const m of around) {
          expect(protobufSpans.encode([padded(m)]), `${name}, padding ${m}`).toEqual(
            transformer([padded(m)]),
          );
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThanOrEqual(3 * 16);
  });

  it("grows its buffer at any point of a request as the transformer writes it", () => {
    const base = recordVaried(1)[1]!;
    // Requests of 4000 to 4160 bytes, each written from the first, 4 KiB buffer: its end
    // falls in the padding, right after it and after the last field.
    const overhead =
      transformer([withFields(base, { attributes: { pad: "x".repeat(200) } })]).length - 200;
    for (let n = 4000 - overhead; n <= 4160 - overhead; n++) {
      const span = withFields(base, { attributes: { pad: "x".repeat(n) } });
      dropKeptBuffer(base);
      expect(protobufSpans.encode([span]), `padding ${n}`).toEqual(transformer([span]));
    }
  });

  it("returns bytes that later encodings do not change", () => {
    const spans = recordVaried(4);
    const first = protobufSpans.encode(spans.slice(0, 1)) as Uint8Array;
    const copy = first.slice();
    protobufSpans.encode(spans);
    const metrics = protobufMetrics.encode({
      resource: createServiceResource({ serviceName: "orders" }),
      scopeMetrics: [],
    } as unknown as Parameters<typeof protobufMetrics.encode>[0]);
    expect(first).toEqual(copy);
    expect(metrics?.length).toBeGreaterThan(0);
  });

  it("writes after an encoding that threw as it writes otherwise", () => {
    const spans = recordVaried(2);
    const broken = withFields(spans[0]!, { name: 42 });
    expect(() => protobufSpans.encode([spans[1]!, broken])).toThrow();
    expect(protobufSpans.encode(spans)).toEqual(transformer(spans));
  });

  it("writes non-ASCII text after an ASCII start as the transformer does", () => {
    const base = recordVaried(1)[1]!;
    for (const n of [0, 1, 125, 126, 127, 128, 200]) {
      for (const tail of ["é", "✓", "🚀", "\ud800"]) {
        const span = withFields(base, { attributes: { text: "a".repeat(n) + tail } });
        expect(protobufSpans.encode([span]), `${n} + ${tail}`).toEqual(transformer([span]));
      }
    }
  });

  it("writes times of any date as the transformer does, carries between halves included", async () => {
    const base = recordVaried(1)[1]!;
    const times: [number, number][] = [
      [0, 0],
      [0, 999_999_999],
      [1, 0],
      [1_764_000_000, 123_456_789],
      [2 ** 32 - 1, 999_999_999],
      [2 ** 32, 0],
      [2 ** 33 + 5, 999_999_999],
      [1.5, 2_000_000_000],
    ];
    // Seconds whose nanoseconds' low 32 bits are near 2^32, so that most carry into the high half.
    for (let s = 1_700_000_000; s < 1_700_000_000 + 97 * 40; s += 97) times.push([s, 999_999_999]);
    for (const t of times) {
      const span = withFields(base, { startTime: t, endTime: t });
      expect(protobufSpans.encode([span]), `${t}`).toEqual(transformer([span]));
    }
    const [received] = await decoded(
      "traces",
      protobufSpans.encode([
        withFields(base, { startTime: [2 ** 32 - 1, 999_999_999] }),
      ]) as Uint8Array,
    );
    expect(received?.startTimeUnixNano).toBe(4_294_967_295_999_999_999n);
  });

  it("reads ids in either case as the transformer does, and other characters as zeros", async () => {
    const base = recordVaried(1)[0]!;
    const link = base.links[0]!;
    const upper = {
      ...link,
      context: {
        ...link.context,
        traceId: "0AF7651916CD43DD8448EB211C80319C",
        spanId: "B7AD6B7169203331",
      },
    };
    const span = withFields(base, { links: [upper] });
    expect(protobufSpans.encode([span])).toEqual(transformer([span]));
    const invalid = {
      ...link,
      context: { ...link.context, traceId: "0g".repeat(16), spanId: "-1 zZ:/@`Gffffff" },
    };
    const [received] = await decoded(
      "traces",
      protobufSpans.encode([withFields(base, { links: [invalid] })]) as Uint8Array,
    );
    expect(received?.links[0]?.traceId).toBe("00".repeat(16));
    expect(received?.links[0]?.spanId).toBe("0100000000ffffff");
  });

  it("writes times given with fractions as the transformer does, without throwing", async () => {
    const [span] = recordVaried(1);
    const odd: ReadableSpan = Object.create(span as ReadableSpan);
    Object.defineProperty(odd, "startTime", { value: [1_764_000_000.5, 1000.25] });
    const expected = await decoded(
      "traces",
      ProtobufTraceSerializer.serializeRequest([odd]) as Uint8Array,
    );
    expect(await decoded("traces", protobufSpans.encode([odd]) as Uint8Array)).toEqual(expected);
    expect(expected[0]?.startTimeUnixNano).toBe(1_764_000_000_000_001_000n);
  });

  it("joins requests into one carrying all their spans", async () => {
    const spans = recordVaried(6);
    const expected = await decoded("traces", protobufSpans.encode(spans) as Uint8Array);
    const parts = [protobufSpans.encode(spans.slice(0, 5)), protobufSpans.encode(spans.slice(5))];
    const joined = await decoded("traces", protobufSpans.join(parts as Uint8Array[]) as Uint8Array);
    // Grouped by resource and scope per part, so in another order.
    const bySpanId = (a: { spanId: string }, b: { spanId: string }) =>
      a.spanId.localeCompare(b.spanId);
    expect(joined.sort(bySpanId)).toEqual(expected.sort(bySpanId));
    expect(expected).toHaveLength(12);
  });

  it("decodes to the same metrics as the transformer's", async () => {
    const at = (s: number): [number, number] => [1_764_000_000 + s, 250_000_000];
    const request = {
      resource: createServiceResource({ serviceName: "orders" }),
      scopeMetrics: [
        {
          scope: { name: "@groundwork/metrics" },
          metrics: [
            {
              descriptor: { name: "requests", description: "Invocations", unit: "", valueType: 1 },
              aggregationTemporality: 0,
              dataPointType: 3,
              isMonotonic: true,
              dataPoints: [
                { startTime: at(0), endTime: at(5), attributes: { status: "200" }, value: 3 },
                { startTime: at(1), endTime: at(5), attributes: { status: "503" }, value: 0.5 },
              ],
            },
            {
              descriptor: { name: "inflight", description: "In flight", unit: "", valueType: 1 },
              aggregationTemporality: 1,
              dataPointType: 2,
              dataPoints: [{ startTime: at(5), endTime: at(5), attributes: {}, value: -2 }],
            },
            {
              descriptor: { name: "duration", description: "Duration", unit: "s", valueType: 1 },
              aggregationTemporality: 1,
              dataPointType: 0,
              dataPoints: [
                {
                  startTime: at(0),
                  endTime: at(5),
                  attributes: { route: "/orders" },
                  value: {
                    buckets: { boundaries: [0.1, 1], counts: [2, 0, 1] },
                    sum: 3.25,
                    count: 3,
                  },
                },
              ],
            },
          ],
        },
      ],
    } as unknown as Parameters<typeof protobufMetrics.encode>[0];
    const expected = await decoded(
      "metrics",
      ProtobufMetricsSerializer.serializeRequest(request) as Uint8Array,
    );
    expect(await decoded("metrics", protobufMetrics.encode(request) as Uint8Array)).toEqual(
      expected,
    );
    expect(expected).toHaveLength(4);
  });

  it("reads a partial success as the transformer reads it", () => {
    // { partial_success: { rejected: 300, error_message: "too old" }, unknown field 5: 1 }
    const message = [...new TextEncoder().encode("too old")];
    const partial = [0x08, 0xac, 0x02, 0x12, message.length, ...message];
    const body = Uint8Array.from([0x0a, partial.length, ...partial, 0x28, 0x01]);
    expect(protobufSpans.decodeResponse(body)).toEqual(
      ProtobufTraceSerializer.deserializeResponse(body),
    );
    expect(protobufMetrics.decodeResponse(body)).toEqual(
      ProtobufMetricsSerializer.deserializeResponse(body),
    );
    expect(protobufSpans.decodeResponse(body)).toEqual({
      partialSuccess: { rejectedSpans: 300, errorMessage: "too old" },
    });
    expect(() => protobufSpans.decodeResponse(Uint8Array.of(0x0a, 0x05, 0x08))).toThrow();
  });
});

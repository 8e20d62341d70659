import { createServiceResource } from "@groundwork/core/otlp";
import { useOtlpReceiver } from "@groundwork/test-harness";
import { SpanKind, SpanStatusCode, TraceFlags, type Tracer } from "@opentelemetry/api";
import {
  ProtobufMetricsSerializer,
  ProtobufTraceSerializer,
} from "@opentelemetry/otlp-transformer";
import { BasicTracerProvider, type ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { describe, expect, it } from "vitest";
import { protobufMetrics, protobufSpans } from "../src/internal/protobuf";

// The Worker's own protobuf encoding decodes, with the official definitions, to what the
// OpenTelemetry transformer's encoding of the same data decodes to.

const receiver = useOtlpReceiver();

/** Ends spans of varied shapes on two resources and three scopes. */
function recordVaried(count: number): ReadableSpan[] {
  const ended: ReadableSpan[] = [];
  const collect = {
    onStart: () => undefined,
    onEnd: (span: ReadableSpan) => ended.push(span),
    forceFlush: async () => undefined,
    shutdown: async () => undefined,
  };
  const providers = [
    new BasicTracerProvider({
      resource: createServiceResource({ serviceName: "orders", serviceVersion: "1.2.3" }),
      spanProcessors: [collect],
    }),
    new BasicTracerProvider({
      resource: createServiceResource({ serviceName: "billing", attributes: { "host.cores": 2 } }),
      spanProcessors: [collect],
    }),
  ];
  const tracers: Tracer[] = [
    providers[0]!.getTracer("http", "0.1.0"),
    providers[0]!.getTracer("db"),
    providers[1]!.getTracer("http", "0.1.0"),
  ];
  const remote = {
    traceId: "0af7651916cd43dd8448eb211c80319c",
    spanId: "b7ad6b7169203331",
    traceFlags: TraceFlags.SAMPLED,
    isRemote: true,
  };
  for (let i = 0; i < count; i++) {
    const tracer = tracers[i % tracers.length]!;
    const parent = tracer.startSpan(`parent ${i}`, { kind: SpanKind.SERVER });
    const span = tracer.startSpan(`work ${i} ✓`, {
      kind: (i % 5) as SpanKind,
      attributes: {
        "http.route": "/orders/:id",
        empty: "",
        text: "naïve ✓ 🚀, lone \ud800 and \udc00 surrogates, last \ud83d",
        n: i,
        negative: -i - 1,
        ratio: i / 7,
        big: 2 ** 60,
        nan: Number.NaN,
        ok: i % 2 === 0,
        tags: ["a", "b", `${i}`],
        counts: [1, 2.5, -i],
        flags: [true, false],
      },
      links: [
        { context: parent.spanContext(), attributes: { why: "follows" } },
        { context: remote },
      ],
    });
    span.addEvent("cache miss", { key: `k${i}`, é: "ü" });
    span.addEvent("bare");
    span.setStatus(
      i % 3 === 0
        ? { code: SpanStatusCode.ERROR, message: "row is locked" }
        : { code: SpanStatusCode.OK },
    );
    span.end();
    parent.end();
  }
  return ended;
}

async function post(signal: "traces" | "metrics", body: Uint8Array): Promise<void> {
  const response = await fetch(receiver.endpoint(signal), {
    method: "POST",
    headers: { "content-type": "application/x-protobuf" },
    body,
  });
  expect(response.status).toBe(200);
}

describe("the Worker's protobuf encoding", () => {
  it("decodes to the same spans as the transformer's", async () => {
    const spans = recordVaried(12);
    await post("traces", ProtobufTraceSerializer.serializeRequest(spans) as Uint8Array);
    const expected = receiver.traces();
    receiver.reset();
    await post("traces", protobufSpans.encode(spans) as Uint8Array);
    expect(receiver.traces()).toEqual(expected);
    expect(expected).toHaveLength(24);
  });

  it("writes times given with fractions as the transformer does, without throwing", async () => {
    const [span] = recordVaried(1);
    const odd: ReadableSpan = Object.create(span as ReadableSpan);
    Object.defineProperty(odd, "startTime", { value: [1_764_000_000.5, 1000.25] });
    await post("traces", ProtobufTraceSerializer.serializeRequest([odd]) as Uint8Array);
    const expected = receiver.traces();
    receiver.reset();
    await post("traces", protobufSpans.encode([odd]) as Uint8Array);
    expect(receiver.traces()).toEqual(expected);
    expect(expected[0]?.startTimeUnixNano).toBe(1_764_000_000_000_001_000n);
  });

  it("joins requests into one carrying all their spans", async () => {
    const spans = recordVaried(6);
    await post("traces", protobufSpans.encode(spans) as Uint8Array);
    const expected = receiver.traces();
    receiver.reset();
    const parts = [protobufSpans.encode(spans.slice(0, 5)), protobufSpans.encode(spans.slice(5))];
    await post("traces", protobufSpans.join(parts as Uint8Array[]) as Uint8Array);
    // Grouped by resource and scope per part, so in another order.
    const bySpanId = (a: { spanId: string }, b: { spanId: string }) =>
      a.spanId.localeCompare(b.spanId);
    expect(receiver.traces().sort(bySpanId)).toEqual(expected.sort(bySpanId));
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
    await post("metrics", ProtobufMetricsSerializer.serializeRequest(request) as Uint8Array);
    const expected = receiver.metrics();
    receiver.reset();
    await post("metrics", protobufMetrics.encode(request) as Uint8Array);
    expect(receiver.metrics()).toEqual(expected);
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

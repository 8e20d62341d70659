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

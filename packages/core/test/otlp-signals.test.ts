import { useOtlpReceiver } from "@groundwork/test-harness";
import {
  JsonLogsSerializer,
  JsonMetricsSerializer,
  ProtobufLogsSerializer,
  ProtobufMetricsSerializer,
} from "@opentelemetry/otlp-transformer";
import { describe, expect, it } from "vitest";
import { createOtlpHttpSender, createServiceResource, type OtlpProtocol } from "../src/otlp/index";

// The sender is signal-agnostic: metrics and logs go through it as traces do. These tests
// also pin down how the shared receiver decodes those signals.

type ResourceMetrics = Parameters<typeof ProtobufMetricsSerializer.serializeRequest>[0];
type LogRecords = Parameters<typeof ProtobufLogsSerializer.serializeRequest>[0];

const receiver = useOtlpReceiver();

const resource = createServiceResource({ serviceName: "billing", serviceVersion: "3.1.0" });
const start: [number, number] = [1_700_000_000, 0];
const end: [number, number] = [1_700_000_010, 500];

function metricsFixture(): ResourceMetrics {
  return {
    resource,
    scopeMetrics: [
      {
        scope: { name: "billing.http", version: "1.0.0" },
        metrics: [
          {
            descriptor: {
              name: "http.server.requests",
              description: "HTTP requests served",
              unit: "{request}",
              valueType: 0, // INT
            },
            aggregationTemporality: 1, // CUMULATIVE
            dataPointType: 3, // SUM
            isMonotonic: true,
            dataPoints: [
              { startTime: start, endTime: end, attributes: { method: "GET" }, value: 7 },
              { startTime: start, endTime: end, attributes: { method: "POST" }, value: 2 },
            ],
          },
          {
            descriptor: {
              name: "http.server.duration",
              description: "Request latency",
              unit: "s",
              valueType: 1, // DOUBLE
            },
            aggregationTemporality: 1,
            dataPointType: 0, // HISTOGRAM
            dataPoints: [
              {
                startTime: start,
                endTime: end,
                attributes: { route: "/invoices" },
                value: {
                  buckets: { boundaries: [0.1, 0.5], counts: [3, 1, 0] },
                  count: 4,
                  sum: 0.9,
                  min: 0.05,
                  max: 0.4,
                },
              },
            ],
          },
          {
            descriptor: { name: "queue.depth", description: "", unit: "", valueType: 1 },
            aggregationTemporality: 1,
            dataPointType: 2, // GAUGE
            dataPoints: [{ startTime: start, endTime: end, attributes: {}, value: 12.5 }],
          },
        ],
      },
    ],
  } as ResourceMetrics;
}

function logsFixture(): LogRecords {
  return [
    {
      hrTime: end,
      hrTimeObserved: end,
      severityNumber: 9,
      severityText: "INFO",
      body: "invoice sent",
      attributes: { "invoice.id": "inv-1", amount: 12 },
      droppedAttributesCount: 0,
      resource,
      instrumentationScope: { name: "billing.log" },
      spanContext: {
        traceId: "0af7651916cd43dd8448eb211c80319c",
        spanId: "b7ad6b7169203331",
        traceFlags: 1,
      },
    },
  ] as unknown as LogRecords;
}

describe.each(["http/protobuf", "http/json"] as const)("other signals over %s", (protocol) => {
  const encode = (p: OtlpProtocol) => ({
    metrics: (data: ResourceMetrics) =>
      (p === "http/json" ? JsonMetricsSerializer : ProtobufMetricsSerializer).serializeRequest(
        data,
      ),
    logs: (data: LogRecords) =>
      (p === "http/json" ? JsonLogsSerializer : ProtobufLogsSerializer).serializeRequest(data),
  });

  it("delivers metrics that the receiver decodes into data points", async () => {
    const sender = createOtlpHttpSender({ endpoint: receiver.endpoint("metrics"), protocol });
    const body = encode(protocol).metrics(metricsFixture());
    expect(body).toBeDefined();
    expect(await sender.send(body!)).toMatchObject({ ok: true, attempts: 1 });
    await sender.shutdown();

    const points = receiver.metrics();
    expect(points).toHaveLength(4);
    const [get, post, histogram, gauge] = points;
    expect(get).toMatchObject({
      metric: "http.server.requests",
      description: "HTTP requests served",
      unit: "{request}",
      type: "sum",
      attributes: { method: "GET" },
      value: 7,
      isMonotonic: true,
      aggregationTemporality: "AGGREGATION_TEMPORALITY_CUMULATIVE",
      startTimeUnixNano: 1_700_000_000_000_000_000n,
      timeUnixNano: 1_700_000_010_000_000_500n,
      scope: { name: "billing.http", version: "1.0.0" },
    });
    expect(get?.resource).toMatchObject({ "service.name": "billing", "service.version": "3.1.0" });
    expect(post).toMatchObject({ attributes: { method: "POST" }, value: 2 });
    expect(histogram).toMatchObject({
      metric: "http.server.duration",
      type: "histogram",
      count: 4,
      sum: 0.9,
      min: 0.05,
      max: 0.4,
      bucketCounts: [3, 1, 0],
      explicitBounds: [0.1, 0.5],
    });
    expect(gauge).toMatchObject({ metric: "queue.depth", type: "gauge", value: 12.5 });
  });

  it("delivers log records that the receiver decodes", async () => {
    const sender = createOtlpHttpSender({ endpoint: receiver.endpoint("logs"), protocol });
    const body = encode(protocol).logs(logsFixture());
    expect(await sender.send(body!)).toMatchObject({ ok: true, attempts: 1 });
    await sender.shutdown();

    expect(receiver.logs()).toEqual([
      expect.objectContaining({
        severityNumber: "SEVERITY_NUMBER_INFO",
        severityText: "INFO",
        body: "invoice sent",
        attributes: { "invoice.id": "inv-1", amount: 12 },
        traceId: "0af7651916cd43dd8448eb211c80319c",
        spanId: "b7ad6b7169203331",
        timeUnixNano: 1_700_000_010_000_000_500n,
        scope: { name: "billing.log", version: "", attributes: {} },
      }),
    ]);
  });
});

describe("the receiver's own checks", () => {
  it("answers 400 to a body that is not OTLP, and records why", async () => {
    const sender = createOtlpHttpSender({ endpoint: receiver.endpoint("traces") });
    const garbage = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f]);
    expect(await sender.send(garbage)).toMatchObject({ ok: false, status: 400 });
    expect(receiver.requests()[0]?.decodeError).toEqual(expect.any(String));
    expect(receiver.traces()).toEqual([]);
    await sender.shutdown();
  });

  it("answers 404 to an unknown path", async () => {
    const sender = createOtlpHttpSender({ endpoint: `${receiver.url}/v1/profiles` });
    expect(await sender.send(new Uint8Array(0))).toMatchObject({ ok: false, status: 404 });
    await sender.shutdown();
  });
});

import { type ReceivedSpan, useOtlpReceiver } from "@groundwork/test-harness";
import { context, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { BasicTracerProvider } from "@opentelemetry/sdk-trace-base";
import { describe, expect, it } from "vitest";
import {
  createBatchSpanProcessor,
  createOtlpTraceExporter,
  createServiceResource,
  type OtlpProtocol,
} from "../src/otlp/index";

const receiver = useOtlpReceiver();

function setup(protocol: OtlpProtocol) {
  const exporter = createOtlpTraceExporter({ endpoint: receiver.endpoint("traces"), protocol });
  const processor = createBatchSpanProcessor(exporter, { scheduledDelayMs: 60_000 });
  const provider = new BasicTracerProvider({
    resource: createServiceResource({
      serviceName: "checkout",
      serviceVersion: "1.4.2",
      attributes: { "deployment.environment.name": "test" },
    }),
    spanProcessors: [processor],
  });
  return { provider, processor, tracer: provider.getTracer("orders", "0.3.0") };
}

/** A small trace: a server root, a child with events and an error, and a linked root. */
function recordTrace(tracer: ReturnType<BasicTracerProvider["getTracer"]>) {
  const other = tracer.startSpan("background-job");
  other.end();

  const root = tracer.startSpan("GET /orders/:id", {
    kind: SpanKind.SERVER,
    attributes: { "http.request.method": "GET", "http.route": "/orders/:id" },
  });
  const child = tracer.startSpan(
    "load order",
    {
      attributes: {
        "db.system.name": "postgresql",
        "order.items": 3,
        "order.total": 42.5,
        "order.paid": true,
        "order.tags": ["gift", "express"],
      },
      links: [{ context: other.spanContext(), attributes: { "link.reason": "fork" } }],
    },
    trace.setSpan(context.active(), root),
  );
  child.addEvent("cache miss", { "cache.key": "order:7" });
  child.recordException(new TypeError("row is locked"));
  child.setStatus({ code: SpanStatusCode.ERROR, message: "row is locked" });
  child.end();
  root.setStatus({ code: SpanStatusCode.OK });
  root.end();
  return { root: root.spanContext(), child: child.spanContext(), other: other.spanContext() };
}

function byName(spans: ReceivedSpan[], name: string): ReceivedSpan {
  const span = spans.find((s) => s.name === name);
  if (span === undefined) throw new Error(`no span named ${name}`);
  return span;
}

describe.each(["http/protobuf", "http/json"] as const)("OTLP trace export over %s", (protocol) => {
  it("delivers spans that decode with the official OTLP definitions", async () => {
    const { provider, processor, tracer } = setup(protocol);
    const ids = recordTrace(tracer);
    await provider.forceFlush();

    const spans = await receiver.waitForSpans(3);
    expect(spans).toHaveLength(3);
    const request = receiver.requests()[0];
    expect(request?.encoding).toBe(protocol === "http/json" ? "json" : "protobuf");
    expect(request?.headers["content-type"]).toBe(
      protocol === "http/json" ? "application/json" : "application/x-protobuf",
    );

    const root = byName(spans, "GET /orders/:id");
    const child = byName(spans, "load order");
    const other = byName(spans, "background-job");

    expect(root.traceId).toBe(ids.root.traceId);
    expect(root.spanId).toBe(ids.root.spanId);
    expect(root.parentSpanId).toBeUndefined();
    expect(root.kind).toBe("SPAN_KIND_SERVER");
    expect(root.status).toEqual({ code: "STATUS_CODE_OK", message: "" });
    expect(root.attributes).toEqual({ "http.request.method": "GET", "http.route": "/orders/:id" });

    expect(child.traceId).toBe(ids.root.traceId);
    expect(child.spanId).toBe(ids.child.spanId);
    expect(child.parentSpanId).toBe(ids.root.spanId);
    expect(child.kind).toBe("SPAN_KIND_INTERNAL");
    expect(child.attributes).toEqual({
      "db.system.name": "postgresql",
      "order.items": 3,
      "order.total": 42.5,
      "order.paid": true,
      "order.tags": ["gift", "express"],
    });
    expect(child.status).toEqual({ code: "STATUS_CODE_ERROR", message: "row is locked" });
    expect(child.events.map((e) => e.name)).toEqual(["cache miss", "exception"]);
    expect(child.events[0]?.attributes).toEqual({ "cache.key": "order:7" });
    expect(child.events[1]?.attributes).toMatchObject({
      "exception.type": "TypeError",
      "exception.message": "row is locked",
    });
    expect(child.links).toEqual([
      {
        traceId: ids.other.traceId,
        spanId: ids.other.spanId,
        traceState: "",
        attributes: { "link.reason": "fork" },
      },
    ]);
    expect(child.endTimeUnixNano).toBeGreaterThanOrEqual(child.startTimeUnixNano);
    expect(child.startTimeUnixNano).toBeGreaterThan(1_600_000_000_000_000_000n);

    expect(other.traceId).toBe(ids.other.traceId);
    expect(other.traceId).not.toBe(ids.root.traceId);

    for (const span of spans) {
      expect(span.resource).toMatchObject({
        "service.name": "checkout",
        "service.version": "1.4.2",
        "deployment.environment.name": "test",
        "telemetry.sdk.name": "opentelemetry",
        "telemetry.sdk.language": "nodejs",
        "telemetry.distro.name": "groundwork",
      });
      expect(span.resource["telemetry.sdk.version"]).toMatch(/^\d+\.\d+\.\d+/);
      expect(span.scope).toMatchObject({ name: "orders", version: "0.3.0" });
    }
    expect(processor.stats()).toEqual({
      queued: 3,
      exported: 3,
      rejected: 0,
      dropped: 0,
      failed: 0,
      queueLength: 0,
    });
    await provider.shutdown();
  });
});

describe("OTLP trace export batching", () => {
  it("leaves unsampled spans out", async () => {
    const { provider, processor, tracer } = setup("http/protobuf");
    const unsampled = trace.wrapSpanContext({
      traceId: "0af7651916cd43dd8448eb211c80319c",
      spanId: "b7ad6b7169203331",
      traceFlags: 0,
      isRemote: true,
    });
    // A child of an unsampled remote parent is not recorded (parent-based sampling).
    tracer.startSpan("ignored", {}, trace.setSpan(context.active(), unsampled)).end();
    tracer.startSpan("kept").end();
    await provider.forceFlush();
    const spans = await receiver.waitForSpans(1);
    expect(spans.map((s) => s.name)).toEqual(["kept"]);
    expect(processor.stats().queued).toBe(1);
    await provider.shutdown();
  });

  it("sends a full batch at once, without waiting for the scheduled delay", async () => {
    const exporter = createOtlpTraceExporter({ endpoint: receiver.endpoint("traces") });
    const processor = createBatchSpanProcessor(exporter, {
      maxBatchSize: 10,
      scheduledDelayMs: 60_000,
    });
    const provider = new BasicTracerProvider({ spanProcessors: [processor] });
    const tracer = provider.getTracer("batching");
    for (let i = 0; i < 25; i++) tracer.startSpan(`span ${i}`).end();

    // Two full batches go out on their own; the remaining 5 wait for the timer or a flush.
    await receiver.waitForSpans(20);
    expect(receiver.requests().map((r) => r.signal)).toEqual(["traces", "traces"]);
    expect(processor.stats().queueLength).toBe(5);

    await provider.forceFlush();
    const spans = await receiver.waitForSpans(25);
    expect(new Set(spans.map((s) => s.name)).size).toBe(25);
    expect(receiver.requests()).toHaveLength(3);
    await provider.shutdown();
  });

  it("sends partial batches when the scheduled delay passes", async () => {
    const exporter = createOtlpTraceExporter({ endpoint: receiver.endpoint("traces") });
    const processor = createBatchSpanProcessor(exporter, { scheduledDelayMs: 50 });
    const provider = new BasicTracerProvider({ spanProcessors: [processor] });
    provider.getTracer("timer").startSpan("lonely").end();
    const spans = await receiver.waitForSpans(1, 2000);
    expect(spans[0]?.name).toBe("lonely");
    await provider.shutdown();
  });
});

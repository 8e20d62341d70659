import { useOtlpReceiver } from "@groundwork/test-harness";
import { context, ROOT_CONTEXT } from "@opentelemetry/api";
import { ExportResultCode } from "@opentelemetry/core";
import { BasicTracerProvider, type ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { describe, expect, it } from "vitest";
import { span } from "../src/index";
import {
  createBatchSpanProcessor,
  createOtlpTraceExporter,
  type OtlpProtocol,
} from "../src/otlp/index";
import { createTracing } from "../src/tracing/index";

// Spans that the encoders cannot take as they are must cost only themselves, and numbers
// must arrive as the OTLP mappings define them, checked with the official definitions.

const receiver = useOtlpReceiver();

function provider(protocol: OtlpProtocol) {
  const exporter = createOtlpTraceExporter({ endpoint: receiver.endpoint("traces"), protocol });
  const processor = createBatchSpanProcessor(exporter, { scheduledDelayMs: 60_000 });
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [processor] });
  return { exporter, processor, tracerProvider, tracer: tracerProvider.getTracer("load") };
}

describe.each(["http/protobuf", "http/json"] as const)("span encoding over %s", (protocol) => {
  it("sends the other 500 spans of a batch holding one span without a name", async () => {
    const { processor, tracerProvider, tracer } = provider(protocol);
    for (let i = 0; i < 501; i++) {
      const name = i === 250 ? (undefined as unknown as string) : `work ${i}`;
      tracer.startSpan(name).end();
    }
    await tracerProvider.forceFlush();
    const spans = await receiver.waitForSpans(500);
    expect(spans.length).toBeGreaterThanOrEqual(500);
    expect(spans.filter((s) => s.name.startsWith("work "))).toHaveLength(500);
    const stats = processor.stats();
    expect(stats.failed).toBe(0);
    expect(stats.exported + stats.rejected).toBe(501);
    expect(stats.rejected).toBeLessThanOrEqual(1);
    await tracerProvider.shutdown();
  });

  it("names a span started with undefined or null '<invalid>'", async () => {
    const processor = createBatchSpanProcessor(
      createOtlpTraceExporter({ endpoint: receiver.endpoint("traces"), protocol }),
      { scheduledDelayMs: 60_000 },
    );
    const tracing = createTracing({ serviceName: "orders", spanProcessors: [processor] });
    context.with(tracing.context(ROOT_CONTEXT), () => {
      span(undefined as unknown as string, () => 1);
      span(null as unknown as string, () => 2);
      span("fine", () => 3);
    });
    await tracing.forceFlush();
    const spans = await receiver.waitForSpans(3);
    expect(spans.map((s) => s.name).sort()).toEqual(["<invalid>", "<invalid>", "fine"]);
    expect(processor.stats()).toMatchObject({ exported: 3, rejected: 0, failed: 0 });
    await tracing.shutdown();
  });

  it("drops and counts alone a span that cannot be encoded even repaired", async () => {
    const { exporter, tracerProvider, tracer } = provider(protocol);
    const good: ReadableSpan[] = [];
    for (let i = 0; i < 3; i++) {
      const s = tracer.startSpan(`ok ${i}`);
      s.end();
      good.push(s as unknown as ReadableSpan);
    }
    const broken = Object.create(good[0] as object) as ReadableSpan;
    Object.defineProperty(broken, "spanContext", {
      value: () => {
        throw new Error("no context");
      },
    });
    const result = await new Promise<{ code: number; error?: Error }>((resolve) =>
      exporter.export([...good, broken], resolve),
    );
    expect(result.code).toBe(ExportResultCode.SUCCESS);
    expect(result.error).toMatchObject({ code: "ERR_OTLP_PARTIAL_SUCCESS", rejected: 1 });
    const spans = await receiver.waitForSpans(3);
    expect(spans.map((s) => s.name).sort()).toEqual(["ok 0", "ok 1", "ok 2"]);
    await tracerProvider.shutdown();
  });

  it("sends NaN, ±Infinity and numbers beyond the safe integers as doubles", async () => {
    const { tracerProvider, tracer } = provider(protocol);
    const s = tracer.startSpan("numbers", {
      attributes: {
        nan: Number.NaN,
        inf: Number.POSITIVE_INFINITY,
        ninf: Number.NEGATIVE_INFINITY,
        huge: 1.7976931348623157e308,
        safe: Number.MAX_SAFE_INTEGER,
        fraction: 0.5,
        list: [1, Number.NaN, 2],
      },
    });
    s.addEvent("measured", { ratio: Number.POSITIVE_INFINITY });
    s.end();
    await tracerProvider.forceFlush();
    const [received] = await receiver.waitForSpans(1);
    const attributes = received?.attributes ?? {};
    expect(attributes.nan).toBeNaN();
    expect(attributes.inf).toBe(Number.POSITIVE_INFINITY);
    expect(attributes.ninf).toBe(Number.NEGATIVE_INFINITY);
    expect(attributes.huge).toBe(1.7976931348623157e308);
    expect(attributes.safe).toBe(Number.MAX_SAFE_INTEGER);
    expect(attributes.fraction).toBe(0.5);
    expect(attributes.list).toEqual([1, Number.NaN, 2]);
    expect(received?.events[0]?.attributes.ratio).toBe(Number.POSITIVE_INFINITY);
    if (protocol === "http/json") {
      const body = receiver.requests()[0]?.body.toString("utf8") ?? "";
      expect(body).toContain('{"doubleValue":"NaN"}');
      expect(body).toContain('{"doubleValue":"-Infinity"}');
      expect(body).not.toContain('intValue":1.79');
    }
    await tracerProvider.shutdown();
  });
});

import { context, ROOT_CONTEXT, trace } from "@opentelemetry/api";
import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  type SpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { describe, expect, it } from "vitest";
import { CoreError } from "../errors";
import { createTracing } from "./runtime";
import { span } from "./span";
import { getTracer, TRACER_NAME } from "./tracer";

describe("createTracing", () => {
  it("puts service and SDK identity on the resource", () => {
    const exporter = new InMemorySpanExporter();
    const tracing = createTracing({
      serviceName: "shop",
      serviceVersion: "1.2.3",
      resourceAttributes: { "deployment.environment.name": "test", "service.name": "ignored" },
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    context.with(tracing.context(ROOT_CONTEXT), () => span("s", () => undefined));
    const attrs = exporter.getFinishedSpans()[0]?.resource.attributes;
    expect(attrs).toMatchObject({
      "service.name": "shop",
      "service.version": "1.2.3",
      "deployment.environment.name": "test",
      "telemetry.sdk.name": "opentelemetry",
      "telemetry.distro.name": "groundwork",
    });
    expect(attrs?.["telemetry.sdk.version"]).toMatch(/^\d+\.\d+\.\d+/);
    expect(exporter.getFinishedSpans()[0]?.instrumentationScope.name).toBe(TRACER_NAME);
  });

  it("when disabled, propagates context but records nothing", () => {
    const exporter = new InMemorySpanExporter();
    const tracing = createTracing({
      serviceName: "off",
      enabled: false,
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    const recorded = context.with(tracing.context(ROOT_CONTEXT), () =>
      span("s", (s) => [s.isRecording(), trace.isSpanContextValid(s.spanContext())]),
    );
    expect(recorded).toEqual([false, true]);
    expect(exporter.getFinishedSpans()).toHaveLength(0);
  });

  it("uses only the context's tracer: two runtimes do not see each other's spans", async () => {
    const a = new InMemorySpanExporter();
    const b = new InMemorySpanExporter();
    const ta = createTracing({ serviceName: "a", spanProcessors: [new SimpleSpanProcessor(a)] });
    const tb = createTracing({ serviceName: "b", spanProcessors: [new SimpleSpanProcessor(b)] });
    const work = (name: string) =>
      span(name, async () => {
        await new Promise((r) => setTimeout(r, 2));
        await span(`${name}.child`, async () => undefined);
      });
    await Promise.all([
      context.with(ta.context(ROOT_CONTEXT), () => work("A")),
      context.with(tb.context(ROOT_CONTEXT), () => work("B")),
    ]);
    expect(
      a
        .getFinishedSpans()
        .map((s) => s.name)
        .sort(),
    ).toEqual(["A", "A.child"]);
    expect(
      b
        .getFinishedSpans()
        .map((s) => s.name)
        .sort(),
    ).toEqual(["B", "B.child"]);
  });

  it("does not register a global provider unless asked", () => {
    const tracing = createTracing({ serviceName: "local" });
    expect(getTracer(ROOT_CONTEXT)).not.toBe(tracing.tracer);
    expect(trace.getTracerProvider()).not.toBe(tracing.provider);
  });

  it("flushes and shuts down processors once, without rejecting", async () => {
    const calls: string[] = [];
    const processor: SpanProcessor = {
      onStart: () => undefined,
      onEnd: (s: ReadableSpan) => calls.push(`end:${s.name}`),
      forceFlush: async () => {
        calls.push("flush");
        throw new Error("collector down");
      },
      shutdown: async () => {
        calls.push("shutdown");
      },
    };
    const tracing = createTracing({ serviceName: "life", spanProcessors: [processor] });
    context.with(tracing.context(ROOT_CONTEXT), () => span("s", () => undefined));
    await expect(tracing.forceFlush()).resolves.toBeUndefined();
    await Promise.all([tracing.shutdown(), tracing.shutdown()]);
    await tracing.shutdown();
    expect(calls).toEqual(["end:s", "flush", "shutdown"]);
  });

  it("rejects invalid options with coded errors", () => {
    expect(() => createTracing({ serviceName: "" })).toThrow(CoreError);
    expect(() => createTracing({ serviceName: "x", samplingRatio: 2 })).toThrowError(
      expect.objectContaining({ code: "ERR_INVALID_OPTION" }),
    );
    expect(() => createTracing({ serviceName: "x", flushTimeoutMs: 0 })).toThrowError(
      expect.objectContaining({ code: "ERR_INVALID_OPTION" }),
    );
  });
});

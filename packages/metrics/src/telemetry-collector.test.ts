import { createTelemetry, memorySink } from "@groundwork/core";
import { partialSuccessError } from "@groundwork/core/otlp";
import { InMemorySpanExporter, type SpanExporter } from "@opentelemetry/sdk-trace-base";
import { describe, expect, it } from "vitest";
import { createRegistry } from "./registry";
import { findSamples } from "./snapshot";
import { createTelemetryCollector } from "./telemetry-collector";

describe("createTelemetryCollector", () => {
  it("exposes log volume, drops, oversized records and span export counters", async () => {
    const telemetry = createTelemetry({
      serviceName: "api",
      logging: { sink: memorySink(), limits: { maxLineBytes: 1024 } },
      tracing: { exporter: new InMemorySpanExporter() },
    });
    for (let i = 0; i < 5; i++) telemetry.log.warn("noisy", {}, { rateLimit: "2/h" });
    telemetry.log.info("hello", { body: "x".repeat(5_000) });
    const registry = createRegistry({ serviceName: "api" });
    registry.registerCollector(createTelemetryCollector(telemetry));
    const snap = registry.snapshot();
    expect(findSamples(snap, "api_log_events", { level: "warn" })[0]?.value).toBe(2);
    expect(findSamples(snap, "api_log_events", { level: "info" })[0]?.value).toBe(1);
    expect(findSamples(snap, "api_log_events_dropped", { level: "warn" })[0]?.value).toBe(3);
    expect(findSamples(snap, "api_log_oversized")[0]?.value).toBe(1);
    expect(findSamples(snap, "api_trace_spans_dropped")[0]?.value).toBe(0);
    const text = registry.collect("prometheus");
    expect(text).toContain('api_log_events_dropped_total{level="warn"} 3');
    expect(text).toContain("# TYPE api_trace_export_queue_length gauge");
    await telemetry.shutdown();
  });

  it("counts spans an OTLP endpoint refused in a partial success", async () => {
    const partial: SpanExporter = {
      export: (_spans, done) =>
        done({
          code: 0, // ExportResultCode.SUCCESS
          error: partialSuccessError({ rejected: 1, message: "bad span" }),
        }),
      shutdown: async () => undefined,
    };
    const telemetry = createTelemetry({
      serviceName: "api",
      logging: { sink: memorySink() },
      tracing: { exporter: partial },
    });
    const tracer = telemetry.tracing?.tracer;
    for (let i = 0; i < 3; i++) tracer?.startSpan(`s${i}`).end();
    await telemetry.forceFlush();
    const registry = createRegistry({ serviceName: "api" });
    registry.registerCollector(createTelemetryCollector(telemetry));
    const snap = registry.snapshot();
    expect(findSamples(snap, "api_trace_spans_exported")[0]?.value).toBe(2);
    expect(findSamples(snap, "api_trace_spans_rejected")[0]?.value).toBe(1);
    await telemetry.shutdown();
  });
});

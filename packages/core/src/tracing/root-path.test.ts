import { context, ROOT_CONTEXT, type Span, TraceFlags, trace } from "@opentelemetry/api";
import { suppressTracing } from "@opentelemetry/core";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type Sampler,
  SamplingDecision,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { describe, expect, it } from "vitest";
import { injectHeaders, RANDOM_TRACE_FLAG, w3cTraceparent } from "../propagation/w3c";
import { createTracing, type TracingOptions } from "./runtime";
import { traceIdUnderRatio } from "./sampler";
import { span } from "./span";
import { setTracer } from "./tracer";
import { startTrace } from "./traces";

// Roots the sampler drops are started without the SDK: these tests hold that they look,
// propagate and sample exactly as the SDK's would, and that a sampled root decided ahead
// of the SDK keeps its trace id and is charged to a rate limit once.

function setup(options: Partial<TracingOptions> = {}) {
  const exporter = new InMemorySpanExporter();
  const tracing = createTracing({
    serviceName: "roots",
    spanProcessors: [new SimpleSpanProcessor(exporter)],
    ...options,
  });
  const run = <R>(fn: () => R): R => context.with(tracing.context(ROOT_CONTEXT), fn);
  return { exporter, tracing, run };
}

const HEX32 = /^[0-9a-f]{32}$/;
const HEX16 = /^[0-9a-f]{16}$/;

describe("unsampled roots", () => {
  it("get fresh random W3C ids and the random flag, and are what children and headers see", () => {
    const { exporter, run } = setup({ samplingRatio: 0 });
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const [root, child, headers] = run(() =>
        startTrace("root", (r) =>
          span("child", (c) => [r, c, injectHeaders({} as Record<string, string>)] as const),
        ),
      );
      const sc = root.spanContext();
      expect(root.isRecording()).toBe(false);
      expect(sc.traceId).toMatch(HEX32);
      expect(sc.spanId).toMatch(HEX16);
      expect(sc.traceId).not.toBe("0".repeat(32));
      expect(sc.traceFlags).toBe(RANDOM_TRACE_FLAG);
      expect(child.spanContext()).toEqual(sc);
      expect(headers.traceparent).toBe(`00-${sc.traceId}-${sc.spanId}-02`);
      seen.add(sc.traceId).add(sc.spanId);
    }
    expect(seen.size).toBe(400);
    expect(exporter.getFinishedSpans()).toEqual([]);
  });

  it("continue an unsampled remote parent with its trace id and what it said about it", () => {
    const { exporter, run } = setup();
    const parent = "4bf92f3577b34da6a3ce929d0e0e4736";
    for (const flags of ["00", "02"]) {
      const header = run(() =>
        startTrace("in", { stitchWith: `00-${parent}-00f067aa0ba902b7-${flags}` }, () =>
          w3cTraceparent(),
        ),
      );
      expect(header).toMatch(new RegExp(`^00-${parent}-[0-9a-f]{16}-${flags}$`));
      expect(header).not.toContain("00f067aa0ba902b7");
    }
    expect(exporter.getFinishedSpans()).toEqual([]);
  });

  it("sample by the same trace id the span is then recorded with", () => {
    const { exporter, run } = setup({ samplingRatio: 0.5 });
    const unsampled: string[] = [];
    for (let i = 0; i < 400; i++) {
      run(() =>
        startTrace("root", (r) => {
          if (!r.isRecording()) unsampled.push(r.spanContext().traceId);
        }),
      );
    }
    const sampled = exporter.getFinishedSpans().map((s) => s.spanContext().traceId);
    expect(sampled.length + unsampled.length).toBe(400);
    expect(sampled.length).toBeGreaterThan(100);
    expect(unsampled.length).toBeGreaterThan(100);
    expect(sampled.filter((id) => !traceIdUnderRatio(id, 0.5))).toEqual([]);
    expect(unsampled.filter((id) => traceIdUnderRatio(id, 0.5))).toEqual([]);
    for (const s of exporter.getFinishedSpans()) {
      expect(s.spanContext().traceFlags).toBe(TraceFlags.SAMPLED | RANDOM_TRACE_FLAG);
    }
  });

  it("charge a rate limit once per sampled trace", () => {
    const { exporter, run } = setup({
      rateLimit: { maxTracesPerSecond: 1, burst: 3, clock: () => 0 },
    });
    const recording = Array.from({ length: 6 }, () =>
      run(() => startTrace("root", (r) => r.isRecording())),
    );
    expect(recording).toEqual([true, true, true, false, false, false]);
    expect(exporter.getFinishedSpans()).toHaveLength(3);
  });

  it("are left to the SDK where tracing is suppressed, and cost the rate limit nothing", () => {
    const { run } = setup({ rateLimit: { maxTracesPerSecond: 1, burst: 1, clock: () => 0 } });
    const suppressed = run(() =>
      context.with(suppressTracing(context.active()), () =>
        startTrace("export", (r) => r.spanContext()),
      ),
    );
    expect(trace.isSpanContextValid(suppressed)).toBe(false);
    expect(run(() => startTrace("root", (r) => r.isRecording()))).toBe(true);
  });

  it("still ask a sampler that is not Groundwork's", () => {
    const asked: string[] = [];
    const sampler: Sampler = {
      shouldSample: (_ctx, traceId) => {
        asked.push(traceId);
        return { decision: SamplingDecision.NOT_RECORD };
      },
      toString: () => "counting",
    };
    const tracer = new BasicTracerProvider({ sampler }).getTracer("other");
    const roots: Span[] = [];
    context.with(setTracer(ROOT_CONTEXT, tracer), () => {
      for (let i = 0; i < 3; i++) startTrace("root", (r) => roots.push(r));
    });
    expect(asked).toEqual(roots.map((r) => r.spanContext().traceId));
    expect(asked).toHaveLength(3);
  });
});

import { context, ROOT_CONTEXT, TraceFlags } from "@opentelemetry/api";
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { describe, expect, it } from "vitest";
import { RANDOM_TRACE_FLAG, w3cTraceparent } from "../propagation/w3c";
import { createTracing } from "./runtime";
import { span } from "./span";
import { startTrace } from "./traces";

const TID = "4bf92f3577b34da6a3ce929d0e0e4736";

function setup() {
  const exporter = new InMemorySpanExporter();
  const tracing = createTracing({
    serviceName: "random",
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const run = <R>(fn: () => R): R => context.with(tracing.context(ROOT_CONTEXT), fn);
  return { exporter, run };
}

describe("Trace Context Level 2 random flag", () => {
  it("is set on new traces and their children, and sent in traceparent", () => {
    const { exporter, run } = setup();
    const header = run(() => span("root", () => span("child", () => w3cTraceparent())));
    expect(header).toMatch(/-03$/);
    for (const s of exporter.getFinishedSpans()) {
      expect(s.spanContext().traceFlags).toBe(TraceFlags.SAMPLED | RANDOM_TRACE_FLAG);
    }
  });

  it("follows a remote parent: kept when it has the flag, not invented when it has not", () => {
    const { run } = setup();
    const withFlag = run(() =>
      startTrace("in", { stitchWith: `00-${TID}-00f067aa0ba902b7-03` }, () => w3cTraceparent()),
    );
    const without = run(() =>
      startTrace("in", { stitchWith: `00-${TID}-00f067aa0ba902b7-01` }, () => w3cTraceparent()),
    );
    expect(withFlag).toMatch(new RegExp(`^00-${TID}-[0-9a-f]{16}-03$`));
    expect(without).toMatch(new RegExp(`^00-${TID}-[0-9a-f]{16}-01$`));
  });
});

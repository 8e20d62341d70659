import { context, ROOT_CONTEXT, trace } from "@opentelemetry/api";
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { afterAll, expect, it } from "vitest";
import { createTracing } from "./runtime";
import { span } from "./span";
import { withForkedTrace } from "./traces";

// This file registers a global tracer provider, the way an application that
// also uses plain OpenTelemetry would; it stays in its own file (vitest
// isolates files) so no other test sees the global.
const exporter = new InMemorySpanExporter();
const tracing = createTracing({
  serviceName: "interop",
  spanProcessors: [new SimpleSpanProcessor(exporter)],
});
trace.setGlobalTracerProvider(tracing.provider);
afterAll(() => {
  trace.disable();
});

const byName = (name: string) => {
  const s = exporter.getFinishedSpans().find((x) => x.name === name);
  if (!s) throw new Error(`no span ${name}`);
  return s;
};

it("plain OTel API spans nest under Groundwork spans and the other way round", async () => {
  const lib = trace.getTracer("some-instrumentation");
  await context.with(tracing.context(ROOT_CONTEXT), () =>
    span("ours", async () => {
      await lib.startActiveSpan("theirs", async (theirs) => {
        await span("ours-inside-theirs", async () => {
          await new Promise((r) => setTimeout(r, 1));
        });
        theirs.end();
      });
    }),
  );
  const ours = byName("ours");
  const theirs = byName("theirs");
  const inner = byName("ours-inside-theirs");
  expect(theirs.parentSpanContext?.spanId).toBe(ours.spanContext().spanId);
  expect(inner.parentSpanContext?.spanId).toBe(theirs.spanContext().spanId);
  expect(new Set([ours, theirs, inner].map((s) => s.spanContext().traceId)).size).toBe(1);
  expect(theirs.instrumentationScope.name).toBe("some-instrumentation");
});

it("a span started with the plain API is the parent of a fork's link", () => {
  const lib = trace.getTracer("some-instrumentation");
  lib.startActiveSpan("plain-root", (root) => {
    withForkedTrace("forked", () => undefined);
    root.end();
  });
  const root = byName("plain-root");
  const forked = byName("forked");
  expect(forked.links[0]?.context.spanId).toBe(root.spanContext().spanId);
  expect(forked.spanContext().traceId).not.toBe(root.spanContext().traceId);
});

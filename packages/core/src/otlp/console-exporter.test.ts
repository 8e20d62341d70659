import { context, SpanStatusCode, trace } from "@opentelemetry/api";
import { ExportResultCode } from "@opentelemetry/core";
import { BasicTracerProvider, type ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { describe, expect, it } from "vitest";
import { createConsoleSpanExporter, formatSpanLine } from "./console-exporter";

function finishedSpans(): ReadableSpan[] {
  const spans: ReadableSpan[] = [];
  const provider = new BasicTracerProvider({
    spanProcessors: [
      {
        onStart: () => {},
        onEnd: (span) => spans.push(span),
        forceFlush: async () => {},
        shutdown: async () => {},
      },
    ],
  });
  const tracer = provider.getTracer("console");
  const root = tracer.startSpan("GET /users", { attributes: { "http.route": "/users" } });
  const child = tracer.startSpan(
    "query",
    { attributes: { "db.statement": "select * from users", rows: 3, tags: ["a", "b"] } },
    trace.setSpan(context.active(), root),
  );
  child.addEvent("retry");
  child.setStatus({ code: SpanStatusCode.ERROR, message: "deadlock" });
  child.end();
  root.end();
  return spans;
}

describe("console span exporter", () => {
  it("formats one compact line per span", () => {
    const [child, root] = finishedSpans();
    const rootLine = formatSpanLine(root!);
    const { traceId, spanId } = root!.spanContext();
    expect(rootLine).toMatch(
      new RegExp(
        `^GET /users \\d+\\.\\d{3}ms UNSET trace=${traceId} span=${spanId} http.route=/users$`,
      ),
    );
    const childLine = formatSpanLine(child!);
    expect(childLine).toContain(`parent=${spanId}`);
    expect(childLine).toContain('ERROR("deadlock")');
    expect(childLine).toContain('db.statement="select * from users" rows=3 tags=["a","b"]');
    expect(childLine).toContain("events=retry");
  });

  it("writes every span and reports success", () => {
    const lines: string[] = [];
    const exporter = createConsoleSpanExporter({ write: (line) => lines.push(line) });
    const results: number[] = [];
    exporter.export(finishedSpans(), (result) => results.push(result.code));
    expect(lines).toHaveLength(2);
    expect(results).toEqual([ExportResultCode.SUCCESS]);
  });

  it("reports a failing writer as a failed export, and refuses after shutdown", async () => {
    const exporter = createConsoleSpanExporter({
      write: () => {
        throw new Error("stdout closed");
      },
    });
    const results: number[] = [];
    exporter.export(finishedSpans(), (result) => results.push(result.code));
    await exporter.shutdown();
    exporter.export(finishedSpans(), (result) => results.push(result.code));
    expect(results).toEqual([ExportResultCode.FAILED, ExportResultCode.FAILED]);
  });
});

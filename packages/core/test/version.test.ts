import { readFileSync } from "node:fs";
import { context, ROOT_CONTEXT } from "@opentelemetry/api";
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { describe, expect, it } from "vitest";
import { span } from "../src/index";
import { createTracing, TRACER_NAME } from "../src/tracing/index";

const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
  version: string;
};

describe("instrumentation scope", () => {
  it("carries the package version", () => {
    const exporter = new InMemorySpanExporter();
    const tracing = createTracing({
      serviceName: "scope",
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    context.with(tracing.context(ROOT_CONTEXT), () => span("s", () => undefined));
    expect(exporter.getFinishedSpans()[0]?.instrumentationScope).toEqual({
      name: TRACER_NAME,
      version: pkg.version,
    });
  });
});

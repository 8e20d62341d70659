// What every server of the HTTP benchmarks answers, and the span exporter they share.
import type { IncomingMessage, ServerResponse } from "node:http";
import { createRequire } from "node:module";
import type { ReadableSpan, SpanExporter } from "@opentelemetry/sdk-trace-base";

export const BODY = "hello world";

/** The fetch handler of `serve()` and hono. */
export const handler = (): Response =>
  new Response(BODY, { headers: { "content-type": "text/plain" } });

/** The same answer for the node:http servers. */
export const bareListener = (_req: IncomingMessage, res: ServerResponse) => {
  res.writeHead(200, { "content-type": "text/plain" });
  res.end(BODY);
};

/** Spans go through each side's batch processor to this exporter, which drops them. */
export const noopExporter: SpanExporter = {
  export(_spans: ReadableSpan[], done) {
    done({ code: 0 });
  },
  shutdown: () => Promise.resolve(),
};

/**
 * `node:http` as `@opentelemetry/instrumentation-http` patches it, with
 * sdk-trace-base sampling 10% of new traces and dropping the spans.
 */
export async function otelInstrumentedHttp(): Promise<typeof import("node:http")> {
  const { NodeTracerProvider, BatchSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler } =
    await import("@opentelemetry/sdk-trace-node");
  const { HttpInstrumentation } = await import("@opentelemetry/instrumentation-http");
  const provider = new NodeTracerProvider({
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(0.1) }),
    spanProcessors: [new BatchSpanProcessor(noopExporter)],
  });
  provider.register();
  const instrumentation = new HttpInstrumentation();
  instrumentation.setTracerProvider(provider);
  instrumentation.enable();
  // The instrumentation patches modules loaded through require() after it is enabled.
  return createRequire(import.meta.url)("http") as typeof import("node:http");
}

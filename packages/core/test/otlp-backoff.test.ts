import { useOtlpReceiver } from "@groundwork/test-harness";
import { BasicTracerProvider } from "@opentelemetry/sdk-trace-base";
import { describe, expect, it } from "vitest";
import { createBatchSpanProcessor, createOtlpTraceExporter } from "../src/otlp/index";

// A collector that keeps failing gets about one request a second, whatever the span rate,
// and data again within seconds once it heals.

const receiver = useOtlpReceiver();

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("backoff across batches", () => {
  it("sends about one request a second to a failing collector and recovers when it heals", async () => {
    receiver.respondWith(500);
    const processor = createBatchSpanProcessor(
      createOtlpTraceExporter({ endpoint: receiver.endpoint("traces") }),
      { maxBatchSize: 20, scheduledDelayMs: 10 },
    );
    const provider = new BasicTracerProvider({ spanProcessors: [processor] });
    const tracer = provider.getTracer("load");
    let produced = 0;
    const produce = setInterval(() => {
      for (let i = 0; i < 40; i++) tracer.startSpan(`span ${produced++}`).end();
    }, 10);
    try {
      await sleep(4000);
      const failing = receiver.requests().length;
      // 4 s of persistent 500s: the first failures, then probes at 1 s, 2 s and 4 s at most.
      expect(failing).toBeGreaterThanOrEqual(2);
      expect(failing).toBeLessThanOrEqual(6);
      const failedSoFar = processor.stats().failed;
      expect(failedSoFar).toBeGreaterThan(1000);
      receiver.respondWith(200);
      await receiver.waitForSpans(20, 6000);
    } finally {
      clearInterval(produce);
    }
    await provider.shutdown();
    const stats = processor.stats();
    expect(stats.exported).toBeGreaterThan(0);
    expect(stats.exported + stats.failed + stats.dropped + stats.rejected).toBe(stats.queued);
  }, 15_000);
});

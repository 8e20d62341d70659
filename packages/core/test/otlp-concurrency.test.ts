import { useOtlpReceiver } from "@groundwork/test-harness";
import { BasicTracerProvider } from "@opentelemetry/sdk-trace-base";
import { describe, expect, it } from "vitest";
import { createBatchSpanProcessor, createOtlpTraceExporter } from "../src/otlp/index";

// A slow collector: full batches do not wait for the round trip of the batch before, up to
// maxConcurrentExports of them; with 1 they do.

const receiver = useOtlpReceiver();
const DELAY_MS = 400;

async function exportThreeBatches(maxConcurrentExports?: number) {
  receiver.respondWith({ status: 200, delayMs: DELAY_MS });
  const processor = createBatchSpanProcessor(
    createOtlpTraceExporter({ endpoint: receiver.endpoint("traces") }),
    {
      maxBatchSize: 10,
      scheduledDelayMs: 60_000,
      ...(maxConcurrentExports === undefined ? {} : { maxConcurrentExports }),
    },
  );
  const provider = new BasicTracerProvider({ spanProcessors: [processor] });
  const tracer = provider.getTracer("slow");
  for (let i = 0; i < 30; i++) tracer.startSpan(`span ${i}`).end();
  await receiver.waitForSpans(30, 10_000);
  await provider.shutdown();
  const arrivals = receiver.requests().map((request) => request.receivedAt);
  return { arrivals, stats: processor.stats() };
}

describe("exports in flight at once", () => {
  it("sends the second full batch while the first is still being answered", async () => {
    const { arrivals, stats } = await exportThreeBatches();
    expect(arrivals).toHaveLength(3);
    const [first, second, third] = arrivals as [number, number, number];
    // Two requests (the default) reached the collector before it answered the first …
    expect(second - first).toBeLessThan(DELAY_MS);
    // … and the third waited for a free slot.
    expect(third - first).toBeGreaterThanOrEqual(DELAY_MS - 50);
    expect(stats).toMatchObject({ queued: 30, exported: 30, dropped: 0, failed: 0 });
  }, 15_000);

  it("sends one batch at a time with maxConcurrentExports: 1", async () => {
    const { arrivals, stats } = await exportThreeBatches(1);
    expect(arrivals).toHaveLength(3);
    for (let i = 1; i < arrivals.length; i++) {
      expect(arrivals[i]! - arrivals[i - 1]!).toBeGreaterThanOrEqual(DELAY_MS - 50);
    }
    expect(stats).toMatchObject({ queued: 30, exported: 30, dropped: 0, failed: 0 });
  }, 15_000);
});

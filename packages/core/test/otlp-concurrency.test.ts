import { useOtlpReceiver } from "@groundwork/test-harness";
import { BasicTracerProvider } from "@opentelemetry/sdk-trace-base";
import { describe, expect, it } from "vitest";
import { createBatchSpanProcessor, createOtlpTraceExporter } from "../src/otlp/index";

// A slow collector: once it has answered, full batches do not wait for the round trip of
// the batch before, up to maxConcurrentExports of them; with 1 they do.

const receiver = useOtlpReceiver();
const DELAY_MS = 400;

async function exportSixBatches(maxConcurrentExports?: number) {
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
  for (let i = 0; i < 60; i++) tracer.startSpan(`span ${i}`).end();
  await receiver.waitForSpans(60, 10_000);
  await provider.shutdown();
  const arrivals = receiver.requests().map((request) => request.receivedAt);
  return { arrivals, stats: processor.stats() };
}

describe("exports in flight at once", () => {
  it("once the collector answered, sends four full batches while the first is answered", async () => {
    const { arrivals, stats } = await exportSixBatches();
    expect(arrivals).toHaveLength(6);
    const [first, second] = arrivals as [number, number];
    // The first request goes alone: the collector has not answered yet.
    expect(second - first).toBeGreaterThanOrEqual(DELAY_MS - 50);
    // Then four (the default) reach it before it answered the second …
    for (const arrival of arrivals.slice(2, 5)) expect(arrival - second).toBeLessThan(DELAY_MS);
    // … and the sixth waits for a free slot.
    expect((arrivals[5] as number) - second).toBeGreaterThanOrEqual(DELAY_MS - 50);
    expect(stats).toMatchObject({ queued: 60, exported: 60, dropped: 0, failed: 0 });
  }, 15_000);

  it("sends one batch at a time with maxConcurrentExports: 1", async () => {
    const { arrivals, stats } = await exportSixBatches(1);
    expect(arrivals).toHaveLength(6);
    for (let i = 1; i < arrivals.length; i++) {
      expect(arrivals[i]! - arrivals[i - 1]!).toBeGreaterThanOrEqual(DELAY_MS - 50);
    }
    expect(stats).toMatchObject({ queued: 60, exported: 60, dropped: 0, failed: 0 });
  }, 15_000);
});

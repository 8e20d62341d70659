import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { startOtlpReceiver, useOtlpReceiver } from "@groundwork/test-harness";
import { BasicTracerProvider } from "@opentelemetry/sdk-trace-base";
import { describe, expect, it, vi } from "vitest";
import {
  createBatchSpanProcessor,
  createOtlpHttpSender,
  createOtlpTraceExporter,
  type OtlpRetryOptions,
} from "../src/otlp/index";

const receiver = useOtlpReceiver();

// Heap in use after a full collection, so that garbage does not blur what is retained.
setFlagsFromString("--expose-gc");
const collectGarbage = runInNewContext("gc") as () => void;
function retainedHeap(): number {
  collectGarbage();
  return process.memoryUsage().heapUsed;
}

const fastRetry: OtlpRetryOptions = { initialBackoffMs: 5, maxBackoffMs: 20, maxElapsedMs: 5000 };

function pipeline(
  endpoint: string,
  options: { timeoutMs?: number; retry?: OtlpRetryOptions } = {},
) {
  const exporter = createOtlpTraceExporter({ endpoint, retry: fastRetry, ...options });
  const processor = createBatchSpanProcessor(exporter, { scheduledDelayMs: 60_000 });
  const provider = new BasicTracerProvider({ spanProcessors: [processor] });
  return { processor, provider, tracer: provider.getTracer("failures") };
}

/** A loopback URL nothing listens on: a receiver's port right after it stopped. */
async function deadEndpoint(): Promise<string> {
  const gone = await startOtlpReceiver();
  const endpoint = gone.endpoint("traces");
  await gone.stop();
  return endpoint;
}

describe("OTLP export when the collector misbehaves", () => {
  it("retries a refused connection, then counts the batch as failed without throwing", async () => {
    const endpoint = await deadEndpoint();
    const sender = createOtlpHttpSender({ endpoint, retry: { ...fastRetry, maxAttempts: 3 } });
    const outcome = await sender.send(new Uint8Array(0));
    expect(outcome).toMatchObject({ ok: false, retryable: true, reason: "network", attempts: 3 });
    await sender.shutdown();

    const { processor, provider, tracer } = pipeline(endpoint, {
      retry: { ...fastRetry, maxAttempts: 3 },
    });
    for (let i = 0; i < 4; i++) tracer.startSpan(`span ${i}`).end();
    await expect(provider.forceFlush()).resolves.toBeUndefined();
    expect(processor.stats()).toMatchObject({ queued: 4, exported: 0, failed: 4, queueLength: 0 });
    await expect(provider.shutdown()).resolves.toBeUndefined();
  });

  it("times out a slow collector and retries within the budget", async () => {
    receiver.respondWith({ status: 200, delayMs: 2000 });
    const sender = createOtlpHttpSender({
      endpoint: receiver.endpoint("traces"),
      timeoutMs: 100,
      retry: { ...fastRetry, maxAttempts: 2 },
    });
    const started = Date.now();
    const outcome = await sender.send(new Uint8Array(0));
    const elapsed = Date.now() - started;
    expect(outcome).toMatchObject({ ok: false, retryable: true, reason: "timeout", attempts: 2 });
    expect(elapsed).toBeGreaterThanOrEqual(190);
    expect(elapsed).toBeLessThan(1500);
    expect(receiver.requests()).toHaveLength(2);
    await sender.shutdown();
  });

  it("counts the spans of a timed-out export as failed and nothing arrives", async () => {
    receiver.respondWith({ status: 200, delayMs: 2000 });
    const { processor, provider, tracer } = pipeline(receiver.endpoint("traces"), {
      timeoutMs: 100,
      retry: { ...fastRetry, maxAttempts: 1 },
    });
    tracer.startSpan("slow").end();
    await provider.forceFlush();
    expect(processor.stats()).toMatchObject({ exported: 0, failed: 1 });
    expect(receiver.requests()[0]?.delivered).toBe(false);
    expect(receiver.traces()).toEqual([]);
    await provider.shutdown();
  });

  it("retries 503 and the batch arrives exactly once", async () => {
    receiver.respondWith([503, 503, 200]);
    const { processor, provider, tracer } = pipeline(receiver.endpoint("traces"));
    tracer.startSpan("eventually").end();
    await provider.forceFlush();
    expect(receiver.requests().map((r) => r.status)).toEqual([503, 503, 200]);
    expect(receiver.traces().map((s) => s.name)).toEqual(["eventually"]);
    expect(processor.stats()).toMatchObject({ exported: 1, failed: 0 });
    await provider.shutdown();
  });

  it.each([502, 504, 429])("retries %i", async (status) => {
    receiver.respondWith([status, 200]);
    const sender = createOtlpHttpSender({
      endpoint: receiver.endpoint("traces"),
      retry: fastRetry,
    });
    const outcome = await sender.send(new Uint8Array(0));
    expect(outcome).toEqual({ ok: true, attempts: 2 });
    await sender.shutdown();
  });

  it("does not retry 400 and reports the status", async () => {
    receiver.respondWith(400);
    const { processor, provider, tracer } = pipeline(receiver.endpoint("traces"));
    tracer.startSpan("rejected").end();
    await provider.forceFlush();
    expect(receiver.requests()).toHaveLength(1);
    expect(processor.stats()).toMatchObject({ exported: 0, failed: 1 });

    const sender = createOtlpHttpSender({
      endpoint: receiver.endpoint("traces"),
      retry: fastRetry,
    });
    expect(await sender.send(new Uint8Array(0))).toMatchObject({
      ok: false,
      retryable: false,
      reason: "http_status",
      status: 400,
      attempts: 1,
    });
    expect(receiver.requests()).toHaveLength(2);
    await Promise.all([sender.shutdown(), provider.shutdown()]);
  });

  it("waits as long as Retry-After says, in seconds or as an HTTP date", async () => {
    const inOneSecond = new Date(Math.ceil((Date.now() + 1500) / 1000) * 1000).toUTCString();
    receiver.respondWith([
      { status: 429, headers: { "retry-after": "1" } },
      { status: 503, headers: { "retry-after": inOneSecond } },
      200,
    ]);
    const sender = createOtlpHttpSender({
      endpoint: receiver.endpoint("traces"),
      retry: { initialBackoffMs: 1, maxBackoffMs: 1, maxElapsedMs: 10_000 },
    });
    expect(await sender.send(new Uint8Array(0))).toEqual({ ok: true, attempts: 3 });
    const [first, second, third] = receiver.requests().map((r) => r.receivedAt);
    expect(second! - first!).toBeGreaterThanOrEqual(950);
    // An HTTP date has one-second resolution; the wait ends at that instant, not before.
    expect(third!).toBeGreaterThanOrEqual(Date.parse(inOneSecond) - 50);
    await sender.shutdown();
  }, 20_000);

  it("gives up at once when Retry-After is beyond the time budget", async () => {
    receiver.respondWith({ status: 503, headers: { "retry-after": "120" } });
    const sender = createOtlpHttpSender({
      endpoint: receiver.endpoint("traces"),
      retry: { maxElapsedMs: 2000 },
    });
    const started = Date.now();
    const outcome = await sender.send(new Uint8Array(0));
    expect(outcome).toMatchObject({ ok: false, retryable: true, status: 503, attempts: 1 });
    expect(Date.now() - started).toBeLessThan(1000);
    await sender.shutdown();
  });

  it("posts the configured headers", async () => {
    const sender = createOtlpHttpSender({
      endpoint: receiver.endpoint("metrics"),
      protocol: "http/json",
      headers: { Authorization: "Bearer s3cret", "x-tenant": "acme" },
      // The runtime's fetch, as typed by @types/node, is accepted as is.
      fetch: globalThis.fetch,
    });
    expect(await sender.send('{"resourceMetrics":[]}')).toMatchObject({ ok: true, attempts: 1 });
    const [request] = receiver.requests();
    expect(request?.signal).toBe("metrics");
    expect(request?.headers).toMatchObject({
      authorization: "Bearer s3cret",
      "x-tenant": "acme",
      "content-type": "application/json",
    });
    await sender.shutdown();
  });
});

describe("OTLP export under a burst", () => {
  it("drops and counts what does not fit, never holding more than the queue size", async () => {
    const exporter = createOtlpTraceExporter({ endpoint: receiver.endpoint("traces") });
    const processor = createBatchSpanProcessor(exporter, {
      maxQueueSize: 2048,
      maxBatchSize: 512,
      scheduledDelayMs: 60_000,
    });
    const provider = new BasicTracerProvider({ spanProcessors: [processor] });
    const tracer = provider.getTracer("burst");

    const total = 100_000;
    let longest = 0;
    const heapBefore = retainedHeap();
    for (let i = 0; i < total; i++) {
      tracer.startSpan("burst", { attributes: { i } }).end();
      const { queueLength } = processor.stats();
      if (queueLength > longest) longest = queueLength;
    }
    const heapGrowth = retainedHeap() - heapBefore;

    const during = processor.stats();
    expect(longest).toBe(2048);
    expect(during.queued).toBe(2048);
    expect(during.dropped).toBe(total - 2048);
    // 100k retained spans take about 90 MB; the 2048 queued ones about 2 MB.
    expect(heapGrowth).toBeLessThan(16 * 1024 * 1024);

    await provider.forceFlush();
    const after = processor.stats();
    expect(after).toEqual({
      queued: 2048,
      exported: 2048,
      rejected: 0,
      dropped: total - 2048,
      failed: 0,
      queueLength: 0,
    });
    expect(receiver.traces()).toHaveLength(2048);
    const batchSizes = receiver.requests().map((r) => {
      // A batch is encoded in slices: one request, several resourceSpans entries.
      const decoded = r.decoded as { resourceSpans: { scopeSpans: { spans: unknown[] }[] }[] };
      return decoded.resourceSpans
        .flatMap((rs) => rs.scopeSpans)
        .reduce((sum, ss) => sum + ss.spans.length, 0);
    });
    expect(batchSizes).toEqual([512, 512, 512, 512]);
    await provider.shutdown();
  }, 60_000);
});

describe("flush and shutdown bounds", () => {
  it("forceFlush and shutdown return after exportTimeoutMs when the collector hangs", async () => {
    receiver.respondWith({ status: 200, delayMs: 10_000 });
    const exporter = createOtlpTraceExporter({
      endpoint: receiver.endpoint("traces"),
      timeoutMs: 20_000,
    });
    const processor = createBatchSpanProcessor(exporter, {
      scheduledDelayMs: 60_000,
      exportTimeoutMs: 300,
    });
    const provider = new BasicTracerProvider({ spanProcessors: [processor] });
    provider.getTracer("hang").startSpan("stuck").end();

    let started = Date.now();
    await provider.forceFlush();
    let elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(2000);
    // The flush deadline and the export's own timeout are both 300 ms; the batch is counted
    // as failed when the latter fires.
    await vi.waitFor(() => expect(processor.stats()).toMatchObject({ failed: 1, exported: 0 }));

    provider.getTracer("hang").startSpan("stuck again").end();
    started = Date.now();
    await provider.shutdown();
    elapsed = Date.now() - started;
    expect(elapsed).toBeLessThan(2000);
    await vi.waitFor(() => expect(processor.stats()).toMatchObject({ failed: 2, exported: 0 }));
  });

  it("forceFlush returns as soon as the export is done", async () => {
    const { provider, tracer } = pipeline(receiver.endpoint("traces"));
    tracer.startSpan("quick").end();
    const started = Date.now();
    await provider.forceFlush();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(receiver.traces()).toHaveLength(1);
    await provider.shutdown();
  });
});

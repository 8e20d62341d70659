import { createServer, type Server, type Socket } from "node:net";
import { useOtlpReceiver } from "@groundwork/test-harness";
import { BasicTracerProvider } from "@opentelemetry/sdk-trace-base";
import { afterEach, describe, expect, it } from "vitest";
import { createBatchSpanProcessor, createOtlpTraceExporter } from "../src/otlp/index";

// After shutdown() resolves: no request reaches the collector, no timer of ours keeps the
// process alive, and the counters no longer move.

const receiver = useOtlpReceiver();

/** A collector that accepts connections and never answers. */
async function startHangingCollector() {
  const sockets = new Set<Socket>();
  let requests = 0;
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("data", (chunk) => {
      if (chunk.toString("latin1").startsWith("POST ")) requests++;
    });
    socket.on("error", () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return {
    endpoint: `http://127.0.0.1:${port}/v1/traces`,
    requests: () => requests,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

function refTimers(): number {
  return process.getActiveResourcesInfo().filter((name) => name === "Timeout").length;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function record(provider: BasicTracerProvider, count: number) {
  const tracer = provider.getTracer("shutdown");
  for (let i = 0; i < count; i++) tracer.startSpan(`span ${i}`).end();
}

let stopCollector: (() => Promise<void>) | undefined;
afterEach(async () => {
  await stopCollector?.();
  stopCollector = undefined;
});

describe("batch span processor shutdown", () => {
  it("returns within its bound against a hanging collector, then sends nothing and holds no timer", async () => {
    const collector = await startHangingCollector();
    stopCollector = collector.stop;
    const baseline = refTimers();
    const processor = createBatchSpanProcessor(
      createOtlpTraceExporter({ endpoint: collector.endpoint }),
      { exportTimeoutMs: 3000, shutdownTimeoutMs: 800, scheduledDelayMs: 60_000 },
    );
    const provider = new BasicTracerProvider({ spanProcessors: [processor] });
    record(provider, 1500);
    await sleep(50);
    const started = performance.now();
    await provider.shutdown();
    const took = performance.now() - started;
    const requestsAtShutdown = collector.requests();
    const statsAtShutdown = processor.stats();
    expect(took).toBeLessThan(1500);
    expect(refTimers()).toBeLessThanOrEqual(baseline);
    expect(statsAtShutdown).toMatchObject({ queued: 1500, exported: 0, queueLength: 0 });
    expect(statsAtShutdown.dropped + statsAtShutdown.failed).toBe(1500);
    await sleep(3500);
    expect(collector.requests()).toBe(requestsAtShutdown);
    expect(processor.stats()).toEqual(statsAtShutdown);
  });

  it("sends nothing after shutdown while the collector answers 503 with Retry-After", async () => {
    receiver.respondWith({ status: 503, headers: { "retry-after": "1" } });
    const processor = createBatchSpanProcessor(
      createOtlpTraceExporter({ endpoint: receiver.endpoint("traces") }),
      { shutdownTimeoutMs: 500, scheduledDelayMs: 60_000 },
    );
    const provider = new BasicTracerProvider({ spanProcessors: [processor] });
    record(provider, 1100);
    await sleep(50);
    const baseline = refTimers();
    const started = performance.now();
    await provider.shutdown();
    expect(performance.now() - started).toBeLessThan(1200);
    const requests = receiver.requests().length;
    const stats = processor.stats();
    expect(stats.queued).toBe(1100);
    expect(stats.exported + stats.failed + stats.dropped).toBe(1100);
    expect(refTimers()).toBeLessThanOrEqual(baseline);
    await sleep(2500);
    expect(receiver.requests().length).toBe(requests);
    expect(processor.stats()).toEqual(stats);
  });

  it("bounds shutdown by 5 s by default and warns once through onWarning", async () => {
    const collector = await startHangingCollector();
    stopCollector = collector.stop;
    const warnings: string[] = [];
    const processor = createBatchSpanProcessor(
      createOtlpTraceExporter({ endpoint: collector.endpoint }),
      { scheduledDelayMs: 60_000, onWarning: (message) => warnings.push(message) },
    );
    const provider = new BasicTracerProvider({ spanProcessors: [processor] });
    record(provider, 600);
    const started = performance.now();
    await provider.shutdown();
    const took = performance.now() - started;
    expect(took).toBeGreaterThan(4500);
    expect(took).toBeLessThan(5800);
    expect(processor.stats().dropped).toBe(600);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("600 dropped");
  }, 10_000);
});

describe("batch span processor shutdown against a collector that is down", () => {
  it("gives each last batch one attempt instead of backing off until the bound", async () => {
    let attempts = 0;
    const refused: typeof fetch = async () => {
      attempts++;
      throw new TypeError("fetch failed", { cause: new Error("connect ECONNREFUSED") });
    };
    const processor = createBatchSpanProcessor(
      createOtlpTraceExporter({ endpoint: "http://127.0.0.1:9/v1/traces", fetch: refused }),
      { scheduledDelayMs: 60_000 },
    );
    const provider = new BasicTracerProvider({ spanProcessors: [processor] });
    record(provider, 10);
    const started = performance.now();
    await provider.shutdown();
    // Backing off would have taken most of the 5 s default bound and several attempts.
    expect(performance.now() - started).toBeLessThan(2500);
    expect(attempts).toBe(1);
    expect(processor.stats()).toMatchObject({ queued: 10, exported: 0, failed: 10, dropped: 0 });
  });
});

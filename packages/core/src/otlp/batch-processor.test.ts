import { type Context, type ContextManager, context, ROOT_CONTEXT } from "@opentelemetry/api";
import { type ExportResult, ExportResultCode, isTracingSuppressed } from "@opentelemetry/core";
import {
  AlwaysOffSampler,
  BasicTracerProvider,
  type ReadableSpan,
  type SpanExporter,
} from "@opentelemetry/sdk-trace-base";
import { describe, expect, it, vi } from "vitest";
import { CoreError } from "../errors";
import {
  type BatchSpanProcessorOptions,
  createBatchSpanProcessor,
  DEFAULT_MAX_QUEUE_SIZE,
  MAX_ADAPTIVE_QUEUE_SIZE,
} from "./batch-processor";

type Behaviour = "succeed" | "fail" | "throw" | "reject" | "never" | "manual";

/** An exporter double that records the batches it is given and behaves as told. */
function recordingExporter(behaviour: Behaviour = "succeed") {
  const batches: string[][] = [];
  const callbacks: ((result: ExportResult) => void)[] = [];
  let concurrent = 0;
  let maxConcurrent = 0;
  const exporter: SpanExporter = {
    export(spans: ReadableSpan[], done: (result: ExportResult) => void) {
      batches.push(spans.map((s) => s.name));
      concurrent++;
      maxConcurrent = Math.max(maxConcurrent, concurrent);
      const finish = (result: ExportResult) => {
        concurrent--;
        done(result);
      };
      switch (behaviour) {
        case "succeed":
          setTimeout(() => finish({ code: ExportResultCode.SUCCESS }), 1);
          return;
        case "fail":
          finish({ code: ExportResultCode.FAILED });
          return;
        case "throw":
          concurrent--;
          throw new Error("exporter bug");
        case "reject":
          concurrent--;
          // A non-conforming async exporter.
          return Promise.reject(new Error("async exporter bug")) as unknown as undefined;
        case "never":
          return;
        case "manual":
          callbacks.push(finish);
          return;
      }
    },
    shutdown: vi.fn(async () => {}),
    forceFlush: vi.fn(async () => {}),
  };
  return {
    exporter,
    batches,
    callbacks,
    maxConcurrent: () => maxConcurrent,
  };
}

function setup(behaviour: Behaviour, options: BatchSpanProcessorOptions = {}) {
  const recorder = recordingExporter(behaviour);
  const processor = createBatchSpanProcessor(recorder.exporter, {
    scheduledDelayMs: 60_000,
    ...options,
  });
  const provider = new BasicTracerProvider({ spanProcessors: [processor] });
  const tracer = provider.getTracer("test");
  const end = (...names: string[]) => {
    for (const name of names) tracer.startSpan(name).end();
  };
  return { ...recorder, processor, provider, end };
}

const names = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

describe("createBatchSpanProcessor", () => {
  it("queues sampled spans and exports them on flush", async () => {
    const { processor, end, batches } = setup("succeed");
    end("a", "b");
    expect(processor.stats()).toEqual({
      queued: 2,
      exported: 0,
      rejected: 0,
      dropped: 0,
      failed: 0,
      queueLength: 2,
    });
    await processor.forceFlush();
    expect(batches).toEqual([["a", "b"]]);
    expect(processor.stats()).toEqual({
      queued: 2,
      exported: 2,
      rejected: 0,
      dropped: 0,
      failed: 0,
      queueLength: 0,
    });
  });

  it("ignores unsampled spans", async () => {
    const recorder = recordingExporter();
    const processor = createBatchSpanProcessor(recorder.exporter);
    const provider = new BasicTracerProvider({
      sampler: new AlwaysOffSampler(),
      spanProcessors: [processor],
    });
    provider.getTracer("off").startSpan("nope").end();
    await processor.forceFlush();
    expect(recorder.batches).toEqual([]);
    expect(processor.stats().queued).toBe(0);
  });

  it("drops and counts spans once the queue is full, without growing", () => {
    const { processor, end } = setup("succeed", { maxQueueSize: 10, maxBatchSize: 10 });
    end(...names("s", 25));
    expect(processor.stats()).toMatchObject({ queued: 10, dropped: 15, queueLength: 10 });
  });

  it("exports a full batch on the next tick and on the timer otherwise", async () => {
    const { processor, end, batches } = setup("succeed", {
      maxBatchSize: 3,
      scheduledDelayMs: 600,
    });
    const started = Date.now();
    end("a", "b", "c", "d");
    expect(batches).toEqual([]); // never inside span.end()
    await vi.waitFor(() => expect(batches).toEqual([["a", "b", "c"]]), { interval: 5 });
    expect(Date.now() - started).toBeLessThan(500);
    await vi.waitFor(() => expect(batches).toEqual([["a", "b", "c"], ["d"]]), { timeout: 2000 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(590);
    await vi.waitFor(() => expect(processor.stats().exported).toBe(4));
  });

  it("keeps exactly one export in flight with maxConcurrentExports: 1", async () => {
    const { processor, end, batches, callbacks, maxConcurrent } = setup("manual", {
      maxBatchSize: 2,
      maxConcurrentExports: 1,
    });
    end(...names("s", 6));
    await vi.waitFor(() => expect(batches).toHaveLength(1));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(batches).toHaveLength(1);
    callbacks.shift()?.({ code: ExportResultCode.SUCCESS });
    await vi.waitFor(() => expect(batches).toHaveLength(2));
    callbacks.shift()?.({ code: ExportResultCode.SUCCESS });
    await vi.waitFor(() => expect(batches).toHaveLength(3));
    callbacks.shift()?.({ code: ExportResultCode.SUCCESS });
    await processor.forceFlush();
    expect(maxConcurrent()).toBe(1);
    expect(processor.stats()).toMatchObject({ exported: 6, queueLength: 0 });
  });

  it("sends a full batch while another is in flight, up to maxConcurrentExports", async () => {
    const { processor, end, batches, callbacks, maxConcurrent } = setup("manual", {
      maxBatchSize: 2,
      maxConcurrentExports: 2,
    });
    end(...names("s", 10));
    // The first export runs alone; once it succeeded, two at once.
    await vi.waitFor(() => expect(batches).toHaveLength(1));
    callbacks.shift()?.({ code: ExportResultCode.SUCCESS });
    await vi.waitFor(() => expect(batches).toHaveLength(3));
    await new Promise((resolve) => setTimeout(resolve, 20));
    // The fourth full batch waits for a free slot.
    expect(batches).toHaveLength(3);
    callbacks.shift()?.({ code: ExportResultCode.SUCCESS });
    await vi.waitFor(() => expect(batches).toHaveLength(4));
    expect(processor.stats()).toMatchObject({ exported: 4, queueLength: 2 });
    const flushed = processor.forceFlush();
    callbacks.shift()?.({ code: ExportResultCode.SUCCESS });
    await vi.waitFor(() => expect(batches).toHaveLength(5));
    while (callbacks.length > 0) callbacks.shift()?.({ code: ExportResultCode.SUCCESS });
    await flushed;
    expect(maxConcurrent()).toBe(2);
    expect(processor.stats()).toMatchObject({ exported: 10, queueLength: 0 });
  });

  it("runs one export at a time until one succeeds, and again after a failure", async () => {
    const { processor, end, batches, callbacks } = setup("manual", { maxBatchSize: 2 });
    end(...names("s", 12));
    const settle = async (code: ExportResultCode, inFlightAfter: number, total: number) => {
      callbacks.shift()?.({ code });
      await vi.waitFor(() => expect(batches).toHaveLength(total));
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(batches).toHaveLength(total);
      expect(callbacks).toHaveLength(inFlightAfter);
    };
    await vi.waitFor(() => expect(batches).toHaveLength(1));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(batches).toHaveLength(1);
    await settle(ExportResultCode.FAILED, 1, 2); // still alone after a failure
    await settle(ExportResultCode.SUCCESS, 4, 6); // healthy: four at once
    await settle(ExportResultCode.FAILED, 3, 6); // a failure: no new one while three run
    while (callbacks.length > 0) callbacks.shift()?.({ code: ExportResultCode.SUCCESS });
    await processor.forceFlush();
    expect(processor.stats()).toMatchObject({ exported: 8, failed: 4, queueLength: 0 });
  });

  it("on shutdown, counts every export still in flight as dropped", async () => {
    const { processor, end, batches, callbacks } = setup("manual", {
      maxBatchSize: 2,
      maxConcurrentExports: 3,
      shutdownTimeoutMs: 50,
    });
    end(...names("s", 9));
    await vi.waitFor(() => expect(batches).toHaveLength(1));
    callbacks.shift()?.({ code: ExportResultCode.SUCCESS });
    await vi.waitFor(() => expect(batches).toHaveLength(4));
    await processor.shutdown();
    expect(processor.stats()).toMatchObject({
      queued: 9,
      exported: 2,
      dropped: 7, // three batches in flight and one span queued
      failed: 0,
      queueLength: 0,
    });
    // A late answer does not move the final counters.
    while (callbacks.length > 0) callbacks.shift()?.({ code: ExportResultCode.SUCCESS });
    expect(processor.stats()).toMatchObject({ exported: 2, dropped: 7 });
  });

  it("sizes the queue from the measured rate, never above MAX_ADAPTIVE_QUEUE_SIZE", async () => {
    const { processor, end } = setup("never", {
      exportTimeoutMs: 60_000,
      shutdownTimeoutMs: 50,
    });
    let produced = 0;
    let longest = 0;
    // About 40 000 spans a second for 1.5 s into an exporter that never answers.
    const until = Date.now() + 1500;
    while (Date.now() < until) {
      end(...names("s", 400));
      produced += 400;
      longest = Math.max(longest, processor.stats().queueLength);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const stats = processor.stats();
    // Four batches of 512 are in flight; the rest queue up to one second of spans.
    expect(longest).toBeGreaterThan(DEFAULT_MAX_QUEUE_SIZE);
    expect(longest).toBeLessThanOrEqual(MAX_ADAPTIVE_QUEUE_SIZE);
    expect(stats.queued + stats.dropped).toBe(produced);
    await processor.shutdown();
  });

  it("grows the queue as soon as it fills under a rising rate, not a window later", async () => {
    // The processor reads performance.now(); held still here, so that the two bursts are
    // 60 ms apart however long ending 3048 spans takes on a busy machine.
    let now = performance.now();
    const clock = vi.spyOn(performance, "now").mockImplementation(() => now);
    const { processor, end } = setup("never", { exportTimeoutMs: 60_000, shutdownTimeoutMs: 50 });
    try {
      end(...names("s", 2048));
      // Past the shortest measuring window, well inside the first quarter-second one: a rate
      // far above 2048 a second.
      now += 60;
      end(...names("t", 1000));
      expect(processor.stats()).toMatchObject({ queued: 3048, dropped: 0 });
    } finally {
      clock.mockRestore();
    }
    await processor.shutdown();
  });

  it("never holds more than a given maxQueueSize, whatever the rate", async () => {
    const { processor, end } = setup("never", {
      maxQueueSize: 100,
      maxBatchSize: 10,
      shutdownTimeoutMs: 50,
    });
    let produced = 0;
    const until = Date.now() + 1200;
    while (Date.now() < until) {
      end(...names("s", 400));
      produced += 400;
      expect(processor.stats().queueLength).toBeLessThanOrEqual(100);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const stats = processor.stats();
    expect(stats.queued + stats.dropped).toBe(produced);
    expect(stats.queued).toBe(100 + 10); // the queue and the one batch in flight
    await processor.shutdown();
  });

  it("counts failed exports", async () => {
    const { processor, end } = setup("fail");
    end("a", "b", "c");
    await processor.forceFlush();
    expect(processor.stats()).toMatchObject({ exported: 0, failed: 3 });
  });

  it.each(["throw", "reject"] as const)("contains an exporter that %ss", async (behaviour) => {
    const { processor, provider, end } = setup(behaviour);
    expect(() => end("a", "b")).not.toThrow();
    await expect(provider.forceFlush()).resolves.toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(processor.stats()).toMatchObject({ exported: 0, failed: 2 });
    await expect(provider.shutdown()).resolves.toBeUndefined();
  });

  it("bounds forceFlush and shutdown by exportTimeoutMs when the exporter never answers", async () => {
    const { processor, end, exporter } = setup("never", { exportTimeoutMs: 50 });
    end("a");
    let started = Date.now();
    await processor.forceFlush();
    expect(Date.now() - started).toBeLessThan(1000);
    await vi.waitFor(() => expect(processor.stats().failed).toBe(1));

    end("b");
    started = Date.now();
    await processor.shutdown();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(exporter.shutdown).toHaveBeenCalledTimes(1);
  });

  it("flushes on shutdown, then drops new spans; shutdown is idempotent", async () => {
    const { processor, end, batches, exporter } = setup("succeed");
    end("a");
    await processor.shutdown();
    expect(batches).toEqual([["a"]]);
    end("late");
    expect(processor.stats()).toMatchObject({ exported: 1, dropped: 1, queueLength: 0 });
    await processor.shutdown();
    expect(exporter.shutdown).toHaveBeenCalledTimes(1);
  });

  it.each([
    ["maxQueueSize", 0],
    ["maxQueueSize", 1.5],
    ["maxBatchSize", -1],
    ["maxBatchSize", Number.NaN],
    ["maxConcurrentExports", 0],
    ["maxConcurrentExports", 2.5],
    ["scheduledDelayMs", -1],
    ["scheduledDelayMs", Number.POSITIVE_INFINITY],
    ["exportTimeoutMs", 0],
    ["exportTimeoutMs", Number.NaN],
  ] as const)("throws ERR_INVALID_OPTION for %s = %s instead of falling back", (name, value) => {
    const exporter = { export: vi.fn(), shutdown: vi.fn(async () => {}) };
    let error: unknown;
    try {
      createBatchSpanProcessor(exporter, { [name]: value });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(CoreError);
    expect(error).toMatchObject({ code: "ERR_INVALID_OPTION", name: "CoreError" });
    expect((error as Error).message).toContain(name);
  });

  it("caps the batch at the queue size", async () => {
    const { processor, end, batches } = setup("succeed", {
      maxQueueSize: 4,
      maxBatchSize: 100,
    });
    end(...names("s", 5));
    await processor.forceFlush();
    expect(batches).toEqual([["s0", "s1", "s2", "s3"]]);
    expect(processor.stats()).toMatchObject({ dropped: 1, exported: 4 });
  });

  it("runs exports with tracing suppressed, so the exporter's own requests are not traced", async () => {
    // A synchronous stack is enough: the exporter starts its request inside export().
    const stack: Context[] = [];
    const manager: ContextManager = {
      active: () => stack.at(-1) ?? ROOT_CONTEXT,
      with(ctx, fn, thisArg, ...args) {
        stack.push(ctx);
        try {
          return fn.call(thisArg, ...args);
        } finally {
          stack.pop();
        }
      },
      bind: (_ctx, target) => target,
      enable() {
        return this;
      },
      disable() {
        stack.length = 0;
        return this;
      },
    };
    context.setGlobalContextManager(manager);
    try {
      const seen: boolean[] = [];
      const exporter: SpanExporter = {
        export(_spans, done) {
          seen.push(isTracingSuppressed(context.active()));
          done({ code: ExportResultCode.SUCCESS });
        },
        shutdown: async () => {},
      };
      const processor = createBatchSpanProcessor(exporter);
      const provider = new BasicTracerProvider({ spanProcessors: [processor] });
      provider.getTracer("t").startSpan("a").end();
      expect(isTracingSuppressed(context.active())).toBe(false);
      await processor.forceFlush();
      expect(seen).toEqual([true]);
    } finally {
      context.disable();
    }
  });
});

import { PerformanceObserver } from "node:perf_hooks";
import { createRegistry, findSamples } from "@groundwork/metrics";
import { checkMetrics } from "@groundwork/test-harness";
import { afterEach, describe, expect, it } from "vitest";
import { createProcessMetrics, type ProcessMetrics } from "./process-metrics";

let metrics: ProcessMetrics | undefined;
afterEach(() => metrics?.stop());

function busyWait(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // block the event loop
  }
}

describe("createProcessMetrics", () => {
  it("reports CPU, memory, event-loop lag, GC pauses and resources that promtool accepts", async () => {
    metrics = createProcessMetrics({ eventLoopResolutionMs: 1 });
    const registry = createRegistry({ serviceName: "svc" });
    registry.registerCollector(metrics.collector);

    // Give the lag monitor something to see, and the GC observer a collection.
    await new Promise((resolve) => setTimeout(resolve, 20));
    busyWait(60);
    await new Promise((resolve) => setTimeout(resolve, 20));
    // Garbage until a collection is seen (how much it takes depends on the
    // young generation's size, which differs between Node versions).
    let collected = false;
    const watcher = new PerformanceObserver(() => {
      collected = true;
    });
    watcher.observe({ entryTypes: ["gc"] });
    for (let round = 0; round < 100 && !collected; round++) {
      const garbage: unknown[] = [];
      for (let i = 0; i < 200_000; i++) garbage.push({ i });
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    watcher.disconnect();
    await new Promise((resolve) => setTimeout(resolve, 50));

    const text = registry.collect();
    const verdict = await checkMetrics(text);
    expect(verdict.problems).toEqual([]);
    expect(verdict.ok).toBe(true);

    const textValue = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1]);
    // Lag figures cover the time since the previous scrape, so they are read from this one.
    expect(textValue("svc_nodejs_eventloop_lag_max_seconds")).toBeGreaterThan(0.04);
    expect(textValue("svc_nodejs_eventloop_lag_p99_seconds")).toBeGreaterThan(0);

    const snapshot = registry.snapshot();
    const value = (name: string) => findSamples(snapshot, name)[0]?.value;
    expect(value("svc_process_cpu_seconds_total")).toBeGreaterThan(0);
    expect(value("svc_process_resident_memory_bytes")).toBeGreaterThan(1e6);
    expect(value("svc_nodejs_heap_size_used_bytes")).toBeGreaterThan(0);
    const start = value("svc_process_start_time_seconds") ?? 0;
    expect(Math.abs(start - (Date.now() / 1000 - process.uptime()))).toBeLessThan(2);
    expect(text).toMatch(
      /svc_nodejs_gc_duration_seconds_count\{kind="(minor|major|incremental)"\} [1-9]/,
    );
    expect(text).toMatch(/svc_nodejs_active_resources\{type="\w+"\} [1-9]/);
  });

  it("resets the lag window at each scrape and keeps CPU and memory after stop()", async () => {
    metrics = createProcessMetrics({ eventLoopResolutionMs: 1 });
    const registry = createRegistry();
    registry.registerCollector(metrics.collector);
    await new Promise((resolve) => setTimeout(resolve, 20));
    busyWait(60);
    await new Promise((resolve) => setTimeout(resolve, 10));
    const first = findSamples(registry.snapshot(), "nodejs_eventloop_lag_max_seconds")[0]?.value;
    expect(first).toBeGreaterThan(0.04);
    await new Promise((resolve) => setTimeout(resolve, 30));
    const second = findSamples(registry.snapshot(), "nodejs_eventloop_lag_max_seconds")[0]?.value;
    expect(second).toBeLessThan(0.04);

    metrics.stop();
    const names = registry.snapshot().map((f) => f.name);
    expect(names).toContain("process_cpu_seconds");
    expect(names).not.toContain("nodejs_eventloop_lag_p99_seconds");
  });
});

// Invocations of one isolate that end close together share one export (exportDelayMs).
import type { Miniflare } from "miniflare";
import { describe, expect, it, onTestFinished } from "vitest";
import { startHangingServer, useFixtureWorkers, waitFor } from "./harness";

const fixture = useFixtureWorkers({ receiver: true });
const worker = fixture.start;

const traceIdOf = (res: Response) => (res.headers.get("traceparent") ?? "").split("-")[1] ?? "";
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const requestsOf = (signal: "traces" | "metrics" | "logs") =>
  fixture.receiver.requests().filter((r) => r.signal === signal && r.status === 200);

/** Starts the isolate with one request and waits until its export has arrived. */
async function warmUp(mf: Miniflare): Promise<void> {
  await (await mf.dispatchFetch("http://worker.test/no-io")).text();
  await waitFor(
    () => requestsOf("metrics").length,
    (n) => n > 0,
  );
  await sleep(200);
  fixture.receiver.reset();
}

describe("export window", { timeout: 20_000 }, () => {
  it("sends the spans, metrics and logs of concurrent invocations in one export each", async () => {
    // Long enough for six requests to end within it on a loaded machine.
    const mf = await worker({ EXPORT_DELAY: "2000", OTLP_LOGS: "1" });
    await warmUp(mf);
    const responses = await Promise.all(
      Array.from({ length: 6 }, () => mf.dispatchFetch("http://worker.test/no-io")),
    );
    const traceIds = new Set<string>();
    for (const res of responses) {
      expect(await res.text()).toBe("quick");
      traceIds.add(traceIdOf(res));
    }
    expect(traceIds.size).toBe(6);
    await waitFor(
      () => fixture.receiver.traces().filter((s) => traceIds.has(s.traceId)).length,
      (n) => n === 6,
    );
    await waitFor(
      () => fixture.receiver.logs().length,
      (n) => n >= 12,
    );
    await waitFor(
      () => requestsOf("metrics").length,
      (n) => n > 0,
    );
    await sleep(300);
    // One request per signal holds all six invocations.
    expect(requestsOf("traces")).toHaveLength(1);
    expect(requestsOf("logs")).toHaveLength(1);
    expect(fixture.receiver.logs().filter((r) => r.body === "START")).toHaveLength(6);
    expect(requestsOf("metrics")).toHaveLength(1);
    const count = fixture.receiver
      .metrics()
      .filter((p) => p.metric === "worker_requests" && p.attributes.resource === "/no-io");
    expect(count[0]?.aggregationTemporality).toBe("AGGREGATION_TEMPORALITY_DELTA");
    expect(count.reduce((n, p) => n + Number(p.value), 0)).toBe(6);
  });

  it("still exports a lone invocation, and the next one in an export of its own", async () => {
    const mf = await worker({ EXPORT_DELAY: "300" });
    await warmUp(mf);
    for (let i = 0; i < 2; i++) {
      const res = await mf.dispatchFetch("http://worker.test/no-io");
      await res.text();
      const traceId = traceIdOf(res);
      await waitFor(
        () => fixture.receiver.traces().filter((s) => s.traceId === traceId).length,
        (n) => n === 1,
      );
    }
    expect(requestsOf("traces")).toHaveLength(2);
  });

  it("makes one request per window under steady load, however slow the collector answers", async () => {
    const delayMs = 300;
    const mf = await worker({ EXPORT_DELAY: String(delayMs), OTLP_LOGS: "1" });
    await warmUp(mf);
    // Every answer takes a while: spans of invocations that end while an export waits for
    // its answer belong to the next window, not to another request of the same export.
    fixture.receiver.respondWith({ status: 200, delayMs: 60 });
    const started = performance.now();
    const traceIds = new Set<string>();
    await Promise.all(
      Array.from({ length: 2 }, async () => {
        while (performance.now() - started < 1500) {
          const res = await mf.dispatchFetch("http://worker.test/no-io");
          await res.text();
          traceIds.add(traceIdOf(res));
        }
      }),
    );
    const elapsed = performance.now() - started;
    await waitFor(
      () => fixture.receiver.traces().filter((s) => traceIds.has(s.traceId)).length,
      (n) => n === traceIds.size,
    );
    // Each request logs its START entry and one line.
    await waitFor(
      () => fixture.receiver.logs().filter((r) => traceIds.has(r.traceId ?? "")).length,
      (n) => n === traceIds.size * 2,
    );
    // A window starts when an invocation ends with none scheduled, and lasts delayMs.
    const windows = Math.floor(elapsed / delayMs) + 2;
    expect(requestsOf("traces").length).toBeLessThanOrEqual(windows);
    expect(requestsOf("metrics").length).toBeLessThanOrEqual(windows);
    expect(requestsOf("logs").length).toBeLessThanOrEqual(windows);
    expect(traceIds.size).toBeGreaterThan(windows * 2);
  });

  it("exports at the end of every invocation with exportDelayMs 0", async () => {
    const mf = await worker({ EXPORT_DELAY: "0" });
    await warmUp(mf);
    // One after the other: each invocation's export has taken its spans when the next ends
    // (invocations ending together would share the export of the first).
    for (let i = 0; i < 3; i++) await (await mf.dispatchFetch("http://worker.test/no-io")).text();
    await waitFor(
      () => requestsOf("traces").length,
      (n) => n === 3,
    );
  });

  it("leaves responses on time while the scheduled export hangs", async () => {
    const hanging = await startHangingServer();
    onTestFinished(() => hanging.stop());
    const mf = await worker({ OTLP: hanging.url, EXPORT_DELAY: "200" });
    await (await mf.dispatchFetch("http://worker.test/no-io")).text();
    for (let i = 0; i < 6; i++) {
      const started = performance.now();
      const res = await mf.dispatchFetch("http://worker.test/no-io");
      expect(await res.text()).toBe("quick");
      expect(performance.now() - started).toBeLessThan(400);
      await sleep(100);
    }
  });
});

import { freePort, type OtlpReceiver, startOtlpReceiver } from "@groundwork/test-harness";
import type { Miniflare } from "miniflare";
import { describe, expect, it, onTestFinished } from "vitest";
import {
  bundleWorker,
  type Printed,
  printed,
  startHangingServer,
  startWorker,
  useFixtureWorkers,
  waitFor,
} from "./harness";

const fixture = useFixtureWorkers();
const worker = fixture.start;

/** Sends a request and returns its body and how long the response took, in milliseconds. */
async function timed(mf: Miniflare, path: string): Promise<{ body: string; ms: number }> {
  const started = performance.now();
  const res = await mf.dispatchFetch(`http://worker.test${path}`);
  const body = await res.text();
  return { body, ms: performance.now() - started };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("a collector that fails", () => {
  it("leaves responses intact and on time when nothing listens", async () => {
    const mf = await worker({ OTLP: `http://127.0.0.1:${await freePort()}` });
    await timed(mf, "/no-io"); // warm-up: the first request also starts the isolate
    for (const path of ["/no-io", "/orders/7", "/server-error"]) {
      const { body, ms } = await timed(mf, path);
      expect(body).toBe(
        path === "/no-io" ? "quick" : path === "/server-error" ? "bad" : "echo /stock?item=7",
      );
      expect(ms).toBeLessThan(400);
    }
  });

  it("leaves responses on time when it accepts and never answers, and counts spans dropped", async () => {
    const hanging = await startHangingServer();
    onTestFinished(() => hanging.stop());
    const mf = await worker({ OTLP: hanging.url, MAX_QUEUE: "2", MAX_EXPORTS: "1" });
    await timed(mf, "/no-io");
    for (let i = 0; i < 6; i++) {
      const { body, ms } = await timed(mf, "/no-io");
      expect(body).toBe("quick");
      // Each export hangs for its whole timeout (500 ms a try, in waitUntil): the responses
      // do not wait for it.
      expect(ms).toBeLessThan(400);
    }
    await sleep(300);
    const metas = (await printed(mf))
      .map((p) => p.value)
      .filter((v): v is Record<string, unknown> => typeof v === "object" && v.msg === "START");
    // One export in flight holds the isolate's only slot, the queue holds two spans, the
    // rest is dropped and counted.
    const dropped = metas.map((m) => Number(m.isolate_spans_dropped ?? 0));
    expect(Math.max(...dropped)).toBeGreaterThan(0);
  });

  it("bounds the log records waiting for a hanging collector, and counts the rest", async () => {
    const hanging = await startHangingServer();
    onTestFinished(() => hanging.stop());
    const mf = await worker({
      OTLP: hanging.url,
      OTLP_LOGS: "1",
      LOG_QUEUE: "3",
      MAX_EXPORTS: "1",
    });
    // The isolate's first request also loads the Worker: not what is timed here.
    await timed(mf, "/no-io");
    for (let i = 0; i < 5; i++) {
      const { body, ms } = await timed(mf, "/no-io");
      expect(body).toBe("quick");
      expect(ms).toBeLessThan(400);
    }
    await sleep(300);
    const metas = (await printed(mf))
      .map((p) => p.value)
      .filter((v): v is Record<string, unknown> => typeof v === "object" && v.msg === "START");
    // Two records per request: the first export hangs in the only slot, three records wait,
    // the rest is dropped and counted.
    const dropped = metas.map((m) => Number(m.isolate_logs_dropped ?? 0));
    expect(Math.max(...dropped)).toBeGreaterThanOrEqual(3);
  });

  it("exports again once the collector recovers, with the drops pushed as a metric", async () => {
    const receiver: OtlpReceiver = await startOtlpReceiver();
    onTestFinished(() => receiver.stop());
    const mf = await worker({ OTLP: receiver.url, MAX_QUEUE: "2", MAX_EXPORTS: "1" });
    // Traces hang past the client's timeout for a while; metrics are accepted.
    receiver.respondWith((request) =>
      request.signal === "traces" ? { status: 200, delayMs: 1500 } : 200,
    );
    await timed(mf, "/no-io"); // loads the Worker
    for (let i = 0; i < 5; i++) expect((await timed(mf, "/no-io")).ms).toBeLessThan(400);
    receiver.respondWith(200);
    await sleep(2500);
    await timed(mf, "/no-io");
    const spans = await receiver.waitForSpans(1, 5000);
    expect(spans[0]?.name).toBe("GET /no-io");
    const dropped = await (async () => {
      for (let i = 0; i < 100; i++) {
        const total = receiver
          .metrics()
          .filter((p) => p.metric === "worker_spans_dropped")
          .reduce((n, p) => n + Number(p.value), 0);
        if (total > 0) return total;
        await sleep(50);
      }
      return 0;
    })();
    expect(dropped).toBeGreaterThan(0);
  });
});

describe("with nodejs_als only", () => {
  it("keeps the invocation across await with the AsyncLocalStorage passed in", async () => {
    const receiver = await startOtlpReceiver();
    onTestFinished(() => receiver.stop());
    const mf = await startWorker(
      await bundleWorker("./fixtures/als.ts"),
      { ECHO: fixture.echo.url, OTLP: receiver.url },
      ["nodejs_als"],
    );
    onTestFinished(() => mf.dispose());
    const res = await mf.dispatchFetch("http://worker.test/");
    expect(await res.text()).toBe("ok");
    const traceId = (res.headers.get("traceparent") ?? "").split("-")[1];
    const spans = await receiver.waitForSpans(2);
    const server = spans.find((s) => s.kind === "SPAN_KIND_SERVER");
    expect(server?.traceId).toBe(traceId);
    // The log after two awaits still found the invocation's span, and the outbound call
    // after the first await was traced under it.
    expect(server?.events.map((e) => e.name)).toEqual(["after await"]);
    expect(spans.find((s) => s.kind === "SPAN_KIND_CLIENT")?.parentSpanId).toBe(server?.spanId);
    const outbound = fixture.echo.requests.filter((r) => r.path === "/als").at(-1);
    expect(outbound?.headers.traceparent).toContain(traceId);
  });
});

describe("without nodejs_compat", () => {
  it("warns once, and getTelemetry(ctx) still carries the invocation; DEBUG turns debug logs on", async () => {
    const receiver = await startOtlpReceiver();
    onTestFinished(() => receiver.stop());
    const mf = await worker({ OTLP: receiver.url, DEBUG: "1" }, []);
    const a = await mf.dispatchFetch("http://worker.test/explicit");
    const traceId = (a.headers.get("traceparent") ?? "").split("-")[1];
    expect(await a.text()).toBe("echo /explicit");
    await (await mf.dispatchFetch("http://worker.test/orders/7")).text();
    const outbound = fixture.echo.requests.filter((r) => r.path === "/explicit").at(-1);
    expect(outbound?.headers.traceparent).toMatch(new RegExp(`^00-${traceId}-`));
    await sleep(200);
    const lines = await printed(mf);
    const warnings = lines.filter(
      (l) => typeof l.value === "string" && l.value.includes("no AsyncLocalStorage"),
    );
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.method).toBe("warn");
    const explicit = lines.find((l) => typeof l.value === "object" && l.value.msg === "explicit");
    expect(explicit?.value).toMatchObject({ trace_id: traceId });
    const debug = lines.find((l) => typeof l.value === "object" && l.value.msg === "debug detail");
    expect(debug).toMatchObject({ method: "debug", value: { level: "debug" } });
  });
});

describe("tail sampling", () => {
  it("exports failed and slow invocations, discards the rest and counts what it discarded", async () => {
    const receiver = await startOtlpReceiver();
    onTestFinished(() => receiver.stop());
    const mf = await worker({ OTLP: receiver.url, TAIL: "1" });
    const traceOf = async (path: string) => {
      const res = await mf.dispatchFetch(`http://worker.test${path}`);
      await res.text();
      return (res.headers.get("traceparent") ?? "").split("-")[1] ?? "";
    };
    const quick = await traceOf("/orders/7");
    const failed = await traceOf("/server-error");
    const slow = await traceOf("/stream");
    await traceOf("/fail"); // answered by the runtime: no traceparent to read
    // The last push carries the discard count; the kept traces arrive with their spans.
    await receiver.waitForSpans(2 + 2, 5000);
    await sleep(300);
    const traces = new Set(receiver.traces().map((s) => s.traceId));
    expect(traces.has(failed)).toBe(true);
    expect(traces.has(slow)).toBe(true);
    expect(receiver.traces().some((s) => s.name === "GET /fail")).toBe(true);
    expect(traces.size).toBe(3);
    expect(traces.has(quick)).toBe(false);
    const discarded = receiver
      .metrics()
      .filter((p) => p.metric === "worker_spans_discarded")
      .reduce((n, p) => n + Number(p.value), 0);
    // GET /orders: its server span, the "load order" span and the client span.
    expect(discarded).toBe(3);
  });
});

describe("spans cut by the budget", () => {
  it("counts and reports spans a streamed body keeps open past the waitUntil budget", async () => {
    const receiver = await startOtlpReceiver();
    onTestFinished(() => receiver.stop());
    const mf = await worker({ OTLP: receiver.url, WAIT_BUDGET: "200" });
    const res = await mf.dispatchFetch("http://worker.test/long-stream");
    const traceId = (res.headers.get("traceparent") ?? "").split("-")[1];
    expect(await res.text()).toBe("part0\npart1\npart2\npart3\npart4\npart5\n");
    const seen: Printed[] = [];
    const lines = await waitFor(
      async () => {
        seen.push(...(await printed(mf)));
        return seen.filter((l) => typeof l.value === "object" && l.value.trace_id === traceId);
      },
      (found) => found.length >= 2,
    );
    const values = lines.map((l) => l.value as Record<string, unknown>);
    // The server span and the span around the stream were open when the budget ran out.
    expect(values[0]).toMatchObject({ msg: "START", resource: "/long-stream", spans_cut: 2 });
    expect(lines[1]).toMatchObject({
      method: "warn",
      value: { level: "warn", type: "meta", reason: "unfinished", spans_cut: 2 },
    });
    const cut = await receiver.waitForRequests(1).then(() =>
      waitFor(
        () => receiver.metrics().filter((p) => p.metric === "worker_spans_cut"),
        (points) => points.length > 0,
      ),
    );
    expect(cut[0]?.attributes).toMatchObject({ reason: "unfinished" });
    expect(cut.reduce((n, p) => n + Number(p.value), 0)).toBe(2);
    // They ended with the stream and wait in the buffer: the next invocation exports them.
    await (await mf.dispatchFetch("http://worker.test/no-io")).text();
    const spans = await waitFor(
      () => receiver.traces().filter((s) => s.traceId === traceId),
      (found) => found.length === 2,
    );
    expect(spans.map((s) => s.name).sort()).toEqual(["GET /long-stream", "produce stream"]);
  });

  it("counts spans still queued at the export deadline, and warns", async () => {
    const receiver = await startOtlpReceiver();
    onTestFinished(() => receiver.stop());
    // One span per request, each answered after 300 ms, within an export deadline of 400 ms.
    receiver.respondWith({ status: 200, delayMs: 300 });
    const mf = await worker({ OTLP: receiver.url, EXPORT_TIMEOUT: "400", MAX_BATCH: "1" });
    const res = await mf.dispatchFetch("http://worker.test/many-spans");
    const traceId = (res.headers.get("traceparent") ?? "").split("-")[1];
    expect(await res.text()).toBe("done");
    const lines = await waitFor(
      async () => {
        const all = await printed(mf);
        return all.filter((l) => typeof l.value === "object" && l.value.reason === "deadline");
      },
      (found) => found.length > 0,
    );
    expect(lines[0]).toMatchObject({ method: "warn", value: { level: "warn", trace_id: traceId } });
    // Five spans: one exported, one cut off in flight by the deadline, three left queued.
    // (On a loaded machine the first may be cut off too.)
    const warned = (lines[0]?.value ?? {}) as Record<string, unknown>;
    expect(Number(warned.spans_cut)).toBeGreaterThanOrEqual(3);
  });
});

import { type OtlpReceiver, startOtlpReceiver } from "@groundwork/test-harness";
import type { Miniflare } from "miniflare";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { bundleWorker, type EchoServer, startEchoServer, startWorker, waitFor } from "./harness";

type Printed = { method: string; value: Record<string, unknown> };

let receiver: OtlpReceiver;
let echo: EchoServer;
let mf: Miniflare;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  echo = await startEchoServer();
  const script = await bundleWorker("./fixtures/worker.ts");
  const bindings = { OTLP: receiver.url, ECHO: echo.url, OTLP_LOGS: "1" };
  mf = await startWorker(script, bindings, ["nodejs_compat"], {
    kvNamespaces: ["CACHE"],
    queueProducers: { JOBS: "tasks", RAW: "raw" },
    queueConsumers: {
      tasks: { maxBatchSize: 10, maxBatchTimeout: 0.2 },
      raw: { maxBatchSize: 10, maxBatchTimeout: 0.2 },
    },
  });
}, 60_000);

afterAll(async () => {
  await mf?.dispose();
  await echo?.stop();
  await receiver?.stop();
});

beforeEach(async () => {
  receiver.reset();
  echo.requests.length = 0;
  await printed();
});

async function printed(): Promise<Printed[]> {
  const res = await mf.dispatchFetch("http://worker.test/__console");
  return (await res.json()) as Printed[];
}

/** Waits for `count` spans of one trace (other tests' exports may still arrive). */
async function traceSpans(traceId: string | undefined, count: number) {
  return waitFor(
    () => receiver.traces().filter((s) => s.traceId === traceId),
    (spans) => spans.length >= count,
  );
}

/** Waits for a span by name and returns its trace. */
async function traceOfSpan(name: string, count: number) {
  const span = await waitFor(
    () => receiver.traces().find((s) => s.name === name),
    (s) => s !== undefined,
  );
  return traceSpans(span?.traceId, count);
}

const traceIdOf = (res: Response) => (res.headers.get("traceparent") ?? "").split("-")[1];

const PARENT_TRACE = "0af7651916cd43dd8448eb211c80319c";
const PARENT_SPAN = "b7ad6b7169203331";

describe("request.cf", () => {
  it("gives the server span of a sampled request its colo, country and asn", async () => {
    const res = await mf.dispatchFetch("http://worker.test/no-io");
    await res.text();
    const [server] = await traceSpans(traceIdOf(res), 1);
    expect(server?.attributes).toMatchObject({
      "cloudflare.colo": expect.any(String),
      "cloudflare.country": expect.any(String),
      "cloudflare.asn": expect.any(Number),
    });
  });

  it("is not read for a request that is not sampled", async () => {
    const script = await bundleWorker("./fixtures/worker.ts");
    const unsampled = await startWorker(script, {
      OTLP: receiver.url,
      ECHO: echo.url,
      SAMPLING: "0",
      COUNT_CF: "1",
    });
    try {
      await (await unsampled.dispatchFetch("http://worker.test/no-io")).text();
      const reads = await (await unsampled.dispatchFetch("http://worker.test/__cf_reads")).json();
      expect(reads).toBe(0);
      // The counting itself works: a sampled Worker reads it.
      const sampled = await startWorker(script, {
        OTLP: receiver.url,
        ECHO: echo.url,
        COUNT_CF: "1",
      });
      try {
        await (await sampled.dispatchFetch("http://worker.test/no-io")).text();
        const sampledReads = await (
          await sampled.dispatchFetch("http://worker.test/__cf_reads")
        ).json();
        expect(sampledReads).toBeGreaterThan(0);
      } finally {
        await sampled.dispose();
      }
    } finally {
      await unsampled.dispose();
    }
  }, 60_000);
});

describe("fetch", () => {
  it("continues the caller's trace: server span, child span, client span with traceparent sent", async () => {
    const res = await mf.dispatchFetch("http://worker.test/orders/7?x=1", {
      headers: { traceparent: `00-${PARENT_TRACE}-${PARENT_SPAN}-01`, "user-agent": "test-agent" },
    });
    expect(await res.text()).toBe("echo /stock?item=7");
    const traceparent = res.headers.get("traceparent") ?? "";
    expect(traceparent).toMatch(new RegExp(`^00-${PARENT_TRACE}-[0-9a-f]{16}-01$`));

    const spans = await traceSpans(PARENT_TRACE, 3);
    const server = spans.find((s) => s.kind === "SPAN_KIND_SERVER");
    const child = spans.find((s) => s.name === "load order");
    const client = spans.find((s) => s.kind === "SPAN_KIND_CLIENT");
    expect(server).toMatchObject({
      traceId: PARENT_TRACE,
      parentSpanId: PARENT_SPAN,
      name: "GET /orders",
      status: { code: "STATUS_CODE_UNSET" },
    });
    expect(server?.spanId).toBe(traceparent.split("-")[2]);
    expect(server?.attributes).toMatchObject({
      "http.request.method": "GET",
      "http.route": "/orders",
      "http.response.status_code": 200,
      "url.path": "/orders/7",
      "user_agent.original": "test-agent",
    });
    expect(server?.resource).toMatchObject({
      "service.name": "fixture",
      "service.version": "1.2.3",
    });
    expect(child?.parentSpanId).toBe(server?.spanId);
    expect(client?.parentSpanId).toBe(child?.spanId);
    expect(client?.attributes).toMatchObject({
      "http.request.method": "GET",
      "http.response.status_code": 200,
      "server.address": "127.0.0.1",
    });
    // The outbound request carried the client span's context, and its own headers.
    const outbound = echo.requests.find((r) => r.path === "/stock?item=7");
    expect(outbound?.headers.traceparent).toBe(`00-${PARENT_TRACE}-${client?.spanId}-01`);
    expect(outbound?.headers["x-test"]).toBe("1");
    // The log line became an event of the span active when it was written.
    expect(server?.events.map((e) => e.name)).toContain("loading order");
  });

  it("writes buffered logs as objects with trace_id after a START meta entry, debug gated", async () => {
    const res = await mf.dispatchFetch("http://worker.test/orders/7");
    const traceId = traceIdOf(res);
    await res.text();
    const lines = await waitFor(printed, (p) => p.some((l) => l.value.msg === "loading order"));
    const mine = lines.filter((l) => l.value.trace_id === traceId);
    expect(mine.map((l) => l.value.msg)).toEqual(["START", "loading order"]);
    const [meta, info] = mine;
    expect(meta?.method).toBe("log");
    expect(meta?.value).toMatchObject({
      type: "meta",
      level: "info",
      api: "fixture",
      resource: "/orders",
      method: "GET",
      status: "200",
      outcome: "ok",
      service: "fixture",
      version: "1.2.3",
      logs: 1,
    });
    expect(typeof meta?.value.duration_ms).toBe("number");
    expect(info?.value).toMatchObject({ level: "info", order_id: 7, trace_id: traceId });
    expect(typeof info?.value.span_id).toBe("string");
  });

  it("exports the log records, START first, as OTLP logs with trace context", async () => {
    const res = await mf.dispatchFetch("http://worker.test/orders/7");
    const traceId = traceIdOf(res);
    await res.text();
    const records = await waitFor(
      () => receiver.logs().filter((r) => r.traceId === traceId),
      (found) => found.length >= 2,
    );
    expect(records.map((r) => r.body)).toEqual(["START", "loading order"]);
    const [start, info] = records;
    expect(start).toMatchObject({
      severityNumber: "SEVERITY_NUMBER_INFO",
      severityText: "INFO",
      scope: { name: "@groundwork/worker" },
    });
    expect(start?.attributes).toMatchObject({
      type: "meta",
      api: "fixture",
      resource: "/orders",
      method: "GET",
      status: "200",
      outcome: "ok",
    });
    expect(start?.resource).toMatchObject({
      "service.name": "fixture",
      "service.version": "1.2.3",
    });
    expect(info?.attributes).toMatchObject({ order_id: 7 });
    expect(info?.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(Number(info?.timeUnixNano ?? 0n) / 1e6).toBeGreaterThan(Date.now() - 60_000);
    // The debug record is below the level, and is not exported either.
    expect(records.some((r) => r.body === "debug detail")).toBe(false);
  });

  it("pushes request count and duration over OTLP with api, resource, method and status", async () => {
    await (await mf.dispatchFetch("http://worker.test/no-io")).text();
    await (await mf.dispatchFetch("http://worker.test/server-error")).text();
    const labels = { api: "fixture", resource: "/server-error", method: "GET", status: "503" };
    const points = await waitFor(
      () => receiver.metrics(),
      (m) => m.some((p) => p.metric === "worker_requests" && p.attributes.status === "503"),
    );
    const count = points.filter(
      (p) => p.metric === "worker_requests" && p.attributes.resource === "/server-error",
    );
    expect(count[0]).toMatchObject({
      type: "sum",
      isMonotonic: true,
      aggregationTemporality: "AGGREGATION_TEMPORALITY_DELTA",
      attributes: labels,
    });
    expect(Number(count.reduce((n, p) => n + Number(p.value), 0))).toBe(1);
    const duration = points.find(
      (p) => p.metric === "worker_duration_seconds" && p.attributes.status === "503",
    );
    expect(duration).toMatchObject({ type: "histogram", count: 1, unit: "s", attributes: labels });
    expect(duration?.resource["service.name"]).toBe("fixture");
  });

  it("marks 5xx responses and exceptions as errors; an exception still reaches the runtime", async () => {
    const bad = await mf.dispatchFetch("http://worker.test/server-error");
    expect(bad.status).toBe(503);
    await bad.text();
    const thrown = await mf.dispatchFetch("http://worker.test/fail");
    expect(thrown.status).toBe(500);
    await thrown.text();
    const byPath = (p: string) => receiver.traces().find((s) => s.attributes["url.path"] === p);
    await waitFor(
      () => byPath("/fail"),
      (s) => s !== undefined,
    );
    await waitFor(
      () => byPath("/server-error"),
      (s) => s !== undefined,
    );
    expect(byPath("/server-error")?.status.code).toBe("STATUS_CODE_ERROR");
    expect(byPath("/fail")?.status).toMatchObject({ code: "STATUS_CODE_ERROR", message: "boom" });
    expect(byPath("/fail")?.events.map((e) => e.name)).toContain("exception");
    const lines = await waitFor(printed, (p) => p.some((l) => l.value.msg === "about to fail"));
    const meta = lines.find((l) => l.value.msg === "START" && l.value.resource === "/fail");
    expect(meta).toMatchObject({
      method: "error",
      value: { level: "error", status: "500", outcome: "exception" },
    });
  });

  it("exports the span of a request that does no I/O", async () => {
    const res = await mf.dispatchFetch("http://worker.test/no-io");
    expect(await res.text()).toBe("quick");
    const [span] = await traceSpans(traceIdOf(res), 1);
    expect(span).toMatchObject({ name: "GET /no-io", kind: "SPAN_KIND_SERVER" });
    expect(span?.events.map((e) => e.name)).toEqual(["no io"]);
  });

  it("ends the server span when a streamed body ends, and exports spans made while streaming", async () => {
    const started = Date.now();
    const res = await mf.dispatchFetch("http://worker.test/stream");
    expect(await res.text()).toBe("chunk0\nchunk1\nchunk2\n");
    const spans = await traceSpans(traceIdOf(res), 2);
    const server = spans.find((s) => s.kind === "SPAN_KIND_SERVER");
    const last = spans.find((s) => s.name === "last chunk");
    expect(last?.parentSpanId).toBe(server?.spanId);
    const ms = (ns: bigint | undefined) => Number((ns ?? 0n) / 1_000_000n);
    expect(ms(server?.endTimeUnixNano) - ms(server?.startTimeUnixNano)).toBeGreaterThanOrEqual(140);
    expect(ms(server?.endTimeUnixNano)).toBeGreaterThanOrEqual(ms(last?.endTimeUnixNano));
    expect(ms(server?.endTimeUnixNano)).toBeGreaterThanOrEqual(started - 1000);
    const lines = await waitFor(printed, (p) => p.some((l) => l.value.msg === "stream done"));
    const meta = lines.find((l) => l.value.msg === "START" && l.value.resource === "/stream");
    expect(Number(meta?.value.duration_ms)).toBeGreaterThanOrEqual(140);
  });

  it("exports work the handler handed to waitUntil", async () => {
    const res = await mf.dispatchFetch("http://worker.test/wait-until");
    await res.text();
    const spans = await traceSpans(traceIdOf(res), 2);
    const server = spans.find((s) => s.kind === "SPAN_KIND_SERVER");
    expect(spans.find((s) => s.name === "background")?.parentSpanId).toBe(server?.spanId);
  });

  it("gives explicit access through getTelemetry(ctx)", async () => {
    const res = await mf.dispatchFetch("http://worker.test/explicit");
    const traceId = traceIdOf(res);
    expect(await res.text()).toBe("echo /explicit");
    const outbound = echo.requests.find((r) => r.path === "/explicit");
    expect(outbound?.headers.traceparent).toMatch(new RegExp(`^00-${traceId}-`));
    // Traced once: one client span, even with the global fetch instrumented too.
    const spans = await traceSpans(traceId, 2);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(receiver.traces().filter((s) => s.traceId === traceId)).toHaveLength(2);
    expect(spans.filter((s) => s.kind === "SPAN_KIND_CLIENT")).toHaveLength(1);
    const lines = await waitFor(printed, (p) => p.some((l) => l.value.msg === "explicit"));
    expect(lines.find((l) => l.value.msg === "explicit")?.value).toMatchObject({
      traced: traceId,
      trace_id: traceId,
    });
  });

  it("makes a span of each binding call", async () => {
    const res = await mf.dispatchFetch("http://worker.test/kv");
    expect(await res.text()).toBe("hello");
    const spans = await traceSpans(traceIdOf(res), 3);
    const server = spans.find((s) => s.kind === "SPAN_KIND_SERVER");
    const put = spans.find((s) => s.name === "CACHE put");
    expect(put).toMatchObject({ kind: "SPAN_KIND_CLIENT", parentSpanId: server?.spanId });
    expect(put?.attributes).toMatchObject({
      "db.system.name": "cloudflare_kv",
      "db.namespace": "CACHE",
      "db.operation.name": "put",
    });
    expect(spans.find((s) => s.name === "CACHE get")?.parentSpanId).toBe(server?.spanId);
  });

  it("keeps concurrent requests in one isolate apart", async () => {
    const ids = Array.from({ length: 12 }, (_, i) => `r${i}`);
    const responses = await Promise.all(
      ids.map((id, i) =>
        mf.dispatchFetch(`http://worker.test/isolation?id=${id}&wait=${(12 - i) * 5}`),
      ),
    );
    const traceOf = new Map<string, string>();
    for (const [i, res] of responses.entries()) {
      expect(await res.text()).toBe(ids[i]);
      traceOf.set(ids[i] as string, (res.headers.get("traceparent") ?? "").split("-")[1] ?? "");
    }
    expect(new Set(traceOf.values()).size).toBe(ids.length);
    const lines = await waitFor(
      printed,
      (p) => p.filter((l) => l.value.msg === "done").length === ids.length,
    );
    for (const line of lines.filter((l) => l.value.msg === "done")) {
      const req = line.value.req as string;
      expect(line.value.seen).toBe(req);
      expect(line.value.trace_id).toBe(traceOf.get(req));
    }
    for (const request of echo.requests) {
      const id = new URL(request.path, echo.url).searchParams.get("id") ?? "";
      expect(String(request.headers.traceparent)).toContain(traceOf.get(id));
    }
  });
});

/** The Worker's scheduled and queue entry points, as Miniflare's fetcher exposes them. */
interface EventFetcher {
  scheduled(options: { cron: string }): Promise<{ outcome: string }>;
  queue(
    queue: string,
    messages: { id: string; timestamp: Date; body: unknown; attempts: number }[],
  ): Promise<{ outcome: string }>;
}

const eventFetcher = async () => (await mf.getWorker()) as unknown as EventFetcher;

describe("scheduled and queue", () => {
  it("traces a scheduled invocation and logs its meta entry", async () => {
    const worker = await eventFetcher();
    await worker.scheduled({ cron: "*/5 * * * *" });
    const spans = await traceOfSpan("scheduled */5 * * * *", 2);
    const root = spans.find((s) => s.name === "scheduled */5 * * * *");
    expect(root?.attributes).toMatchObject({ "faas.trigger": "timer", "faas.cron": "*/5 * * * *" });
    expect(spans.find((s) => s.kind === "SPAN_KIND_CLIENT")?.parentSpanId).toBe(root?.spanId);
    expect(echo.requests.find((r) => r.path === "/cron")?.headers.traceparent).toContain(
      root?.traceId,
    );
    const lines = await waitFor(printed, (p) => p.some((l) => l.value.msg === "tick"));
    expect(
      lines.find((l) => l.value.msg === "START" && l.value.method === "scheduled")?.value,
    ).toMatchObject({
      resource: "*/5 * * * *",
      method: "scheduled",
      status: "ok",
      trace_id: root?.traceId,
    });
  });

  it("traces a queue batch", async () => {
    const worker = await eventFetcher();
    const result = await worker.queue("jobs", [
      { id: "m1", timestamp: new Date(), body: { n: 1 }, attempts: 1 },
      { id: "m2", timestamp: new Date(), body: { n: 2 }, attempts: 1 },
    ]);
    expect(result.outcome).toBe("ok");
    const [span] = await traceOfSpan("jobs process", 1);
    expect(span).toMatchObject({ name: "jobs process", kind: "SPAN_KIND_CONSUMER" });
    expect(span?.attributes["messaging.batch.message_count"]).toBe(2);
  });
});

describe("queue trace context", () => {
  it("a single message's consumer continues the producer's trace, and sees the body as sent", async () => {
    const res = await mf.dispatchFetch("http://worker.test/enqueue");
    await res.text();
    const traceId = traceIdOf(res);
    const spans = await traceSpans(traceId, 3);
    const send = spans.find((s) => s.name === "JOBS send");
    const process = spans.find((s) => s.name === "tasks process");
    expect(send).toMatchObject({ kind: "SPAN_KIND_PRODUCER" });
    expect(process).toMatchObject({ kind: "SPAN_KIND_CONSUMER", parentSpanId: send?.spanId });
    expect(process?.links).toHaveLength(1);
    expect(process?.links[0]).toMatchObject({ traceId, spanId: send?.spanId });
    expect(typeof process?.links[0]?.attributes["messaging.message.id"]).toBe("string");
    const lines = await waitFor(printed, (p) =>
      p.some((l) => l.value.msg === "batch" && l.value.queue === "tasks"),
    );
    const batch = lines.find((l) => l.value.msg === "batch" && l.value.queue === "tasks");
    expect(batch?.value.bodies).toEqual([{ n: 1 }]);
    expect(batch?.value.trace_id).toBe(traceId);
  });

  it("a batch's process span links every producer; bodies that cannot carry context are untouched", async () => {
    const res = await mf.dispatchFetch("http://worker.test/enqueue-batch");
    await res.text();
    const traceId = traceIdOf(res);
    const [send] = await waitFor(
      () => receiver.traces().filter((s) => s.traceId === traceId && s.name === "JOBS sendBatch"),
      (found) => found.length === 1,
    );
    const process = await waitFor(
      () =>
        receiver
          .traces()
          .find((s) => s.name === "tasks process" && s.links.some((l) => l.traceId === traceId)),
      (s) => s !== undefined,
    );
    // Three messages: a trace of its own, with a link to the producer of each one that carried it.
    expect(process?.traceId).not.toBe(traceId);
    expect(process?.attributes["messaging.batch.message_count"]).toBe(3);
    expect(process?.links.map((l) => [l.traceId, l.spanId])).toEqual([
      [traceId, send?.spanId],
      [traceId, send?.spanId],
    ]);
    const lines = await waitFor(printed, (p) =>
      p.some((l) => l.value.msg === "batch" && l.value.size === 3),
    );
    const batch = lines.find((l) => l.value.msg === "batch" && l.value.size === 3);
    expect(batch?.value.bodies).toEqual([{ n: 2 }, { n: 3 }, "plain text"]);
  });

  it("puts traceparent under __traceparent in the body an uninstrumented consumer receives", async () => {
    const res = await mf.dispatchFetch("http://worker.test/enqueue-raw");
    await res.text();
    const traceId = traceIdOf(res);
    const [send] = await traceSpans(traceId, 2).then((spans) =>
      spans.filter((s) => s.name === "RAW send"),
    );
    const bodies = await waitFor(
      async () => (await (await mf.dispatchFetch("http://worker.test/__raw")).json()) as unknown[],
      (b) => b.length > 0,
    );
    expect(bodies).toEqual([
      { n: 4, __traceparent: expect.stringMatching(`^00-${traceId}-${send?.spanId}-0[13]$`) },
    ]);
  });
});

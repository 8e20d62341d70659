import { log, span, withForkedLog } from "@groundwork/core";
import { describe, expect, it } from "vitest";
import { TestingError } from "./errors";
import "./vitest";
import { createTestTelemetry } from "./telemetry";
import { renderTraceTree } from "./traces/render";

async function work(id: number, delayMs: number) {
  await withForkedLog(async () => {
    log.addFields({ id });
    await new Promise((r) => setTimeout(r, delayMs));
    log.info("done", { delayMs });
  });
}

describe("createTestTelemetry", () => {
  it("captures records with level, message and fields", async () => {
    const t = createTestTelemetry({ redactKeys: ["token"] });
    await t.run(async () => {
      log.debug("starting", { token: "abc" });
      await work(1, 1);
      log.error("failed", new Error("boom"));
    });
    expect(t.logs().map((l) => [l.level, l.msg])).toEqual([
      ["debug", "starting"],
      ["info", "done"],
      ["error", "failed"],
    ]);
    expect(t.logs()[0]?.fields).toEqual({ token: "[REDACTED]" });
    expect(t).toHaveLogged("info", "done", { id: 1 });
    expect(t).toHaveLogged(/fail/);
    expect(t).toHaveLogged("error", "failed", { err: { message: "boom" } });
    expect(t).not.toHaveLogged("warn", "done");
    expect(t).not.toHaveLogged("done", { id: 2 });
    expect(t.findLogs({ msg: /^d/ })).toHaveLength(1);
    t.reset();
    expect(t.logs()).toEqual([]);
  });

  it("explains a failed match with what was captured", () => {
    const t = createTestTelemetry();
    t.run(() => log.info("hello", { a: 1 }));
    expect(() => expect(t).toHaveLogged("warn", "hello")).toThrow(
      /captured:\n {2}INFO {2}hello \{"a":1\}/,
    );
  });

  it("keeps concurrently running captures apart", async () => {
    const results = await Promise.all(
      [0, 1, 2, 3].map(async (i) => {
        const t = createTestTelemetry();
        await t.run(() => work(i, (4 - i) * 3));
        return t;
      }),
    );
    results.forEach((t, i) => {
      expect(t.logs()).toHaveLength(1);
      expect(t.logs()[0]?.fields).toEqual({ id: i, delayMs: (4 - i) * 3 });
    });
  });

  it.concurrent.each([1, 2, 3])("is isolated across concurrent tests (%i)", async (i) => {
    const t = createTestTelemetry();
    await t.run(() => work(i, 5 * i));
    expect(t.logs().map((l) => l.fields.id)).toEqual([i]);
  });

  it("does not capture code that runs outside it", () => {
    const t = createTestTelemetry();
    const outside = createTestTelemetry();
    outside.run(() => log.info("elsewhere"));
    expect(t.logs()).toEqual([]);
  });
});

describe("createTestTelemetry options", () => {
  it.each([
    ["maxRecords", { maxRecords: 0 }],
    ["maxSpans", { maxSpans: 1.5 }],
    ["samplingRatio", { samplingRatio: 2 }],
  ] as const)("throws ERR_INVALID_OPTION for an invalid %s", (name, options) => {
    let error: unknown;
    try {
      createTestTelemetry(options);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(TestingError);
    expect(error).toMatchObject({ name: "TestingError", code: "ERR_INVALID_OPTION" });
    expect((error as Error).message).toContain(name);
  });
});

describe("createTestTelemetry traces", () => {
  it("captures spans and trace trees beside the logs", async () => {
    const { span, withForkedTrace } = await import("@groundwork/core");
    const { trace } = await import("@opentelemetry/api");
    const t = createTestTelemetry();
    await t.run(() =>
      span("request", async () => {
        await span("db.query", { attributes: { "db.system": "postgresql" } }, () =>
          log.info("querying"),
        );
        // The plain tracer stamps its span with another clock; trees follow start order.
        trace.getTracer("plain-otel").startActiveSpan("plain", (s) => s.end());
        await withForkedTrace("background", async () => {});
      }),
    );
    expect(t).toHaveSpan("db.query", { "db.system": "postgresql" });
    expect(t).not.toHaveSpan("missing");
    expect(t).toHaveTraceTree([["request", ["db.query"], ["plain"]], ["background"]]);
    const query = t.spans().find((s) => s.name === "db.query");
    expect(t.logs()[0]?.traceId).toBe(query?.spanContext().traceId);
    expect(t.traces().map((n) => n.name)).toEqual(["request", "background"]);
    t.reset();
    expect(t.spans()).toEqual([]);
  });
});

describe("createTestTelemetry metrics", () => {
  it("reads metric samples and matches them", async () => {
    const { counter, createRegistry, defineMetrics, histogram } = await import(
      "@groundwork/metrics"
    );
    const registry = createRegistry({ serviceName: "shop" });
    const http = defineMetrics(
      "http",
      {
        requests: counter({ help: "Requests served", labels: ["method", "status"] as const }),
        latency: histogram({ help: "Latency in seconds", buckets: [0.1, 1] }),
      },
      { registry },
    );
    const t = createTestTelemetry({ registry });
    http.requests({ method: "GET", status: "200" }).inc();
    http.requests({ method: "GET", status: "200" }).inc();
    http.latency.observe(0.5);
    expect(t).toHaveMetric("shop_http_requests_total", { method: "GET" }, 2);
    expect(t).toHaveMetric("shop_http_requests", { status: "200" });
    expect(t).not.toHaveMetric("shop_http_requests_total", { method: "POST" });
    expect(t).toHaveMetric("shop_http_latency", {}, 1);
    expect(() => expect(t).toHaveMetric("shop_http_requests_total", {}, 5)).toThrow(
      /shop_http_requests_total\{"method":"GET","status":"200"\} 2/,
    );
    expect(t.metrics().find((s) => s.name === "shop_http_latency_sum")?.value).toBe(0.5);
  });
});

describe("renderTraceTree with volatileKeys (the testing guide's example)", () => {
  it("masks run-dependent values of log records turned into span events", async () => {
    const t = createTestTelemetry();
    await t.run(() =>
      span("order", async () => {
        const started = Date.now();
        await new Promise((r) => setTimeout(r, 2));
        log.info("order done", {
          request_id: crypto.randomUUID(),
          duration_ms: Date.now() - started,
        });
      }),
    );
    expect(
      renderTraceTree(t.traces(), {
        volatileKeys: ["request_id", "duration_ms", "exception.stacktrace"],
      }),
    ).toBe(
      [
        "trace #1",
        "  order",
        '    ! order done {duration_ms=<duration_ms>, log.severity="info", request_id=<request_id>}',
      ].join("\n"),
    );
  });
});

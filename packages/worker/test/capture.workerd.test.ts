// What a user writes to test an instrumented Worker under the Workers vitest integration
// (@cloudflare/vitest-plugin): the handler runs in workerd, and @groundwork/testing's
// capture receives its logs, spans and metrics.
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { log, span } from "@groundwork/core";
import { createRegistry } from "@groundwork/metrics";
import { createTestTelemetry } from "@groundwork/testing";
import "@groundwork/testing/vitest";
import { expect, it } from "vitest";
import { type ExecutionContextLike, instrument } from "../src/index";

const handler = {
  async fetch(request: Request, _env: unknown, _ctx: ExecutionContextLike): Promise<Response> {
    const url = new URL(request.url);
    log.info("order requested", { path: url.pathname });
    const total = await span("price order", async () => {
      log.debug("pricing");
      return 42;
    });
    return Response.json({ total }, { status: url.pathname === "/missing" ? 404 : 200 });
  },
};

it("captures an instrumented Worker's logs, spans and metrics", async () => {
  const t = createTestTelemetry({ registry: createRegistry() });
  const worker = instrument(handler, {
    serviceName: "orders",
    logging: { level: "debug" },
    exporters: t.exporters,
  });

  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request("https://shop.example/orders/7"), env, ctx);
  expect(await res.json()).toEqual({ total: 42 });
  await waitOnExecutionContext(ctx);

  const traceId = res.headers.get("traceparent")?.split("-")[1];
  expect(t).toHaveLogged("info", "START", {
    type: "meta",
    resource: "/orders",
    method: "GET",
    status: "200",
  });
  expect(t).toHaveLogged("info", "order requested", { path: "/orders/7" });
  expect(t).toHaveLogged("debug", "pricing");
  expect(t.logs().every((l) => l.traceId === traceId)).toBe(true);
  expect(t).toHaveTraceTree(["GET /orders", ["price order"]]);
  expect(t).toHaveSpan("GET /orders", { "http.response.status_code": 200 });
  expect(t).toHaveMetric(
    "worker_requests_total",
    { api: "orders", resource: "/orders", method: "GET", status: "200" },
    1,
  );
});

it("keeps each test's capture to itself", async () => {
  const t = createTestTelemetry({ registry: createRegistry() });
  const worker = instrument(handler, { serviceName: "orders", exporters: t.exporters });
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request("https://shop.example/missing"), env, ctx);
  await res.text();
  await waitOnExecutionContext(ctx);
  expect(t).toHaveLogged("info", "START", { status: "404" });
  expect(t.logs().filter((l) => l.msg === "START")).toHaveLength(1);
  expect(t).not.toHaveLogged("debug", "pricing");
  expect(t.spans()).toHaveLength(2);
  expect(t).toHaveMetric("worker_requests_total", { status: "404" }, 1);
  expect(t).not.toHaveMetric("worker_requests_total", { status: "200" });
});

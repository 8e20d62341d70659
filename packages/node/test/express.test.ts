import { createServer } from "node:http";
import { log } from "@groundwork/core";
import { checkMetrics, useOtlpReceiver } from "@groundwork/test-harness";
import express from "express";
import { describe, expect, it } from "vitest";
import { instrumentServer } from "../src/index";
import { find, REMOTE_SPAN, REMOTE_TRACE, send, sleep, until } from "./http-fixture";
import { useTestServers } from "./test-servers";

// A real Express 5 app on a real socket, instrumented from outside with
// instrumentServer(): same span, log and metric shape as serve().

const receiver = useOtlpReceiver();

const servers = useTestServers(receiver);

const expressRoute = (req: import("node:http").IncomingMessage): string | undefined => {
  const r = req as express.Request;
  return r.route === undefined ? undefined : `${r.baseUrl ?? ""}${String(r.route.path)}`;
};

function orderApp() {
  const app = express();
  app.use(express.json());
  const orders = express.Router();
  orders.get("/:id", async (req, res) => {
    await sleep(Math.random() * 10);
    log.info("order read", { id: req.params.id });
    res.json({ id: req.params.id });
  });
  orders.post("/", async (req, res) => {
    await sleep(Math.random() * 10);
    log.info("order created", { item: (req.body as { item: string }).item });
    res.status(201).json(req.body);
  });
  app.use("/orders", orders);
  app.get("/fail", (_req, _res, next) => {
    next(new Error("express failure"));
  });
  return app;
}

describe("instrumentServer with Express", () => {
  it("gives every request a SERVER span named by the Express route, continued from traceparent", async () => {
    const t = servers.setup();
    const url = await servers.listen(
      instrumentServer(createServer(orderApp()), {
        telemetry: t.telemetry,
        metrics: t.registry,
        route: expressRoute,
      }),
    );
    const res = await send(`${url}/orders/17`, {
      headers: { traceparent: `00-${REMOTE_TRACE}-${REMOTE_SPAN}-01`, "user-agent": "curl/8" },
    });
    expect(res.status).toBe(200);
    const spans = await t.spans();
    const s = find(spans, "GET /orders/:id");
    expect(s.kind).toBe("SPAN_KIND_SERVER");
    expect(s.traceId).toBe(REMOTE_TRACE);
    expect(s.parentSpanId).toBe(REMOTE_SPAN);
    expect(res.headers.traceparent).toBe(`00-${REMOTE_TRACE}-${s.spanId}-01`);
    expect(s.attributes).toMatchObject({
      "http.request.method": "GET",
      "url.path": "/orders/17",
      "url.scheme": "http",
      "http.route": "/orders/:id",
      "http.response.status_code": 200,
      "server.address": "127.0.0.1",
      "client.address": "127.0.0.1",
      "user_agent.original": "curl/8",
      "network.protocol.version": "1.1",
    });
    const read = t.logs().find((r) => r.msg === "order read");
    expect(read?.traceId).toBe(REMOTE_TRACE);
    expect(read?.spanId).toBe(s.spanId);
    await until(() => t.accessLogs().length === 1);
    expect(t.accessLogs()[0]?.fields).toMatchObject({
      method: "GET",
      route: "/orders/:id",
      path: "/orders/17",
      status: 200,
      client_address: "127.0.0.1",
    });
  });

  it("keeps context through Express's body parser under concurrent requests", async () => {
    const t = servers.setup();
    const url = await servers.listen(
      instrumentServer(createServer(orderApp()), {
        telemetry: t.telemetry,
        metrics: t.registry,
        route: expressRoute,
      }),
    );
    const items = Array.from({ length: 25 }, (_, i) => `item-${i}`);
    const answers = await Promise.all(
      items.map((item) =>
        send(`${url}/orders`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ item }),
        }),
      ),
    );
    expect(answers.every((a) => a.status === 201)).toBe(true);
    await until(() => t.accessLogs().length === 25);
    const spans = await t.spans();
    expect(spans.filter((s) => s.name === "POST /orders/")).toHaveLength(25);
    const spanById = new Map(spans.map((s) => [s.spanId, s]));
    const created = t.logs().filter((r) => r.msg === "order created");
    expect(created).toHaveLength(25);
    for (const r of created) {
      // The log line was written in the handler Express called from the
      // request body's "end" event: it belongs to that request's span.
      const s = spanById.get(String(r.spanId));
      expect(s?.name).toBe("POST /orders/");
      const access = t.accessLogs().find((a) => a.spanId === r.spanId);
      expect(access?.fields.status).toBe(201);
    }
    expect(new Set(created.map((r) => r.traceId)).size).toBe(25);
  });

  it("marks Express's own 500 as an error and counts it with the same metric shape as serve()", async () => {
    const t = servers.setup();
    const url = await servers.listen(
      instrumentServer(createServer(orderApp()), {
        telemetry: t.telemetry,
        metrics: t.registry,
        route: expressRoute,
      }),
    );
    // Express logs the error itself on stderr in development; keep it quiet.
    const quiet = process.env.NODE_ENV;
    process.env.NODE_ENV = "test";
    try {
      expect((await send(`${url}/fail`)).status).toBe(500);
    } finally {
      process.env.NODE_ENV = quiet;
    }
    await send(`${url}/orders/1`);
    await send(`${url}/nowhere/at/all`);
    await until(() => t.accessLogs().length === 3);
    const spans = await t.spans();
    const failed = find(spans, "GET /fail");
    expect(failed.status.code).toBe("STATUS_CODE_ERROR");
    expect(failed.attributes["error.type"]).toBe("500");

    const text = t.registry.collect();
    expect(text).toContain('http_server_requests_total{method="GET",route="/fail",status="500"} 1');
    expect(text).toContain(
      'http_server_requests_total{method="GET",route="/orders/:id",status="200"} 1',
    );
    expect(text).toContain(
      'http_server_requests_total{method="GET",route="unmatched",status="404"} 1',
    );
    expect((await checkMetrics(text)).problems).toEqual([]);

    // The same request through serve() yields the same families and labels.
    const { server: served, t: other } = await servers.serve(() => Response.json({ id: "1" }), {
      routes: ["/orders/:id"],
    });
    await send(`${served.url}/orders/1`);
    await served.close();
    const families = (s: string) =>
      s
        .split("\n")
        .filter((l) => l.startsWith("# TYPE http_"))
        .sort();
    expect(families(other.registry.collect())).toEqual(families(text));
    expect(other.registry.collect()).toContain(
      'http_server_requests_total{method="GET",route="/orders/:id",status="200"} 1',
    );
  });
});

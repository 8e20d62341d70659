import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  checkMetrics,
  freePort,
  type OtlpReceiver,
  startOtlpReceiver,
} from "@groundwork/test-support";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningService, startService } from "../src/service";
import { Settings } from "../src/settings";

const exampleDir = join(import.meta.dirname, "..");
const OPTIONS = { serviceName: "orders-service", serviceVersion: "1.2.3" } as const;

const randomHex = (bytes: number) =>
  Buffer.from(crypto.getRandomValues(new Uint8Array(bytes))).toString("hex");

function settingsFor(receiver: OtlpReceiver, logFile: string, scheduledDelayMs = 50) {
  return Settings.parse({
    http: { addr: "127.0.0.1:0" },
    rate_limit: { rate: "1/min", burst: 3 },
    telemetry: {
      logging: { output: { file: logFile }, format: "json" },
      tracing: {
        exporter: { endpoint: receiver.endpoint("traces"), scheduled_delay: scheduledDelayMs },
      },
      server: { addr: "127.0.0.1:0" },
    },
  });
}

const postOrder = (url: string, body: string, headers: Record<string, string> = {}) =>
  fetch(`${url}/orders`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body,
  });

async function readLogLines(service: RunningService, file: string) {
  await service.telemetry.forceFlush();
  const text = await readFile(file, "utf8");
  return text
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe("orders service", () => {
  let receiver: OtlpReceiver;
  let dir: string;
  let logFile: string;
  let service: RunningService;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    dir = await mkdtemp(join(tmpdir(), "orders-service-"));
    logFile = join(dir, "service.log");
    service = await startService(settingsFor(receiver, logFile), OPTIONS);
  });

  afterAll(async () => {
    await service?.close();
    await receiver?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it("continues the caller's trace and exports the SERVER span with HTTP attributes and log events", async () => {
    const traceId = randomHex(16);
    const callerSpanId = randomHex(8);
    const res = await postOrder(service.url, JSON.stringify({ item: "widget", quantity: 2 }), {
      traceparent: `00-${traceId}-${callerSpanId}-01`,
      "x-client-id": "trace-test",
      "user-agent": "orders-test/1.0",
    });
    expect(res.status).toBe(201);
    const order = (await res.json()) as { id: string; item: string; quantity: number };
    expect(order).toMatchObject({ item: "widget", quantity: 2 });

    const traceparent = res.headers.get("traceparent") ?? "";
    const [, responseTraceId, serverSpanId, flags] = traceparent.split("-");
    expect(responseTraceId).toBe(traceId);
    expect(serverSpanId).toMatch(/^[0-9a-f]{16}$/);
    expect(serverSpanId).not.toBe(callerSpanId);
    expect(flags).toBe("01");

    let span = receiver.traces().find((s) => s.traceId === traceId);
    for (let i = 0; span === undefined && i < 100; i++) {
      await new Promise((r) => setTimeout(r, 50));
      span = receiver.traces().find((s) => s.traceId === traceId);
    }
    expect(span).toBeDefined();
    if (span === undefined) return;
    expect(span.name).toBe("HTTP POST /orders");
    expect(span.kind).toBe("SPAN_KIND_SERVER");
    expect(span.parentSpanId).toBe(callerSpanId);
    expect(span.spanId).toBe(serverSpanId);
    expect(span.resource).toMatchObject({
      "service.name": "orders-service",
      "service.version": "1.2.3",
    });
    expect(span.attributes).toMatchObject({
      "http.request.method": "POST",
      "http.route": "/orders",
      "http.response.status_code": 201,
      "url.path": "/orders",
      "url.scheme": "http",
      "server.address": "127.0.0.1",
      "client.address": "127.0.0.1",
      "user_agent.original": "orders-test/1.0",
    });
    expect(span.status.code).toBe("STATUS_CODE_UNSET");
    const events = span.events.map((e) => e.name);
    expect(events).toEqual(["order created", "request served"]);
    expect(span.events[0]?.attributes).toMatchObject({ order_id: order.id, quantity: 2 });
    expect(span.events[1]?.attributes).toMatchObject({
      "log.severity": "info",
      request_id: res.headers.get("x-request-id"),
      status: 201,
      route: "/orders",
    });

    // The access log line: one per request, in the request's forked log.
    const requestId = res.headers.get("x-request-id");
    const lines = await readLogLines(service, logFile);
    const access = lines.filter((l) => l.msg === "request served" && l.trace_id === traceId);
    expect(access).toHaveLength(1);
    expect(access[0]).toMatchObject({
      level: "info",
      request_id: requestId,
      method: "POST",
      route: "/orders",
      status: 201,
      span_id: serverSpanId,
      service: "orders-service",
    });
    expect(access[0]?.duration_ms).toEqual(expect.any(Number));
    // request_id belongs to this request's log only.
    const other = lines.filter((l) => l.request_id === requestId);
    expect(other.every((l) => l.trace_id === traceId)).toBe(true);

    const fetched = await fetch(`${service.url}/orders/${order.id}`);
    expect(fetched.status).toBe(200);
    expect(await fetched.json()).toEqual(order);
  });

  it("starts a new trace when the request carries no traceparent", async () => {
    const res = await fetch(`${service.url}/nowhere`);
    expect(res.status).toBe(404);
    const traceId = (res.headers.get("traceparent") ?? "").split("-")[1];
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    const spans = await receiver.waitForSpans(receiver.traces().length + 1);
    const span = spans.find((s) => s.traceId === traceId);
    expect(span?.parentSpanId).toBeUndefined();
    expect(span?.name).toBe("HTTP GET");
    expect(span?.attributes).not.toHaveProperty("http.route");
  });

  it("serves /metrics that promtool accepts, with RED metrics and log volume", async () => {
    await fetch(`${service.url}/orders/unknown-id`);
    const res = await fetch(`${service.telemetryUrl}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();

    const verdict = await checkMetrics(text);
    expect(verdict.problems).toEqual([]);
    expect(verdict.ok).toBe(true);

    expect(text).toContain("# TYPE orders_service_http_requests_total counter");
    expect(text).toMatch(
      /^orders_service_http_requests_total\{method="GET",route="\/orders\/:id",status="404"\} [1-9]/m,
    );
    expect(text).toMatch(
      /^orders_service_http_latency_seconds_count\{route="\/orders\/:id"\} [1-9]/m,
    );
    expect(text).toMatch(/^orders_service_log_events_total\{level="info"\} [1-9]/m);
    expect(text).toMatch(/^orders_service_log_events_dropped_total\{level="warn"\} \d+/m);
    expect(text).toMatch(/^orders_service_trace_spans_exported_total [1-9]/m);
    expect(text).toContain('orders_service_build_info{version="1.2.3"} 1');

    const om = await fetch(`${service.telemetryUrl}/metrics`, {
      headers: { accept: "application/openmetrics-text; version=1.0.0" },
    });
    expect(om.headers.get("content-type")).toMatch(/^application\/openmetrics-text/);
    expect(await om.text()).toMatch(/# EOF\n$/);

    const health = await fetch(`${service.telemetryUrl}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "ok" });
  });

  it("answers 429 with Retry-After once a client is past its burst", async () => {
    const client = { "x-client-id": "burst-test" };
    const body = JSON.stringify({ item: "bolt", quantity: 1 });
    for (let i = 0; i < 3; i++) {
      const ok = await postOrder(service.url, body, client);
      expect(ok.status).toBe(201);
    }
    const limited = await postOrder(service.url, body, client);
    expect(limited.status).toBe(429);
    const retryAfter = Number(limited.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(limited.headers.get("ratelimit-policy")).toBe('"orders";q=1;w=60');
    expect(limited.headers.get("traceparent")).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-03$/);
    expect(await limited.json()).toMatchObject({ error: "too many requests" });

    // Another client has its own budget.
    const other = await postOrder(service.url, body, { "x-client-id": "someone-else" });
    expect(other.status).toBe(201);

    const text = await (await fetch(`${service.telemetryUrl}/metrics`)).text();
    expect(text).toMatch(
      /^orders_service_http_requests_total\{method="POST",route="\/orders",status="429"\} 1$/m,
    );
  });

  it("answers 400 to malformed JSON and invalid orders, and keeps serving", async () => {
    const client = { "x-client-id": "bad-input" };
    const malformed = await postOrder(service.url, '{"item": "widget", quantity', client);
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toEqual({ error: "malformed JSON body" });

    const invalid = await postOrder(service.url, JSON.stringify({ item: "", quantity: 0 }), client);
    expect(invalid.status).toBe(400);
    const invalidBody = (await invalid.json()) as { error: string; detail: string[] };
    expect(invalidBody.error).toBe("invalid order");
    expect(invalidBody.detail).toHaveLength(2);

    const wrongType = await fetch(`${service.url}/orders`, {
      method: "POST",
      headers: { "content-type": "text/plain", ...client },
      body: "widget",
    });
    expect(wrongType.status).toBe(415);

    const tooLarge = await postOrder(
      service.url,
      JSON.stringify({ item: "x".repeat(100_000), quantity: 1 }),
      { "x-client-id": "big-body" },
    );
    expect(tooLarge.status).toBe(413);

    const badEscape = await fetch(`${service.url}/orders/%E0%A4%A`);
    expect(badEscape.status).toBe(404);
    const wrongMethod = await fetch(`${service.url}/orders`, { method: "DELETE" });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get("allow")).toBe("POST");
    expect(wrongMethod.headers.get("traceparent")).not.toBeNull();
    const lines = await readLogLines(service, logFile);
    expect(lines.some((l) => l.msg === "malformed JSON body" && l.level === "warn")).toBe(true);
    expect(
      lines.some((l) => l.msg === "request served" && l.status === 400 && l.route === "/orders"),
    ).toBe(true);
  });
  it("finishes a request whose client disconnects in the middle of the body", async () => {
    const traceId = randomHex(16);
    const { port } = new URL(service.url);
    const socket = connect(Number(port), "127.0.0.1");
    await once(socket, "connect");
    socket.write(
      [
        "POST /orders HTTP/1.1",
        `host: 127.0.0.1:${port}`,
        "content-type: application/json",
        "content-length: 1000",
        "x-client-id: disconnect-test",
        `traceparent: 00-${traceId}-${randomHex(8)}-01`,
        "",
        '{"item": "wid',
      ].join("\r\n"),
    );
    await new Promise((r) => setTimeout(r, 100));
    socket.destroy();

    let access: Record<string, unknown> | undefined;
    for (let i = 0; access === undefined && i < 100; i++) {
      await new Promise((r) => setTimeout(r, 50));
      const lines = await readLogLines(service, logFile);
      access = lines.find((l) => l.msg === "request served" && l.trace_id === traceId);
    }
    expect(access).toMatchObject({ status: 400, route: "/orders" });
    const lines = await readLogLines(service, logFile);
    expect(lines.some((l) => l.msg === "request body unreadable" && l.trace_id === traceId)).toBe(
      true,
    );
    expect((await fetch(`${service.telemetryUrl}/health`)).status).toBe(200);
  });
});

describe("shutdown", () => {
  it("close() flushes spans that were still waiting for their batch", async () => {
    const receiver = await startOtlpReceiver();
    const dir = await mkdtemp(join(tmpdir(), "orders-service-"));
    try {
      const service = await startService(
        settingsFor(receiver, join(dir, "service.log"), 60_000),
        OPTIONS,
      );
      const traceId = randomHex(16);
      const res = await fetch(`${service.url}/orders/o-1`, {
        headers: { traceparent: `00-${traceId}-${randomHex(8)}-01` },
      });
      expect(res.status).toBe(404);
      await new Promise((r) => setTimeout(r, 300));
      expect(receiver.traces()).toEqual([]);

      await service.close();
      const spans = await receiver.waitForSpans(1, 2_000);
      expect(spans.map((s) => [s.traceId, s.name])).toEqual([[traceId, "HTTP GET /orders/:id"]]);
      await expect(fetch(`${service.url}/orders/o-1`)).rejects.toThrow();
      await service.close(); // idempotent
    } finally {
      await receiver.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("startup", () => {
  it("runs without a telemetry server when it is disabled", async () => {
    const service = await startService(
      Settings.parse({
        http: { addr: "127.0.0.1:0" },
        telemetry: { server: { enabled: false }, tracing: { enabled: false } },
      }),
      OPTIONS,
    );
    try {
      expect(service.telemetryUrl).toBeUndefined();
      expect((await fetch(`${service.url}/orders/x`)).status).toBe(404);
    } finally {
      await service.close();
    }
  });

  it("fails with ListenError when the address is taken, leaving nothing running", async () => {
    const settings = Settings.parse({
      http: { addr: "127.0.0.1:0" },
      telemetry: { tracing: { enabled: false }, server: { addr: "127.0.0.1:0" } },
    });
    const first = await startService(settings, OPTIONS);
    try {
      const taken = new URL(first.url).host;
      await expect(
        startService({ ...settings, http: { addr: taken } }, OPTIONS),
      ).rejects.toMatchObject({ code: "ERR_LISTEN" });

      // The API listens, then the telemetry server cannot: the API must be closed again.
      const apiPort = await freePort();
      const telemetryTaken = new URL(first.telemetryUrl ?? "").host;
      await expect(
        startService(
          {
            ...settings,
            http: { addr: `127.0.0.1:${apiPort}` },
            telemetry: { ...settings.telemetry, server: { enabled: true, addr: telemetryTaken } },
          },
          OPTIONS,
        ),
      ).rejects.toMatchObject({ code: "ERR_LISTEN" });
      await expect(fetch(`http://127.0.0.1:${apiPort}/orders/x`)).rejects.toThrow();
    } finally {
      await first.close();
    }
  });
});

describe("configuration and command line", () => {
  function run(args: string[], env: Record<string, string> = {}) {
    const child = spawn(
      process.execPath,
      ["--conditions=source", "--import", "tsx", "src/main.ts", ...args],
      { cwd: exampleDir, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] },
    );
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr?.on("data", (c: Buffer) => {
      stderr += c.toString();
    });
    const exited = once(child, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
    return { child, exited, out: () => stdout, err: () => stderr };
  }

  async function waitForUrl(proc: ReturnType<typeof run>): Promise<string> {
    const deadline = Date.now() + 20_000;
    while (!proc.out().includes("telemetry server on") && Date.now() < deadline) {
      if (proc.child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const url = /orders API listening on (\S+)/.exec(proc.out())?.[1];
    if (url === undefined) throw new Error(`the service did not start: ${proc.err()}`);
    return url;
  }

  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
  });

  it("config.example.yaml is what --generate prints today", async () => {
    const committed = await readFile(join(exampleDir, "config.example.yaml"), "utf8");
    expect(committed).toBe(Settings.defaultYaml());
    // It loads back to exactly the defaults.
    expect(Settings.parse(committed)).toEqual(Settings.defaults());
  });

  it("--generate prints the annotated default YAML", async () => {
    // A leading `--` is what `pnpm start -- -g` passes.
    for (const args of [["--generate"], ["--", "-g"]]) {
      const proc = run(args);
      children.push(proc.child);
      const [code] = await proc.exited;
      expect(code, proc.err()).toBe(0);
      expect(proc.out()).toBe(Settings.defaultYaml());
      expect(proc.out()).toContain(
        "# Address the orders API listens on; port 0 picks a free port.",
      );
    }
  });

  it("reports invalid settings with their source and exits 1", async () => {
    const proc = run(["-c", "config.example.yaml", "--set", "rate_limit.burst=0"]);
    children.push(proc.child);
    const [code] = await proc.exited;
    expect(code).toBe(1);
    expect(proc.err()).toContain("rate_limit.burst");
  });

  it("starts from a config file and environment, and stops gracefully on SIGTERM", async () => {
    const receiver = await startOtlpReceiver();
    try {
      const proc = run(["-c", "config.example.yaml"], {
        ORDERS_HTTP__ADDR: "127.0.0.1:0",
        ORDERS_TELEMETRY__TRACING__EXPORTER__ENDPOINT: receiver.endpoint("traces"),
      });
      children.push(proc.child);
      const url = await waitForUrl(proc);
      const traceId = randomHex(16);
      const res = await fetch(`${url}/orders/none`, {
        headers: { traceparent: `00-${traceId}-${randomHex(8)}-01` },
      });
      expect(res.status).toBe(404);

      proc.child.kill("SIGTERM");
      const [code] = await proc.exited;
      expect(code).toBe(0);
      // The span was still in its 5 s batch: the graceful stop exported it.
      expect(receiver.traces().map((s) => s.traceId)).toContain(traceId);
      expect(proc.out()).toContain("request served");
      expect(proc.out()).toContain("stopped; spans exported: 1, failed: 0");
    } finally {
      await receiver.stop();
    }
  });

  it("a second signal stops at once while the collector keeps refusing", async () => {
    const receiver = await startOtlpReceiver();
    receiver.respondWith(503);
    try {
      const proc = run(["--set", "http.addr=127.0.0.1:0"], {
        ORDERS_TELEMETRY__TRACING__EXPORTER__ENDPOINT: receiver.endpoint("traces"),
      });
      children.push(proc.child);
      const url = await waitForUrl(proc);
      expect((await fetch(`${url}/orders/none`)).status).toBe(404);
      proc.child.kill("SIGTERM");
      await receiver.waitForRequests(1, 10_000);
      const started = Date.now();
      proc.child.kill("SIGTERM");
      const [code] = await proc.exited;
      expect(code).toBe(143);
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await receiver.stop();
    }
  });
});

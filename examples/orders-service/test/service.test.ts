// The orders service, run as a child process exactly as `pnpm start -- -c …`
// runs it, against real components: the protobuf-decoding OTLP receiver,
// promtool and a real Prometheus.
import type { ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  checkMetrics,
  killCapturedProcesses,
  type OtlpReceiver,
  spawnCaptured,
  startOtlpReceiver,
  startPrometheus,
} from "@groundwork/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const exampleDir = join(import.meta.dirname, "..");
const MAIN = join(exampleDir, "src", "main.ts");

const randomHex = (bytes: number) =>
  Buffer.from(crypto.getRandomValues(new Uint8Array(bytes))).toString("hex");

interface Service {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Every stdout line, parsed; throws on a line that is not JSON. */
  lines(): Record<string, unknown>[];
  exited: Promise<[number | null, NodeJS.Signals | null]>;
  api: string;
  endpoints: Record<string, string>;
  telemetry: string;
}

const spawnService = (args: string[], env: Record<string, string> = {}) =>
  spawnCaptured(["--conditions=source", "--import", "tsx", MAIN, ...args], {
    cwd: exampleDir,
    env,
  });

const parseLines = (text: string) =>
  text
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as Record<string, unknown>);

async function startService(configFile: string, extra: string[] = []): Promise<Service> {
  const started = spawnService(["-c", configFile, ...extra]);
  const deadline = Date.now() + 25_000;
  for (;;) {
    const lines = started
      .stdout()
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const api = lines.find((l) => l.msg === "orders API listening");
    const telemetry = lines.find((l) => l.msg === "telemetry server listening");
    if (api !== undefined && telemetry !== undefined) {
      const endpoints: Record<string, string> = {};
      for (const l of lines) {
        if (l.msg === "endpoint listening") endpoints[l.endpoint as string] = l.url as string;
      }
      return {
        ...started,
        lines: () => parseLines(started.stdout()),
        api: api.url as string,
        endpoints,
        telemetry: telemetry.url as string,
      };
    }
    if (started.child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`service did not start:\n${started.stdout()}\n${started.stderr()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const postOrder = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${url}/orders`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });

function configFor(receiver: OtlpReceiver): string {
  return `
http:
  addr: "127.0.0.1:0"
rate_limit:
  rate: 1/min
  burst: 3
inventory:
  url: "endpoint:inventory"
endpoints:
  inventory:
    addr: "127.0.0.1:0"
    routes:
      /stock/widget:
        response: '{"in_stock": true}'
      /stock/bolt:
        response: '{"in_stock": false}'
      /stock/broken:
        response: "this is not JSON"
      /stock/slow:
        response: '{"in_stock": true}'
        delay: 1500ms
telemetry:
  logging:
    format: json
  tracing:
    exporter:
      endpoint: "${receiver.endpoint("traces")}"
      scheduled_delay: 50ms
`;
}

describe("orders service", { timeout: 60_000 }, () => {
  let receiver: OtlpReceiver;
  let dir: string;
  let configFile: string;
  let service: Service;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    dir = await mkdtemp(join(tmpdir(), "orders-service-"));
    configFile = join(dir, "config.yaml");
    await writeFile(configFile, configFor(receiver));
    service = await startService(configFile);
  }, 60_000);

  afterAll(async () => {
    killCapturedProcesses();
    await receiver?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it("creates an order in the caller's trace, asks the inventory over traced HTTP and confirms in a forked trace", async () => {
    const traceId = randomHex(16);
    const callerSpanId = randomHex(8);
    const res = await postOrder(
      service.api,
      { item: "widget", quantity: 2 },
      { traceparent: `00-${traceId}-${callerSpanId}-01`, "x-client-id": "trace-test" },
    );
    expect(res.status).toBe(201);
    const order = (await res.json()) as { id: string; item: string };
    expect(order.item).toBe("widget");
    expect(res.headers.get("traceparent")).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));

    const spans = await receiver.waitForSpans(4, 10_000);
    const inTrace = spans.filter((s) => s.traceId === traceId);
    const server = inTrace.find((s) => s.name === "POST /orders");
    expect(server?.kind).toBe("SPAN_KIND_SERVER");
    expect(server?.parentSpanId).toBe(callerSpanId);
    expect(server?.attributes).toMatchObject({
      "http.request.method": "POST",
      "http.route": "/orders",
      "http.response.status_code": 201,
    });
    expect(server?.events.map((e) => e.name)).toContain("order created");
    const client = inTrace.find((s) => s.kind === "SPAN_KIND_CLIENT");
    expect(client?.parentSpanId).toBe(server?.spanId);
    expect(client?.attributes["url.full"]).toBe(`${service.endpoints.inventory}/stock/widget`);
    const inventory = inTrace.find((s) => s.name === "GET /stock/widget");
    expect(inventory?.kind).toBe("SPAN_KIND_SERVER");
    expect(inventory?.parentSpanId).toBe(client?.spanId);

    const deadline = Date.now() + 5000;
    let fork = receiver.traces().find((s) => s.name === "send confirmation");
    while (fork === undefined && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      fork = receiver.traces().find((s) => s.name === "send confirmation");
    }
    expect(fork?.traceId).not.toBe(traceId);
    expect(fork?.links.map((l) => l.traceId)).toContain(traceId);

    expect((await fetch(`${service.api}/orders/${order.id}`)).status).toBe(200);
  });

  it("writes only JSON lines to stdout, request lines with trace ids", async () => {
    const res = await postOrder(
      service.api,
      { item: "widget", quantity: 1 },
      { "x-client-id": "log-test" },
    );
    const traceId = (res.headers.get("traceparent") ?? "").split("-")[1];
    await new Promise((resolve) => setTimeout(resolve, 200));
    const lines = service.lines();
    const served = lines.filter((l) => l.msg === "request served" && l.trace_id === traceId);
    expect(served.map((l) => l.route)).toEqual(
      expect.arrayContaining(["/orders", "/stock/widget"]),
    );
    const access = served.find((l) => l.route === "/orders");
    expect(access).toMatchObject({ level: "info", method: "POST", status: 201, item: "widget" });
    expect(access?.span_id).toMatch(/^[0-9a-f]{16}$/);
    expect(lines.find((l) => l.msg === "order created" && l.trace_id === traceId)).toBeDefined();
  });

  it("serves the configured endpoints as configured", async () => {
    const stock = await fetch(`${service.endpoints.inventory}/stock/bolt`);
    expect(stock.status).toBe(200);
    expect(stock.headers.get("content-type")).toBe("application/json");
    expect(await stock.json()).toEqual({ in_stock: false });
    expect((await fetch(`${service.endpoints.inventory}/nope`)).status).toBe(404);
    // A file's `endpoints` map replaces the default one (the `hello` endpoint).
    expect(Object.keys(service.endpoints)).toEqual(["inventory"]);
    expect(
      (await postOrder(service.api, { item: "bolt", quantity: 1 }, { "x-client-id": "endpoints" }))
        .status,
    ).toBe(409);
  });

  it("answers 500 when a handler throws, and stays up", async () => {
    // The inventory answers something that is not JSON: the handler's parse throws.
    const res = await postOrder(
      service.api,
      { item: "broken", quantity: 1 },
      { "x-client-id": "b" },
    );
    expect(res.status).toBe(500);
    expect(service.child.exitCode).toBeNull();
    expect((await fetch(`${service.telemetry}/health`)).status).toBe(200);
    expect(
      (await postOrder(service.api, { item: "widget", quantity: 1 }, { "x-client-id": "c" }))
        .status,
    ).toBe(201);
  });

  it("answers 429 with Retry-After once a client is past its burst, 400 to bad bodies", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await postOrder(
        service.api,
        { item: "widget", quantity: 1 },
        { "x-client-id": "greedy" },
      );
      statuses.push(res.status);
      if (res.status === 429) expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
      await res.body?.cancel();
    }
    expect(statuses).toEqual([201, 201, 201, 429]);
    expect((await postOrder(service.api, "{bad", { "x-client-id": "d" })).status).toBe(400);
    expect(
      (await postOrder(service.api, { item: "", quantity: 0 }, { "x-client-id": "e" })).status,
    ).toBe(400);
  });

  it("serves /metrics that promtool accepts and a real Prometheus scrapes", async () => {
    const text = await (await fetch(`${service.telemetry}/metrics`)).text();
    expect((await checkMetrics(text)).problems).toEqual([]);
    expect(text).toMatch(
      /orders_service_http_server_requests_total\{method="POST",route="\/orders",status="201"\} [1-9]/,
    );
    expect(text).toContain('orders_service_build_info{version="0.1.0"} 1');
    expect(text).toContain("orders_service_log_events_total");
    expect(text).toContain("orders_service_process_cpu_seconds_total");

    const prometheus = await startPrometheus({ target: new URL(service.telemetry).host });
    try {
      const target = await prometheus.waitForScrape();
      expect(target.health).toBe("up");
      const samples = await prometheus.query(
        'orders_service_http_server_requests_total{route="/orders",status="201"}',
      );
      expect(Number(samples[0]?.value)).toBeGreaterThan(0);
      const heap = await prometheus.query("orders_service_nodejs_heap_size_used_bytes");
      expect(Number(heap[0]?.value)).toBeGreaterThan(0);
    } finally {
      await prometheus.stop();
    }
  });

  it("on SIGTERM finishes a slow request, exports its spans, then exits 0", async () => {
    receiver.reset();
    const slow = postOrder(service.api, { item: "slow", quantity: 1 }, { "x-client-id": "slow" });
    await new Promise((resolve) => setTimeout(resolve, 400));
    service.child.kill("SIGTERM");
    const res = await slow;
    expect(res.status).toBe(201);
    const traceId = (res.headers.get("traceparent") ?? "").split("-")[1];
    const [code] = await service.exited;
    expect(code).toBe(0);
    // Everything arrived before the process exited: nothing is waited for here.
    const names = receiver
      .traces()
      .filter((s) => s.traceId === traceId)
      .map((s) => s.name);
    expect(names).toEqual(expect.arrayContaining(["POST /orders", "GET /stock/slow"]));
    expect(receiver.traces().some((s) => s.name === "send confirmation")).toBe(true);
    const lines = service.lines();
    expect(lines.at(-1)).toMatchObject({ msg: "stopped", reason: "SIGTERM" });
  });
});

describe("command line", { timeout: 60_000 }, () => {
  it("config.example.yaml is what --generate prints today", async () => {
    const run = spawnService(["--generate"]);
    const [code] = await run.exited;
    expect(code).toBe(0);
    const committed = await readFile(join(exampleDir, "config.example.yaml"), "utf8");
    expect(run.stdout()).toBe(committed);
    expect(committed).toContain("# Static HTTP endpoints, by a name of your choice");
    expect(committed).toContain("    # Status code of the answer.\n        status_code: 200");
  });

  it("reports invalid settings with their source and exits 1", async () => {
    const dir = await mkdtemp(join(tmpdir(), "orders-bad-"));
    try {
      const file = join(dir, "bad.yaml");
      await writeFile(
        file,
        "endpoints:\n  x:\n    routes:\n      nope:\n        status_code: 999\n",
      );
      const run = spawnService(["-c", file]);
      const [code] = await run.exited;
      expect(code).toBe(1);
      expect(run.stderr()).toMatch(/endpoints\.x\.routes\.nope: .*\n\s+at .*bad\.yaml:5:9/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("pnpm start's demo prints its URLs, access logs, a trace tree and metrics, and serves until Ctrl-C", async () => {
    const run = spawnService([], { OTEL_TRACES_EXPORTER: "" });
    const deadline = Date.now() + 30_000;
    while (!run.stdout().includes("Serving until Ctrl-C.") && Date.now() < deadline) {
      if (run.child.exitCode !== null) throw new Error(run.stderr());
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const out = run.stdout();
    expect(out).toMatch(/orders API +http:\/\/127\.0\.0\.1:\d+\/orders/);
    expect(out).toMatch(/telemetry server +http:\/\/127\.0\.0\.1:\d+\/health/);
    expect(out).toMatch(/INFO +request served .*route=\/orders .*status=201/);
    expect(out).toMatch(/POST \/orders +SERVER [\d.]+ms/);
    expect(out).toMatch(/└─ GET \/stock\/widget +SERVER/);
    expect(out).toMatch(/send confirmation +INTERNAL/);
    expect(out).toMatch(
      /orders_service_http_server_requests_total\{method="POST",route="\/orders",status="201"\} 1/,
    );
    // The console exporter printed spans too.
    expect(out).toMatch(/^POST \/orders [\d.]+ms \w+ trace=[0-9a-f]{32}/m);
    const api = /orders API +(http:\/\/\S+)\/orders/.exec(out)?.[1];
    expect((await fetch(`${api}/orders/nope`)).status).toBe(404);
    run.child.kill("SIGINT");
    const [code] = await run.exited;
    expect(code).toBe(0);
  });
});

import { createTelemetry, memorySink, span, type Telemetry } from "@groundwork/core";
import { createRegistry, createTelemetryCollector } from "@groundwork/metrics";
import { checkMetrics } from "@groundwork/test-harness";
import { afterEach, describe, expect, it } from "vitest";
import { createProcessMetrics } from "../src/process-metrics/index";
import {
  createTraceBuffer,
  serveTelemetry,
  type TelemetryServer,
  type TraceJson,
} from "../src/telemetry-server/index";

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function start(options: Parameters<typeof serveTelemetry>[0] = {}): Promise<TelemetryServer> {
  const server = await serveTelemetry({
    log: createTelemetry({ serviceName: "t", logging: { sink: memorySink() } }).log,
    ...options,
  });
  cleanup.push(() => server.close());
  return server;
}

function telemetryWith(sink = memorySink()) {
  const buffer = createTraceBuffer({ maxTraces: 3 });
  const telemetry = createTelemetry({
    serviceName: "svc",
    logging: { sink },
    tracing: { spanProcessors: [buffer.processor] },
  });
  cleanup.push(() => telemetry.shutdown());
  return { telemetry, buffer, sink };
}

describe("serveTelemetry", { timeout: 30_000 }, () => {
  it("listens on 127.0.0.1 with a free port by default and logs its address", async () => {
    const sink = memorySink();
    const { telemetry } = telemetryWith(sink);
    const server = await serveTelemetry({ log: telemetry.log });
    cleanup.push(() => server.close());
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.port).toBeGreaterThan(0);
    const record = sink.records().find((r) => r.msg === "telemetry server listening");
    expect(record?.fields.url).toBe(server.url);
  });

  it("answers /health with every check's outcome, 503 when one fails or times out", async () => {
    const server = await start({
      healthCheckTimeoutMs: 100,
      healthChecks: { db: () => true, cache: async () => undefined },
    });
    let response = await fetch(`${server.url}/health`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      status: string;
      checks: Record<string, { status: string }>;
    };
    expect(body.status).toBe("ok");
    expect(body.checks.db?.status).toBe("ok");
    expect(body.checks.cache?.status).toBe("ok");

    let aborted = false;
    const removeSlow = server.addHealthCheck(
      "slow",
      (signal) =>
        new Promise((resolve) => {
          signal.addEventListener("abort", () => {
            aborted = true;
          });
          setTimeout(resolve, 5000).unref();
        }),
    );
    server.addHealthCheck("broken", () => {
      throw new Error("connection refused");
    });
    server.addHealthCheck("down", () => false);
    const started = performance.now();
    response = await fetch(`${server.url}/health`);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(response.status).toBe(503);
    const failed = (await response.json()) as {
      status: string;
      checks: Record<string, { status: string; error?: string }>;
    };
    expect(failed.status).toBe("fail");
    expect(failed.checks.slow).toMatchObject({ status: "fail", error: "timed out after 100 ms" });
    expect(failed.checks.broken).toMatchObject({ status: "fail", error: "connection refused" });
    expect(failed.checks.down).toMatchObject({ status: "fail" });
    expect(failed.checks.db?.status).toBe("ok");
    expect(aborted).toBe(true);
    removeSlow();
  });

  it("serves /metrics in the negotiated format with the SDK's and the process's metrics, valid for promtool", async () => {
    const { telemetry } = telemetryWith();
    telemetry.log.warn("something");
    const registry = createRegistry({ serviceName: "svc" });
    registry.registerCollector(createTelemetryCollector(telemetry));
    const processMetrics = createProcessMetrics();
    cleanup.push(() => processMetrics.stop());
    registry.registerCollector(processMetrics.collector);
    const server = await start({ registry });

    const prometheus = await fetch(`${server.url}/metrics`);
    expect(prometheus.headers.get("content-type")).toContain("text/plain; version=0.0.4");
    const text = await prometheus.text();
    expect(text).toContain('svc_log_events_total{level="warn"} 1');
    expect(text).toContain("svc_process_resident_memory_bytes ");
    expect((await checkMetrics(text)).problems).toEqual([]);

    const openMetrics = await fetch(`${server.url}/metrics`, {
      headers: { accept: "application/openmetrics-text; version=1.0.0" },
    });
    expect(openMetrics.headers.get("content-type")).toContain("application/openmetrics-text");
    expect(await openMetrics.text()).toMatch(/# EOF\n$/);
  });

  it("shows recent sampled traces as trees on /debug/traces, bounded by the ring", async () => {
    const { telemetry, buffer } = telemetryWith();
    const server = await start({ traces: buffer });
    for (const name of ["a", "b", "c", "d"]) {
      await telemetry.run(() =>
        span(`job ${name}`, async () => {
          await span("step 1", () => undefined);
          await span("step 2", () => span("inner", () => undefined));
        }),
      );
    }
    const response = await fetch(`${server.url}/debug/traces`);
    expect(response.status).toBe(200);
    const { traces } = (await response.json()) as { traces: TraceJson[] };
    expect(traces.map((t) => t.name)).toEqual(["job d", "job c", "job b"]);
    const [latest] = traces;
    expect(latest?.span_count).toBe(4);
    expect(latest?.spans).toHaveLength(1);
    const root = latest?.spans[0];
    expect(root?.children.map((c) => c.name)).toEqual(["step 1", "step 2"]);
    expect(root?.children[1]?.children.map((c) => c.name)).toEqual(["inner"]);
    expect(root?.children[0]?.parent_span_id).toBe(root?.span_id);

    const limited = (await (await fetch(`${server.url}/debug/traces?limit=1`)).json()) as {
      traces: TraceJson[];
    };
    expect(limited.traces).toHaveLength(1);
  });

  it("takes a CPU profile of bounded length, one at a time", async () => {
    const server = await start({ maxProfileSeconds: 5 });
    const tooLong = await fetch(`${server.url}/debug/cpu?seconds=6`);
    expect(tooLong.status).toBe(400);

    // Two profiles asked for at once: one runs, the other is refused while it does,
    // whichever the server happened to read first.
    const asked = [0, 1].map(() => fetch(`${server.url}/debug/cpu?seconds=2`));
    const never = new Promise<never>(() => {});
    const refused = await Promise.race([
      ...asked.map((pending, index) => pending.then((r) => (r.status === 409 ? index : never))),
      Promise.all(asked).then(() => -1), // both answered and none refused: a failure
    ]);
    expect(refused).not.toBe(-1);
    const heapWhileBusy = await fetch(`${server.url}/debug/heap`);
    expect(heapWhileBusy.status).toBe(409);

    const response = await (asked[1 - refused] as Promise<Response>);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-disposition")).toMatch(/\.cpuprofile"$/);
    const profile = (await response.json()) as {
      nodes: unknown[];
      startTime: number;
      endTime: number;
    };
    expect(profile.nodes.length).toBeGreaterThan(0);
    expect(profile.endTime - profile.startTime).toBeGreaterThanOrEqual(1_900_000);

    const again = await fetch(`${server.url}/debug/cpu?seconds=0.05`);
    expect(again.status).toBe(200);
  });

  // A snapshot of the test worker's whole heap: seconds when idle, much longer on a loaded machine.
  it("streams a V8 heap snapshot", { timeout: 120_000 }, async () => {
    const server = await start();
    const response = await fetch(`${server.url}/debug/heap`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-disposition")).toMatch(/\.heapsnapshot"$/);
    const snapshot = (await response.json()) as {
      snapshot: { node_count: number };
      strings: string[];
    };
    expect(snapshot.snapshot.node_count).toBeGreaterThan(1000);
    expect(snapshot.strings.length).toBeGreaterThan(0);
    // The busy flag is released once the stream is done.
    const next = await fetch(`${server.url}/debug/cpu?seconds=0.05`);
    expect(next.status).toBe(200);
  });

  it("turns the debug routes off, serves custom routes and refuses other methods", async () => {
    const { buffer } = telemetryWith();
    const server = await start({
      debugRoutes: false,
      traces: buffer,
      routes: { "/debug/config": () => Response.json({ answer: 42 }) },
    });
    for (const path of ["/debug/traces", "/debug/heap", "/debug/cpu?seconds=1", "/nope"]) {
      expect((await fetch(`${server.url}${path}`)).status, path).toBe(404);
    }
    expect(await (await fetch(`${server.url}/debug/config`)).json()).toEqual({ answer: 42 });
    const remove = server.addRoute("/echo", async (request) => new Response(await request.text()));
    expect(await (await fetch(`${server.url}/echo`, { method: "POST", body: "hi" })).text()).toBe(
      "hi",
    );
    remove();
    expect((await fetch(`${server.url}/echo`)).status).toBe(404);
    expect((await fetch(`${server.url}/health`, { method: "POST" })).status).toBe(405);
  });

  it("turns a throwing custom route into a 500 and keeps serving", async () => {
    const sink = memorySink();
    const { telemetry } = telemetryWith(sink);
    const server = await start({
      log: telemetry.log,
      routes: {
        "/boom": () => {
          throw new Error("boom");
        },
      },
    });
    expect((await fetch(`${server.url}/boom`)).status).toBe(500);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    expect(sink.records().some((r) => r.msg === "telemetry server route failed")).toBe(true);
  });

  it("refuses a bad address and reports one it cannot listen on", async () => {
    await expect(serveTelemetry({ addr: "nope" })).rejects.toMatchObject({
      code: "ERR_INVALID_OPTION",
    });
    const server = await start();
    await expect(
      serveTelemetry({ addr: `127.0.0.1:${server.port}`, log: telemetryWith().telemetry.log }),
    ).rejects.toMatchObject({ code: "ERR_LISTEN" });
  });
});

describe("createTraceBuffer", () => {
  it("keeps at most maxSpansPerTrace spans of a trace and counts the rest", async () => {
    const buffer = createTraceBuffer({ maxSpansPerTrace: 2 });
    const telemetry: Telemetry = createTelemetry({
      serviceName: "svc",
      logging: { sink: memorySink() },
      tracing: { spanProcessors: [buffer.processor] },
    });
    cleanup.push(() => telemetry.shutdown());
    await telemetry.run(() =>
      span("root", async () => {
        for (let i = 0; i < 5; i++) await span(`child ${i}`, () => undefined);
      }),
    );
    const [trace] = buffer.traces();
    expect(trace?.span_count).toBe(2);
    expect(trace?.dropped_spans).toBe(4);
    expect(() => createTraceBuffer({ maxTraces: 0 })).toThrow(/maxTraces/);
  });

  it("forgets the oldest traces when the spans kept in all exceed maxSpans", async () => {
    const buffer = createTraceBuffer({ maxSpans: 5 });
    const telemetry = createTelemetry({
      serviceName: "svc",
      logging: { sink: memorySink() },
      tracing: { spanProcessors: [buffer.processor] },
    });
    cleanup.push(() => telemetry.shutdown());
    for (const name of ["a", "b", "c"]) {
      await telemetry.run(() => span(name, () => span(`${name} child`, () => undefined)));
    }
    // Three traces of two spans: the oldest goes so that four spans remain.
    expect(buffer.traces().map((t) => t.name)).toEqual(["c", "b"]);
    buffer.clear();
    expect(buffer.traces()).toEqual([]);
  });
});

// Runs in Node and in workerd: the OTLP encoding path must work in both.
import type { ExportOutcome, OtlpHttpSender } from "@groundwork/core/otlp";
import { afterEach, describe, expect, it, vi } from "vitest";
import { defineMetrics } from "./define";
import { MetricsError } from "./errors";
import { createOtlpMetricsPusher, jsonMetricsEncoding } from "./otlp";
import { jsonMetricsEncoding as jsonEncodingAlone } from "./otlp-json";
import { createOtlpMetricsPusherFor } from "./otlp-push";
import { createRegistry } from "./registry";
import { counter, histogram } from "./spec";

/** Keeps the bodies it is given; answers like an endpoint that accepts everything. */
function capturingSender(): OtlpHttpSender & { bodies: (Uint8Array | string)[] } {
  const bodies: (Uint8Array | string)[] = [];
  return {
    bodies,
    send: async (body): Promise<ExportOutcome> => {
      bodies.push(body);
      return { ok: true, attempts: 1 };
    },
    shutdown: async () => {},
    stopRetrying: () => {},
  };
}

describe("OTLP encoding", () => {
  it("encodes sums and histograms as OTLP JSON", async () => {
    const registry = createRegistry({ serviceName: "edge", runtimeInfo: false });
    const m = defineMetrics(
      "worker",
      {
        requests: counter({ help: "Requests", labels: ["colo"] }),
        cpu: histogram({ help: "CPU time", unit: "seconds", buckets: [0.001, 0.01] }),
      },
      { registry },
    );
    m.requests({ colo: "AMS" }).inc(2);
    m.cpu.observe(0.004);
    const sender = capturingSender();
    const pusher = createOtlpMetricsPusher({
      registry,
      sender,
      protocol: "http/json",
      intervalMs: 0,
    });
    expect((await pusher.flush()).ok).toBe(true);
    const body = sender.bodies[0];
    const text = typeof body === "string" ? body : new TextDecoder().decode(body);
    const json = JSON.parse(text) as {
      resourceMetrics: {
        resource: { attributes: { key: string; value: { stringValue?: string } }[] };
        scopeMetrics: { metrics: Record<string, unknown>[] }[];
      }[];
    };
    const rm = json.resourceMetrics[0];
    expect(rm?.resource.attributes.find((a) => a.key === "service.name")?.value.stringValue).toBe(
      "edge",
    );
    const metrics = rm?.scopeMetrics[0]?.metrics ?? [];
    expect(metrics.map((x) => x.name)).toEqual(["worker_requests", "worker_cpu_seconds"]);
    expect(metrics[0]).toMatchObject({
      sum: { isMonotonic: true, aggregationTemporality: 2, dataPoints: [{ asDouble: 2 }] },
    });
    expect(metrics[1]).toMatchObject({
      unit: "s",
      histogram: {
        dataPoints: [{ count: 1, explicitBounds: [0.001, 0.01], bucketCounts: [0, 1, 0] }],
      },
    });
    await pusher.shutdown();
  });

  it("has one JSON encoding, exported by @groundwork/metrics/otlp and /otlp-json", () => {
    expect(jsonMetricsEncoding).toBe(jsonEncodingAlone);
    expect(jsonEncodingAlone.protocol).toBe("http/json");
  });

  it("encodes protobuf bytes", async () => {
    const registry = createRegistry({ runtimeInfo: false });
    defineMetrics("a", { b: counter({ help: "B" }) }, { registry }).b.inc();
    const sender = capturingSender();
    const pusher = createOtlpMetricsPusher({ registry, sender, intervalMs: 0 });
    await pusher.flush();
    expect(sender.bodies[0]).toBeInstanceOf(Uint8Array);
    expect((sender.bodies[0] as Uint8Array).length).toBeGreaterThan(20);
    await pusher.shutdown();
  });
});

describe("a push that never settles", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("is abandoned after the sender's worst case, and the next flush pushes afresh", async () => {
    const registry = createRegistry({ runtimeInfo: false });
    const m = defineMetrics("w", { requests: counter({ help: "Requests" }) }, { registry });
    let now = 1_000_000;
    vi.spyOn(Date, "now").mockImplementation(() => now);
    const bodies: (Uint8Array | string)[] = [];
    let calls = 0;
    const sender: OtlpHttpSender = {
      // The first send is an invocation cut off mid-push: its promise never settles.
      send: (body) => {
        calls++;
        if (calls === 1) return new Promise<ExportOutcome>(() => {});
        bodies.push(body);
        return Promise.resolve({ ok: true, attempts: 1 });
      },
      shutdown: async () => {},
      stopRetrying: () => {},
    };
    const pusher = createOtlpMetricsPusher({
      registry,
      sender,
      protocol: "http/json",
      temporality: "delta",
      timeoutMs: 1000,
      retry: { maxAttempts: 2, initialBackoffMs: 250, maxBackoffMs: 500, maxElapsedMs: 2000 },
      intervalMs: 0,
    });
    m.requests.inc(3);
    void pusher.flush();
    // Within the bound, later flushes still wait on the push in flight.
    now += 2000;
    const waiting = pusher.flush();
    let settled = false;
    void waiting.then(() => {
      settled = true;
    });
    await Promise.resolve();
    expect(settled).toBe(false);
    // 2 attempts × 1 s + one 0.5 s backoff, plus a second: past it, a fresh push starts.
    now += 1600;
    m.requests.inc(1);
    const fresh = pusher.flush();
    expect(calls).toBe(2);
    expect((await fresh).ok).toBe(true);
    expect(bodies).toHaveLength(1);
    const text = new TextDecoder().decode(bodies[0] as Uint8Array);
    // The abandoned push's delta was never committed: the fresh push carries all of it.
    expect(text).toContain('"asDouble":4');
    expect(pusher.stats().pushed).toBe(1);
  });

  it("rejects a non-positive abandonAfterMs", () => {
    expect(() => createOtlpMetricsPusher({ abandonAfterMs: 0, intervalMs: 0 })).toThrow(
      /abandonAfterMs/,
    );
  });
});

describe("the pusher of @groundwork/metrics/otlp-push", () => {
  it("pushes a collector's families, named as given, under unknown_service by default", async () => {
    const sender = capturingSender();
    let value = 2;
    const pusher = createOtlpMetricsPusherFor(jsonMetricsEncoding, {
      registry: () => [
        { name: "jobs_done", help: "Jobs done", type: "counter", samples: [{ labels: {}, value }] },
      ],
      sender,
      intervalMs: 0,
      temporality: "delta",
    });
    await pusher.flush();
    value = 5;
    await pusher.flush();
    const texts = sender.bodies.map((b) =>
      typeof b === "string" ? b : new TextDecoder().decode(b),
    );
    expect(texts[0]).toContain('"name":"jobs_done"');
    expect(texts[0]).toContain('"stringValue":"unknown_service"');
    expect(texts[0]).toContain('"asDouble":2');
    expect(texts[1]).toContain('"asDouble":3');
    await pusher.shutdown();
  });

  it("requires a registry or a collector", () => {
    for (const registry of [undefined, {}, null]) {
      expect(() =>
        createOtlpMetricsPusherFor(jsonMetricsEncoding, {
          registry: registry as never,
          intervalMs: 0,
        }),
      ).toThrow(MetricsError);
    }
  });
});

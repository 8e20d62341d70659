import {
  type ReceivedMetricPoint,
  startOtlpReceiver,
  useOtlpReceiver,
} from "@groundwork/test-harness";
import { describe, expect, it } from "vitest";
import {
  counter,
  createRegistry,
  defineMetrics,
  gauge,
  histogram,
  info,
  type Registry,
} from "../src/index";
import { createOtlpMetricsPusher, type OtlpMetricsPusherOptions } from "../src/otlp";

const receiver = useOtlpReceiver();

function setup(service = "shop") {
  const registry = createRegistry({ serviceName: service, runtimeInfo: false });
  const m = defineMetrics(
    "http",
    {
      requests: counter({ help: "Requests served", labels: ["method"] }),
      latency: histogram({ help: "Latency", unit: "seconds", buckets: [0.1, 1] }),
      inflight: gauge({ help: "In flight" }),
      build: info({ help: "Build", labels: ["version"] }),
    },
    { registry },
  );
  return { registry, m };
}

const point = (points: ReceivedMetricPoint[], metric: string, attrs: Record<string, string> = {}) =>
  points.find(
    (p) => p.metric === metric && Object.entries(attrs).every(([k, v]) => p.attributes[k] === v),
  );

const requestCounts = () =>
  receiver
    .metrics()
    .filter((p) => p.metric === "http_requests")
    .map((p) => p.value);

/** A pusher to the receiver that pushes only on flush unless told otherwise. */
const pusherFor = (registry: Registry, options: Partial<OtlpMetricsPusherOptions> = {}) =>
  createOtlpMetricsPusher({
    registry,
    endpoint: receiver.endpoint("metrics"),
    intervalMs: 0,
    ...options,
  });

describe.each(["http/protobuf", "http/json"] as const)("OTLP push over %s", (protocol) => {
  it("sends every type with names, units, attributes and the service resource", async () => {
    const { registry, m } = setup();
    m.requests({ method: 'GET "x"\n' }).inc(3);
    m.latency.observe(0.05);
    m.latency.observe(0.5);
    m.latency.observe(5);
    m.inflight.set(2);
    m.build.set({ version: "1.0.0" });
    const pusher = pusherFor(registry, { protocol });
    const outcome = await pusher.flush();
    expect(outcome.ok).toBe(true);
    const [request] = receiver.requests();
    expect(request?.encoding).toBe(protocol === "http/json" ? "json" : "protobuf");
    const points = receiver.metrics();

    const requests = point(points, "http_requests", { method: 'GET "x"\n' });
    expect(requests).toMatchObject({
      type: "sum",
      value: 3,
      isMonotonic: true,
      description: "Requests served",
      aggregationTemporality: "AGGREGATION_TEMPORALITY_CUMULATIVE",
    });
    expect(requests?.resource["service.name"]).toBe("shop");
    expect(requests?.scope.name).toBe("@groundwork/metrics");
    expect(requests?.startTimeUnixNano).toBeLessThanOrEqual(requests?.timeUnixNano ?? 0n);

    expect(point(points, "http_latency_seconds")).toMatchObject({
      type: "histogram",
      unit: "s",
      count: 3,
      sum: 5.55,
      explicitBounds: [0.1, 1],
      bucketCounts: [1, 1, 1],
    });
    expect(point(points, "http_inflight")).toMatchObject({ type: "gauge", value: 2 });
    expect(point(points, "http_build", { version: "1.0.0" })).toMatchObject({
      type: "gauge",
      value: 1,
    });
    await pusher.shutdown();
  });

  it("counts the data points a partial success refused, without resending them", async () => {
    const { registry, m } = setup();
    const pusher = pusherFor(registry, { protocol, temporality: "delta" });
    m.requests({ method: "GET" }).inc(2);
    receiver.respondWith([
      { status: 200, partialSuccess: { rejected: 3, errorMessage: "unit not allowed" } },
      200,
    ]);
    const outcome = await pusher.flush();
    expect(outcome.ok).toBe(true);
    expect(pusher.stats()).toEqual({ pushed: 1, failed: 0, rejectedDataPoints: 3 });
    // OTLP forbids retrying a partial success: the delta baseline moved on.
    m.requests({ method: "GET" }).inc(1);
    await pusher.flush();
    expect(requestCounts()).toEqual([2, 1]);
    expect(receiver.requests()).toHaveLength(2);
    await pusher.shutdown();
  });
});

describe("OTLP push temporality and lifecycle", () => {
  it("sends deltas since the last accepted push with delta temporality", async () => {
    const { registry, m } = setup();
    const pusher = pusherFor(registry, { temporality: "delta" });
    m.requests({ method: "GET" }).inc(5);
    m.latency.observe(0.5);
    expect((await pusher.flush()).ok).toBe(true);
    m.requests({ method: "GET" }).inc(2);
    m.latency.observe(0.05);
    m.latency.observe(0.07);
    expect((await pusher.flush()).ok).toBe(true);
    expect(receiver.requests()).toHaveLength(2);
    const sums = receiver.metrics().filter((p) => p.metric === "http_requests");
    expect(sums.map((p) => p.value)).toEqual([5, 2]);
    expect(sums.every((p) => p.aggregationTemporality === "AGGREGATION_TEMPORALITY_DELTA")).toBe(
      true,
    );
    // The second interval starts where the first ended.
    expect(sums[1]?.startTimeUnixNano).toBe(sums[0]?.timeUnixNano);
    const hist = receiver.metrics().filter((p) => p.metric === "http_latency_seconds");
    expect(hist.map((p) => [p.count, p.bucketCounts])).toEqual([
      [1, [0, 1, 0]],
      [2, [2, 0, 0]],
    ]);
    await pusher.shutdown();
  });

  it("resends a delta that the endpoint refused", async () => {
    const { registry, m } = setup();
    const pusher = pusherFor(registry, { temporality: "delta", retry: { maxAttempts: 1 } });
    m.requests({ method: "GET" }).inc(4);
    receiver.respondWith([400, 200]);
    const refused = await pusher.flush();
    expect(refused).toMatchObject({ ok: false, reason: "http_status", status: 400 });
    m.requests({ method: "GET" }).inc(1);
    expect((await pusher.flush()).ok).toBe(true);
    expect(requestCounts()).toEqual([5]);
    expect(pusher.stats()).toEqual({ pushed: 1, failed: 1, rejectedDataPoints: 0 });
    await pusher.shutdown();
  });

  it("a flush during a slow push sends what was recorded since, in a second push", async () => {
    const { registry, m } = setup();
    const pusher = pusherFor(registry);
    receiver.respondWith([{ status: 200, delayMs: 200 }, 200]);
    m.requests({ method: "GET" }).inc();
    const first = pusher.flush();
    await new Promise((r) => setTimeout(r, 50));
    m.requests({ method: "GET" }).inc();
    const second = pusher.flush();
    const third = pusher.flush();
    expect(third).toBe(second);
    expect((await first).ok && (await second).ok).toBe(true);
    expect(requestCounts()).toEqual([1, 2]);
    await pusher.shutdown();
  });

  it("pushes on its interval and once more on shutdown, then refuses flushes", async () => {
    const { registry, m } = setup();
    m.inflight.set(1);
    const pusher = pusherFor(registry, { intervalMs: 50 });
    await receiver.waitForRequests(2, 5_000);
    await pusher.shutdown();
    const count = receiver.requests().length;
    expect(count).toBeGreaterThanOrEqual(3);
    expect(await pusher.flush()).toMatchObject({ ok: false, reason: "shutdown" });
    await new Promise((r) => setTimeout(r, 150));
    expect(receiver.requests().length).toBe(count);
  });

  it("never throws when the collector is down", async () => {
    const { registry } = setup();
    const dead = await startOtlpReceiver();
    const endpoint = dead.endpoint("metrics");
    await dead.stop();
    const pusher = createOtlpMetricsPusher({
      registry,
      endpoint,
      intervalMs: 0,
      retry: { maxAttempts: 1 },
      timeoutMs: 1_000,
    });
    expect(await pusher.flush()).toMatchObject({ ok: false, reason: "network" });
    await pusher.shutdown();
  });
});

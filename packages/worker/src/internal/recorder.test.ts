// The recorder against the registry declarations it replaces: for the same recordings, its
// families must be what a registry of `defineMetrics("worker", …)` reported (and pushed).
import type { ExportOutcome, OtlpHttpSender } from "@groundwork/core/otlp";
import {
  counter,
  createRegistry,
  defineMetrics,
  histogram,
  type MetricFamilySnapshot,
  type Registry,
} from "@groundwork/metrics";
import { jsonMetricsEncoding } from "@groundwork/metrics/otlp";
import { createOtlpMetricsPusherFor } from "@groundwork/metrics/otlp-push";
import { describe, expect, it } from "vitest";
import { createRequestMetrics } from "./metrics";
import { type CutReason, createWorkerMetricsRecorder, type RequestDimensions } from "./recorder";

const LABELS = ["api", "resource", "method", "status"] as const;
const BUCKETS = [0.01, 0.1, 1];
// The registry's unscoped snapshot, as the OTLP pusher reads it.
const UNSCOPED = Symbol.for("@groundwork/metrics.unscopedSnapshot");

/** The Worker's metrics as they were declared in a registry of their own. */
function declared(registry: Registry) {
  return defineMetrics(
    "worker",
    {
      requests: counter({ help: "Invocations handled", labels: LABELS }),
      duration: histogram({
        help: "Invocation duration, until the response body is sent",
        unit: "seconds",
        labels: LABELS,
        buckets: BUCKETS,
      }),
      spans_dropped: counter({
        help: "Finished spans dropped because the isolate's buffer was full",
      }),
      spans_discarded: counter({ help: "Finished spans the tail sampler did not keep" }),
      logs_dropped: counter({
        help: "Log records dropped because the isolate's log export queue was full",
      }),
      spans_cut: counter({
        help: "Spans cut from an invocation's export by its waitUntil budget or export deadline",
        labels: ["reason"] as const,
      }),
    },
    { registry },
  );
}

type Recording =
  | ["request", RequestDimensions, number]
  | ["spansDropped" | "spansDiscarded" | "logsDropped", number]
  | ["spansCut", number, CutReason];

/** Makes the same recordings in a recorder and in a registry; returns both snapshots. */
function both(recordings: Recording[], maxSeries = 500) {
  const registry = createRegistry({
    serviceName: "orders",
    runtimeInfo: false,
    maxSeriesPerFamily: maxSeries,
  });
  const m = declared(registry);
  const recorder = createWorkerMetricsRecorder({
    maxSeries,
    durationBuckets: BUCKETS,
    selfMetrics: true,
  });
  for (const r of recordings) {
    switch (r[0]) {
      case "request":
        recorder.record(r[1], r[2]);
        m.requests(r[1]).inc();
        m.duration(r[1]).observe(r[2]);
        break;
      case "spansCut":
        recorder.spansCut(r[1], r[2]);
        m.spans_cut({ reason: r[2] }).inc(r[1]);
        break;
      default:
        recorder[r[0]](r[1]);
        m[
          r[0] === "spansDropped"
            ? "spans_dropped"
            : r[0] === "spansDiscarded"
              ? "spans_discarded"
              : "logs_dropped"
        ].inc(r[1]);
    }
  }
  const expected = (registry as unknown as Record<symbol, () => MetricFamilySnapshot[]>)[
    UNSCOPED
  ]?.();
  return { actual: withoutCreated(recorder.collect()), expected: withoutCreated(expected ?? []) };
}

/** Creation times differ by the microseconds between the two; everything else must not. */
function withoutCreated(families: MetricFamilySnapshot[]): unknown[] {
  return families.map((f) => ({
    ...f,
    samples: f.samples.map((s) => {
      const { created, ...rest } = s as { created?: number };
      expect(created === undefined).toBe(f.name.startsWith("metrics_"));
      return rest;
    }),
  }));
}

const get = (status: string, resource = "orders"): RequestDimensions => ({
  api: "shop",
  resource,
  method: "GET",
  status,
});

describe("the Worker's metrics recorder", () => {
  it("reports what the registry's declarations reported for the same recordings", () => {
    const { actual, expected } = both([
      ["request", get("200"), 0.004],
      ["request", get("200"), 0.5],
      ["request", get("404", "carts"), 0.1],
      ["request", get("500"), 12],
      ["request", { api: "a\u0000b", resource: "c", method: "GET", status: "200" }, 1],
      ["request", { api: "a", resource: "b\u0000c", method: "GET", status: "200" }, 1],
      ["spansDropped", 3],
      ["spansDiscarded", 2],
      ["logsDropped", 5],
      ["spansCut", 1, "deadline"],
      ["spansCut", 4, "unfinished"],
      ["spansCut", 2, "deadline"],
    ]);
    expect(actual).toEqual(expected);
    expect((actual as MetricFamilySnapshot[]).map((f) => f.name)).toEqual([
      "worker_requests",
      "worker_duration_seconds",
      "worker_spans_dropped",
      "worker_spans_discarded",
      "worker_logs_dropped",
      "worker_spans_cut",
    ]);
  });

  it("reports the families without labels as 0 before anything is recorded", () => {
    const { actual, expected } = both([]);
    expect(actual).toEqual(expected);
  });

  it("folds label sets past maxSeries into one overflow series, and counts them, as a registry does", () => {
    const { actual, expected } = both(
      [
        ["request", get("200", "a"), 0.1],
        ["request", get("200", "b"), 0.1],
        ["request", get("200", "c"), 0.2],
        ["request", get("200", "d"), 2],
        ["request", get("200", "a"), 0.1],
        ["request", get("__overflow__", "__overflow__"), 0.1],
        [
          "request",
          {
            api: "__overflow__",
            resource: "__overflow__",
            method: "__overflow__",
            status: "__overflow__",
          },
          0.3,
        ],
        ["spansCut", 1, "deadline"],
        ["spansCut", 1, "unfinished"],
        ["spansCut", 1, "other" as CutReason],
      ],
      2,
    );
    expect(actual).toEqual(expected);
    const requests = (actual as MetricFamilySnapshot[])[0];
    expect(requests?.samples.map((s) => s.labels.resource)).toEqual(["a", "b", "__overflow__"]);
    expect((actual as MetricFamilySnapshot[]).at(-1)?.name).toBe("metrics_series_overflow");
  });

  it("drops and counts invalid values, as a registry does", () => {
    const { actual, expected } = both([
      ["request", get("200"), Number.NaN],
      ["request", get("200"), Number.POSITIVE_INFINITY],
      ["spansDropped", -1],
      ["logsDropped", Number.NaN],
      ["spansCut", Number.POSITIVE_INFINITY, "deadline"],
    ]);
    expect(actual).toEqual(expected);
    expect((actual as MetricFamilySnapshot[]).at(-1)?.name).toBe("metrics_invalid_values");
  });

  it("never throws, whatever it is given", () => {
    const recorder = createWorkerMetricsRecorder({
      maxSeries: 10,
      durationBuckets: BUCKETS,
      selfMetrics: true,
    });
    expect(() => recorder.record(null as never, 1)).not.toThrow();
    expect(() =>
      recorder.record({ toString: null } as never as RequestDimensions, "x" as never),
    ).not.toThrow();
    expect(() => recorder.spansCut(1, { toString: null } as never)).not.toThrow();
  });
});

/** Keeps the JSON bodies it is given; answers like an endpoint that accepts everything. */
function capturingSender(): OtlpHttpSender & { bodies: string[] } {
  const bodies: string[] = [];
  return {
    bodies,
    send: async (body): Promise<ExportOutcome> => {
      bodies.push(typeof body === "string" ? body : new TextDecoder().decode(body));
      return { ok: true, attempts: 1 };
    },
    shutdown: async () => {},
    stopRetrying: () => {},
  };
}

interface Pushed {
  name: string;
  sum?: {
    aggregationTemporality: number;
    dataPoints: { asDouble: number; attributes: unknown[] }[];
  };
  histogram?: { dataPoints: { count: number; bucketCounts: number[] }[] };
}

function pushedMetrics(body: string | undefined): Pushed[] {
  const json = JSON.parse(body ?? "{}") as {
    resourceMetrics: { scopeMetrics: { metrics: Pushed[] }[] }[];
  };
  return json.resourceMetrics[0]?.scopeMetrics[0]?.metrics ?? [];
}

describe("the Worker's metrics pushes", () => {
  it("carry deltas: a second push only what was recorded since the first", async () => {
    const sender = capturingSender();
    const recorder = createWorkerMetricsRecorder({
      maxSeries: 10,
      durationBuckets: BUCKETS,
      selfMetrics: true,
    });
    const pusher = createOtlpMetricsPusherFor(jsonMetricsEncoding, {
      // The recorder alone, as the Worker pushes it.
      registry: () => recorder.collect(),
      sender,
      intervalMs: 0,
      temporality: "delta",
    });
    recorder.record(get("200"), 0.05);
    recorder.record(get("200"), 0.05);
    recorder.spansDropped(3);
    await pusher.flush();
    recorder.record(get("200"), 2);
    await pusher.flush();
    const [first, second] = sender.bodies.map(pushedMetrics);
    const value = (pushed: Pushed[] | undefined, name: string) =>
      pushed?.find((m) => m.name === name)?.sum?.dataPoints[0]?.asDouble;
    expect(value(first, "worker_requests")).toBe(2);
    expect(value(second, "worker_requests")).toBe(1);
    expect(value(first, "worker_spans_dropped")).toBe(3);
    expect(value(second, "worker_spans_dropped") ?? 0).toBe(0);
    const histogramOf = (pushed: Pushed[] | undefined) =>
      pushed?.find((m) => m.name === "worker_duration_seconds")?.histogram?.dataPoints[0];
    expect(histogramOf(first)?.bucketCounts.map(Number)).toEqual([0, 2, 0, 0]);
    expect(histogramOf(second)?.bucketCounts.map(Number)).toEqual([0, 0, 0, 1]);
    expect(first?.find((m) => m.name === "worker_requests")?.sum?.aggregationTemporality).toBe(1);
  });

  it("report the Worker's metrics in a given registry, with its service prefix, and push them once", async () => {
    const registry = createRegistry({ serviceName: "orders-api", runtimeInfo: false });
    const old = createRegistry({ serviceName: "orders-api", runtimeInfo: false });
    const m = declared(old);
    const metrics = createRequestMetrics({
      serviceName: "orders-api",
      serviceVersion: undefined,
      instanceId: "i-1",
      maxSeries: 500,
      durationBuckets: BUCKETS,
      temporality: "cumulative",
      encoding: jsonMetricsEncoding,
      registry,
      otlp: undefined,
    });
    metrics.record(get("200"), 0.2);
    metrics.spansCut(2, "deadline");
    m.requests(get("200")).inc();
    m.duration(get("200")).observe(0.2);
    m.spans_cut({ reason: "deadline" }).inc(2);
    expect(withoutCreated(registry.snapshot())).toEqual(withoutCreated(old.snapshot()));
    expect(registry.snapshot()[0]?.name).toBe("orders_api_worker_requests");
    const text = (r: Registry) =>
      r
        .collect("openmetrics")
        .split("\n")
        .filter((line) => !line.includes("_created"));
    expect(text(registry)).toEqual(text(old));

    const sender = capturingSender();
    const pusher = createOtlpMetricsPusherFor(jsonMetricsEncoding, {
      registry,
      sender,
      intervalMs: 0,
    });
    await pusher.flush();
    const names = pushedMetrics(sender.bodies[0]).map((p) => p.name);
    expect(names.filter((n) => n === "worker_requests")).toHaveLength(1);
  });
});

// Every factory of the package refuses invalid options at construction, with one error class
// and one code; nothing falls back to a default.
import { describe, expect, it } from "vitest";
import { defineMetrics } from "./define";
import { MetricsError } from "./errors";
import { createOtlpMetricsPusher } from "./otlp";
import { createPushgatewayClient } from "./pushgateway";
import { createRegistry, type Registry } from "./registry";
import { counter } from "./spec";
import { createTelemetryCollector } from "./telemetry-collector";

/** Calls `fn` and returns the MetricsError code it threw. */
function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(MetricsError);
    expect((error as MetricsError).name).toBe("MetricsError");
    return (error as MetricsError).code;
  }
  throw new Error("expected a MetricsError, nothing was thrown");
}

// Plain JavaScript callers can pass anything; the casts stand for them.
const loose = <T>(value: unknown): T => value as T;

describe("invalid options throw ERR_INVALID_OPTION at construction", () => {
  it.each<[string, () => unknown]>([
    ["serviceName empty", () => createRegistry({ serviceName: "" })],
    ["serviceName not a string", () => createRegistry({ serviceName: loose(42) })],
    ["serviceNameFormat unknown", () => createRegistry({ serviceNameFormat: loose("suffix") })],
    ["maxSeriesPerFamily 0", () => createRegistry({ maxSeriesPerFamily: 0 })],
    ["maxSeriesPerFamily fractional", () => createRegistry({ maxSeriesPerFamily: 2.5 })],
    ["reportOptional not a boolean", () => createRegistry({ reportOptional: loose("yes") })],
    ["runtimeInfo not a boolean", () => createRegistry({ runtimeInfo: loose(1) })],
    ["build value not a string", () => createRegistry({ build: loose({ version: 1 }) })],
    ["options not an object", () => createRegistry(loose("shop"))],
  ])("createRegistry: %s", (_, fn) => {
    expect(codeOf(fn)).toBe("ERR_INVALID_OPTION");
  });

  it("registry.configure refuses invalid options and keeps the configuration", () => {
    const registry = createRegistry({ serviceName: "shop", runtimeInfo: false });
    expect(codeOf(() => registry.configure({ maxSeriesPerFamily: -1 }))).toBe("ERR_INVALID_OPTION");
    expect(registry.options.maxSeriesPerFamily).toBe(1000);
    expect(registry.options.serviceName).toBe("shop");
  });

  it.each<[string, () => unknown]>([
    ["spec not an object", () => defineMetrics("a", loose<Record<string, never>>(null))],
    [
      "entry not a metric",
      () => defineMetrics("a", loose<Record<string, never>>({ b: { help: "B" } })),
    ],
    [
      "maxSeries fractional",
      () =>
        defineMetrics(
          "a",
          { b: counter({ help: "B", maxSeries: 1.5 }) },
          { registry: createRegistry() },
        ),
    ],
    [
      "registry not from createRegistry",
      () => defineMetrics("a", { b: counter({ help: "B" }) }, { registry: loose<Registry>({}) }),
    ],
  ])("defineMetrics: %s", (_, fn) => {
    expect(codeOf(fn)).toBe("ERR_INVALID_OPTION");
  });

  it("createTelemetryCollector: no stats()", () => {
    expect(codeOf(() => createTelemetryCollector(loose({})))).toBe("ERR_INVALID_OPTION");
  });

  it.each<[string, () => unknown]>([
    ["registry not from createRegistry", () => createOtlpMetricsPusher({ registry: loose({}) })],
    ["protocol unknown", () => createOtlpMetricsPusher({ protocol: loose("grpc") })],
    ["endpoint without scheme", () => createOtlpMetricsPusher({ endpoint: "localhost:4318" })],
    ["timeoutMs 0", () => createOtlpMetricsPusher({ timeoutMs: 0 })],
    ["temporality unknown", () => createOtlpMetricsPusher({ temporality: loose("sum") })],
    ["intervalMs negative", () => createOtlpMetricsPusher({ intervalMs: -1 })],
    ["intervalMs infinite", () => createOtlpMetricsPusher({ intervalMs: Infinity })],
    ["sender without send()", () => createOtlpMetricsPusher({ sender: loose({ shutdown() {} }) })],
  ])("createOtlpMetricsPusher: %s", (_, fn) => {
    expect(codeOf(fn)).toBe("ERR_INVALID_OPTION");
  });

  const gateway = { url: "http://127.0.0.1:9091", job: "nightly" };
  it.each<[string, () => unknown]>([
    ["url without scheme", () => createPushgatewayClient({ ...gateway, url: "127.0.0.1:9091" })],
    ["job empty", () => createPushgatewayClient({ ...gateway, job: "" })],
    [
      "grouping label invalid",
      () => createPushgatewayClient({ ...gateway, grouping: { "a-b": "x" } }),
    ],
    ["grouping label job", () => createPushgatewayClient({ ...gateway, grouping: { job: "x" } })],
    [
      "grouping value not a string",
      () => createPushgatewayClient({ ...gateway, grouping: loose({ a: 1 }) }),
    ],
    ["timeoutMs negative", () => createPushgatewayClient({ ...gateway, timeoutMs: -1 })],
    ["fetch not a function", () => createPushgatewayClient({ ...gateway, fetch: loose("fetch") })],
    [
      "registry without collect",
      () => createPushgatewayClient({ ...gateway, registry: loose({}) }),
    ],
  ])("createPushgatewayClient: %s", (_, fn) => {
    expect(codeOf(fn)).toBe("ERR_INVALID_OPTION");
  });

  it("accepts valid options of every factory", async () => {
    const registry = createRegistry({ serviceName: "shop", runtimeInfo: false });
    defineMetrics("a", { b: counter({ help: "B" }) }, { registry });
    const pusher = createOtlpMetricsPusher({ registry, intervalMs: 0, temporality: "delta" });
    expect(pusher.stats()).toEqual({ pushed: 0, failed: 0, rejectedDataPoints: 0 });
    const client = createPushgatewayClient({ ...gateway, registry, grouping: { instance: "a/b" } });
    expect(typeof client.push).toBe("function");
  });
});

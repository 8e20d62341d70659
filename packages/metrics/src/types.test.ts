// Compile-time checks: `tsc -p tsconfig.test.json` (the package's typecheck)
// fails if a @ts-expect-error line stops being an error or an expectTypeOf
// assertion stops holding. The runtime part makes sure the calls are real.
import { describe, expectTypeOf, it } from "vitest";
import { defineMetrics } from "./define";
import { createRegistry } from "./registry";
import { counter, gauge, histogram, info } from "./spec";
import type {
  Counter,
  CounterSeries,
  Gauge,
  Histogram,
  HistogramSeries,
  InfoFamily,
  LabelledCounter,
  LabelledGauge,
  LabelledHistogram,
} from "./types";

describe("label types", () => {
  const registry = createRegistry({ runtimeInfo: false });
  const http = defineMetrics(
    "http",
    {
      requests: counter({ help: "Requests", labels: ["method", "status"] }),
      latency: histogram({ help: "Latency", labels: ["route"] as const, buckets: [0.1, 1] }),
      inflight: gauge({ help: "In flight" }),
      queue: gauge({ help: "Queue", labels: ["name"] }),
      duration: histogram({ help: "Duration" }),
      total: counter({ help: "Total" }),
      build: info({ help: "Build", labels: ["version"] }),
    },
    { registry },
  );

  it("infers the handle type of each declaration", () => {
    expectTypeOf(http.requests).toEqualTypeOf<LabelledCounter<"method" | "status">>();
    expectTypeOf(http.latency).toEqualTypeOf<LabelledHistogram<"route">>();
    expectTypeOf(http.inflight).toEqualTypeOf<Gauge>();
    expectTypeOf(http.queue).toEqualTypeOf<LabelledGauge<"name">>();
    expectTypeOf(http.duration).toEqualTypeOf<Histogram>();
    expectTypeOf(http.total).toEqualTypeOf<Counter>();
    expectTypeOf(http.build).toEqualTypeOf<InfoFamily<"version">>();
    expectTypeOf(http.requests({ method: "GET", status: 200 })).toEqualTypeOf<CounterSeries>();
    expectTypeOf(http.latency({ route: "/" })).toEqualTypeOf<HistogramSeries>();
    expectTypeOf(http.latency.startTimer).returns.toEqualTypeOf<() => number>();
  });

  it("accepts exactly the declared labels", () => {
    http.requests({ method: "GET", status: 200 }).inc();
    http.requests.inc({ method: "GET", status: "500" }, 2);
    http.latency.observe({ route: "/" }, 0.2);
    http.inflight.inc();
    http.total.inc(3);
    http.build.set({ version: "1.0.0" });
  });

  it("rejects wrong labels at compile time", () => {
    // Never called: the lines below exist for the compiler.
    const invalid = () => {
      // @ts-expect-error a declared label is missing
      http.requests({ method: "GET" });
      // @ts-expect-error an undeclared label
      http.requests({ method: "GET", status: 200, path: "/" });
      // @ts-expect-error a misspelt label
      http.latency.observe({ rout: "/" }, 1);
      // @ts-expect-error labelled families need their labels
      http.requests.inc();
      // @ts-expect-error a family without labels takes no label set
      http.inflight.set({ x: "1" }, 1);
      // @ts-expect-error label values are strings, numbers or booleans
      http.queue.set({ name: { nested: true } }, 1);
      // @ts-expect-error counters cannot be decremented
      http.total.dec();
      // @ts-expect-error info metrics take their declared labels
      http.build.set({ commit: "abc" });
      // @ts-expect-error help is required
      counter({ labels: ["a"] });
    };
    expectTypeOf(invalid).toBeFunction();
  });
});

import { describe, expect, it } from "vitest";
import { defineMetrics } from "./define";
import { MetricsError } from "./errors";
import { createRegistry } from "./registry";
import { findSamples, flattenSamples } from "./snapshot";
import { counter, exponentialBuckets, gauge, histogram, info, linearBuckets } from "./spec";

const quiet = { runtimeInfo: false } as const;

describe("naming", () => {
  it("prefixes the service and suffixes counters with _total", () => {
    const registry = createRegistry({ serviceName: "shop", ...quiet });
    const http = defineMetrics(
      "http",
      { requests: counter({ help: "Requests served", labels: ["method"] }) },
      { registry },
    );
    http.requests({ method: "GET" }).inc();
    expect(registry.collect()).toBe(
      '# HELP shop_http_requests_total Requests served\n# TYPE shop_http_requests_total counter\nshop_http_requests_total{method="GET"} 1\n',
    );
  });

  it("puts the service in a label with service_name_format=label", () => {
    const registry = createRegistry({ serviceName: "shop", serviceNameFormat: "label", ...quiet });
    const http = defineMetrics(
      "http",
      {
        requests: counter({ help: "Requests", labels: ["method"] }),
        up: gauge({ help: "Up" }),
      },
      { registry },
    );
    http.requests({ method: "GET" }).inc(2);
    http.up.set(1);
    const text = registry.collect();
    expect(text).toContain('http_requests_total{service="shop",method="GET"} 2\n');
    expect(text).toContain('http_up{service="shop"} 1\n');
    expect(findSamples(registry.snapshot(), "http_up", { service: "shop" })).toHaveLength(1);
  });

  it("sanitises a service name used as prefix and can be reconfigured later", () => {
    const registry = createRegistry(quiet);
    const m = defineMetrics("jobs", { done: counter({ help: "Jobs done" }) }, { registry });
    m.done.inc();
    expect(registry.collect()).toContain("jobs_done_total 1\n");
    registry.configure({ serviceName: "my-shop.eu" });
    expect(registry.collect()).toContain("my_shop_eu_jobs_done_total 1\n");
    expect(registry.options.serviceName).toBe("my-shop.eu");
  });

  it("appends the unit once and strips a given _total/_info suffix", () => {
    const registry = createRegistry(quiet);
    const m = defineMetrics(
      "io",
      {
        read_bytes: counter({ help: "Bytes read", unit: "bytes" }),
        wait: histogram({ help: "Wait", unit: "seconds", buckets: [1] }),
        sent_total: counter({ help: "Sent" }),
        build_info: info({ help: "Build", labels: ["v"] }),
      },
      { registry },
    );
    expect(m.read_bytes.metricName).toBe("io_read_bytes");
    expect(m.wait.metricName).toBe("io_wait_seconds");
    expect(m.sent_total.metricName).toBe("io_sent");
    expect(m.build_info.metricName).toBe("io_build");
    const om = registry.collect("openmetrics");
    expect(om).toContain("# UNIT io_read_bytes bytes\n");
    expect(om).toContain("# UNIT io_wait_seconds seconds\n");
  });
});

describe("validation at definition time", () => {
  const registry = () => createRegistry(quiet);
  const code = (fn: () => unknown): string | undefined => {
    try {
      fn();
    } catch (error) {
      return error instanceof MetricsError ? error.code : "not a MetricsError";
    }
    return undefined;
  };

  it("rejects bad metric, group and label names", () => {
    const r = registry();
    expect(
      code(() => defineMetrics("http", { "bad-name": counter({ help: "x" }) }, { registry: r })),
    ).toBe("ERR_METRIC_NAME");
    expect(code(() => defineMetrics("9http", { a: counter({ help: "x" }) }, { registry: r }))).toBe(
      "ERR_METRIC_NAME",
    );
    expect(
      code(() =>
        defineMetrics(
          "http",
          { a: counter({ help: "x", labels: ["bad label"] }) },
          { registry: r },
        ),
      ),
    ).toBe("ERR_LABEL_NAME");
    expect(
      code(() =>
        defineMetrics("http", { a: counter({ help: "x", labels: ["__x"] }) }, { registry: r }),
      ),
    ).toBe("ERR_LABEL_NAME");
    expect(
      code(() =>
        defineMetrics("http", { a: histogram({ help: "x", labels: ["le"] }) }, { registry: r }),
      ),
    ).toBe("ERR_LABEL_NAME");
    expect(
      code(() =>
        defineMetrics("http", { a: counter({ help: "x", labels: ["a", "a"] }) }, { registry: r }),
      ),
    ).toBe("ERR_LABEL_NAME");
  });

  it("requires help text", () => {
    expect(
      code(() => defineMetrics("http", { a: counter({ help: " " }) }, { registry: registry() })),
    ).toBe("ERR_METRIC_HELP");
  });

  it("requires increasing finite buckets, allowing a trailing +Inf", () => {
    const r = registry();
    expect(
      code(() =>
        defineMetrics("h", { a: histogram({ help: "x", buckets: [1, 1] }) }, { registry: r }),
      ),
    ).toBe("ERR_METRIC_BUCKETS");
    expect(
      code(() =>
        defineMetrics("h", { b: histogram({ help: "x", buckets: [2, 1] }) }, { registry: r }),
      ),
    ).toBe("ERR_METRIC_BUCKETS");
    expect(
      code(() =>
        defineMetrics(
          "h",
          { c: histogram({ help: "x", buckets: [1, Number.NaN] }) },
          { registry: r },
        ),
      ),
    ).toBe("ERR_METRIC_BUCKETS");
    expect(
      code(() => defineMetrics("h", { d: histogram({ help: "x", buckets: [] }) }, { registry: r })),
    ).toBe("ERR_METRIC_BUCKETS");
    const ok = defineMetrics(
      "h",
      { e: histogram({ help: "x", buckets: [1, 2, Number.POSITIVE_INFINITY] }) },
      { registry: r },
    );
    ok.e.observe(5);
    expect(r.collect()).toContain('h_e_bucket{le="2"} 0\nh_e_bucket{le="+Inf"} 1\n');
  });

  it("refuses duplicates and colliding sample names, leaving no half-defined group", () => {
    const r = registry();
    defineMetrics("app", { jobs: counter({ help: "Jobs" }) }, { registry: r });
    expect(
      code(() => defineMetrics("app", { jobs: counter({ help: "Jobs" }) }, { registry: r })),
    ).toBe("ERR_METRIC_DUPLICATE");
    expect(
      code(() => defineMetrics("app", { jobs_total: gauge({ help: "Jobs" }) }, { registry: r })),
    ).toBe("ERR_METRIC_DUPLICATE");
    expect(
      code(() =>
        defineMetrics(
          "app",
          { fresh: gauge({ help: "ok" }), jobs: gauge({ help: "clash" }) },
          { registry: r },
        ),
      ),
    ).toBe("ERR_METRIC_DUPLICATE");
    // "fresh" was rolled back, so it can be declared again.
    defineMetrics("app", { fresh: gauge({ help: "ok" }) }, { registry: r });
  });

  it("frees a name with unregister", () => {
    const r = registry();
    const m = defineMetrics("app", { jobs: counter({ help: "Jobs" }) }, { registry: r });
    expect(r.unregister(m.jobs.metricName)).toBe(true);
    expect(r.unregister(m.jobs.metricName)).toBe(false);
    expect(r.collect()).toBe("");
    defineMetrics("app", { jobs: gauge({ help: "Jobs, now a gauge" }) }, { registry: r });
  });

  it("rejects bad registry and family options", () => {
    expect(code(() => createRegistry({ maxSeriesPerFamily: 0 }))).toBe("ERR_INVALID_OPTION");
    expect(code(() => createRegistry({ serviceName: "" }))).toBe("ERR_INVALID_OPTION");
    expect(code(() => createRegistry({ serviceNameFormat: "suffix" as unknown as "label" }))).toBe(
      "ERR_INVALID_OPTION",
    );
    expect(
      code(() =>
        defineMetrics("a", { b: counter({ help: "B", maxSeries: 1.5 }) }, { registry: registry() }),
      ),
    ).toBe("ERR_INVALID_OPTION");
    expect(
      code(() =>
        defineMetrics(
          "a",
          { b: counter({ help: "B" }) },
          { registry: {} as ReturnType<typeof createRegistry> },
        ),
      ),
    ).toBe("ERR_INVALID_OPTION");
  });

  it("validates bucket helpers", () => {
    expect(linearBuckets(0.1, 0.1, 5)).toEqual([0.1, 0.2, 0.3, 0.4, 0.5]);
    expect(exponentialBuckets(0.001, 10, 4)).toEqual([0.001, 0.01, 0.1, 1]);
    expect(code(() => linearBuckets(0, 0, 3))).toBe("ERR_METRIC_BUCKETS");
    expect(code(() => exponentialBuckets(1, 1, 3))).toBe("ERR_METRIC_BUCKETS");
    expect(code(() => exponentialBuckets(1, 2, 0))).toBe("ERR_METRIC_BUCKETS");
  });
});

describe("counters", () => {
  it("returns the same series object for the same label values", () => {
    const registry = createRegistry(quiet);
    const m = defineMetrics(
      "http",
      { requests: counter({ help: "R", labels: ["method", "status"] }) },
      { registry },
    );
    const a = m.requests({ method: "GET", status: 200 });
    expect(m.requests({ method: "GET", status: 200 })).toBe(a);
    // A number and its string form are the same label value.
    expect(m.requests({ method: "GET", status: "200" })).toBe(a);
    expect(m.requests({ method: "GET", status: 404 })).not.toBe(a);
    a.inc();
    m.requests.inc({ method: "GET", status: "200" }, 2);
    expect(a.get()).toBe(3);
  });

  it("drops negative, NaN and infinite increments and counts them", () => {
    const registry = createRegistry(quiet);
    const m = defineMetrics("app", { jobs: counter({ help: "Jobs" }) }, { registry });
    m.jobs.inc(2);
    m.jobs.inc(-1);
    m.jobs.inc(Number.NaN);
    m.jobs.inc(Number.POSITIVE_INFINITY);
    expect(m.jobs.get()).toBe(2);
    expect(
      findSamples(registry.snapshot(), "metrics_invalid_values_total", { metric: "app_jobs" })[0]
        ?.value,
    ).toBe(3);
  });

  it("does not throw when plain JavaScript passes missing labels", () => {
    const registry = createRegistry(quiet);
    const m = defineMetrics(
      "app",
      { jobs: counter({ help: "Jobs", labels: ["queue"] }) },
      { registry },
    );
    const untyped = m.jobs as unknown as { inc(labels?: unknown): void };
    untyped.inc();
    untyped.inc({});
    expect(findSamples(registry.snapshot(), "app_jobs_total", { queue: "" })[0]?.value).toBe(2);
  });

  it("removes series and resets values", () => {
    const registry = createRegistry(quiet);
    const m = defineMetrics(
      "app",
      { jobs: counter({ help: "Jobs", labels: ["queue"] }) },
      { registry },
    );
    const mail = m.jobs({ queue: "mail" });
    mail.inc();
    m.jobs({ queue: "sms" }).inc();
    expect(m.jobs.remove({ queue: "mail" })).toBe(true);
    expect(m.jobs.remove({ queue: "mail" })).toBe(false);
    expect(registry.collect()).not.toContain("mail");
    // A new series is created after removal, not the stale cached one.
    expect(m.jobs({ queue: "mail" })).not.toBe(mail);
    registry.reset();
    expect(m.jobs({ queue: "sms" }).get()).toBe(0);
    m.jobs.clear();
    expect(registry.collect()).toBe("# HELP app_jobs_total Jobs\n# TYPE app_jobs_total counter\n");
  });

  it("folds label sets beyond the limit into one overflow series and counts them", () => {
    const registry = createRegistry({ ...quiet, maxSeriesPerFamily: 3 });
    const m = defineMetrics(
      "api",
      { calls: counter({ help: "Calls", labels: ["user"] }) },
      { registry },
    );
    for (let i = 0; i < 10; i++) m.calls({ user: `u${i}` }).inc();
    const samples = findSamples(registry.snapshot(), "api_calls_total");
    expect(samples.map((s) => s.labels.user)).toEqual(["u0", "u1", "u2", "__overflow__"]);
    expect(samples[3]?.value).toBe(7);
    expect(
      findSamples(registry.snapshot(), "metrics_series_overflow_total", { metric: "api_calls" })[0]
        ?.value,
    ).toBe(7);
    // Removing a series frees a slot for a new label set.
    m.calls.remove({ user: "u0" });
    m.calls({ user: "new" }).inc();
    expect(findSamples(registry.snapshot(), "api_calls_total", { user: "new" })[0]?.value).toBe(1);
  });

  it("keeps a user's label value equal to the overflow marker out of a second, colliding series", () => {
    const registry = createRegistry({ ...quiet, maxSeriesPerFamily: 2 });
    const o = defineMetrics("o", { c: counter({ help: "C", labels: ["a"] }) }, { registry });
    o.c({ a: "__overflow__" }).inc();
    o.c({ a: "x" }).inc();
    o.c({ a: "y" }).inc();
    o.c({ a: "z" }).inc();
    const lines = registry
      .collect()
      .split("\n")
      .filter((l) => l.startsWith("o_c_total"));
    // The marker value is folded into the overflow series: printed once, counted as overflow.
    expect(lines).toEqual([
      'o_c_total{a="x"} 1',
      'o_c_total{a="y"} 1',
      'o_c_total{a="__overflow__"} 2',
    ]);
    expect(
      findSamples(registry.snapshot(), "metrics_series_overflow_total", { metric: "o_c" })[0]
        ?.value,
    ).toBe(2);
  });

  it("counts every recording through a held overflow series, and only recordings", () => {
    const registry = createRegistry({ ...quiet, maxSeriesPerFamily: 1 });
    const m = defineMetrics(
      "api",
      {
        calls: counter({ help: "Calls", labels: ["user"] }),
        depth: gauge({ help: "Depth", labels: ["user"], maxSeries: 1 }),
        took: histogram({ help: "Took", labels: ["user"], maxSeries: 1, buckets: [1] }),
        flag: info({ help: "Flags", labels: ["name"], maxSeries: 1 }),
      },
      { registry },
    );
    const overflowOf = (metric: string) =>
      findSamples(registry.snapshot(), "metrics_series_overflow_total", { metric })[0]?.value ?? 0;
    const invalidOf = (metric: string) =>
      findSamples(registry.snapshot(), "metrics_invalid_values_total", { metric })[0]?.value ?? 0;
    m.calls({ user: "kept" }).inc();
    const held = m.calls({ user: "over" });
    // A lookup alone records nothing.
    expect(overflowOf("api_calls")).toBe(0);
    for (let i = 0; i < 100; i++) held.inc();
    expect(overflowOf("api_calls")).toBe(100);
    expect(
      findSamples(registry.snapshot(), "api_calls_total", { user: "__overflow__" })[0]?.value,
    ).toBe(100);
    // Dropped values are invalid, not overflow.
    held.inc(Number.NaN);
    m.calls.inc({ user: "other" }, -1);
    expect(overflowOf("api_calls")).toBe(100);
    expect(invalidOf("api_calls")).toBe(2);

    m.depth.set({ user: "kept" }, 1);
    const depth = m.depth({ user: "over" });
    depth.set(2);
    depth.inc();
    depth.dec();
    depth.inc(Number.NaN);
    expect(overflowOf("api_depth")).toBe(3);
    expect(invalidOf("api_depth")).toBe(1);

    m.took.observe({ user: "kept" }, 0.5);
    const took = m.took({ user: "over" });
    took.observe(0.5);
    took.observe(2);
    took.observe(Number.NaN);
    expect(overflowOf("api_took")).toBe(2);
    expect(invalidOf("api_took")).toBe(1);

    m.flag.add({ name: "kept" });
    m.flag.add({ name: "a" });
    m.flag.add({ name: "b" });
    expect(overflowOf("api_flag")).toBe(2);
  });

  it("honours a per-family maxSeries", () => {
    const registry = createRegistry(quiet);
    const m = defineMetrics(
      "api",
      { calls: counter({ help: "Calls", labels: ["user"], maxSeries: 1 }) },
      { registry },
    );
    m.calls({ user: "a" }).inc();
    m.calls({ user: "b" }).inc();
    expect(findSamples(registry.snapshot(), "api_calls_total").map((s) => s.labels.user)).toEqual([
      "a",
      "__overflow__",
    ]);
  });
});

describe("gauges, histograms, info", () => {
  it("sets, increments, decrements and stamps gauges", () => {
    const registry = createRegistry(quiet);
    const m = defineMetrics(
      "q",
      { depth: gauge({ help: "Depth", labels: ["queue"] }), seen: gauge({ help: "Last seen" }) },
      { registry },
    );
    m.depth.set({ queue: "a" }, 5);
    m.depth.inc({ queue: "a" });
    m.depth.dec({ queue: "a" }, 3);
    expect(m.depth({ queue: "a" }).get()).toBe(3);
    const before = Date.now() / 1000;
    m.seen.setToCurrentTime();
    expect(m.seen.get()).toBeGreaterThanOrEqual(before - 1);
    m.seen.set(Number.NaN);
    m.depth.set({ queue: "b" }, Number.NEGATIVE_INFINITY);
    m.depth.set({ queue: "c" }, Number.POSITIVE_INFINITY);
    const text = registry.collect();
    expect(text).toContain("q_seen NaN\n");
    expect(text).toContain('q_depth{queue="b"} -Inf\n');
    expect(text).toContain('q_depth{queue="c"} +Inf\n');
  });

  it("counts observations into cumulative buckets", () => {
    const registry = createRegistry(quiet);
    const m = defineMetrics(
      "http",
      {
        latency: histogram({
          help: "Latency",
          unit: "seconds",
          labels: ["route"],
          buckets: [0.1, 0.5, 1],
        }),
      },
      { registry },
    );
    for (const v of [0.05, 0.1, 0.3, 2]) m.latency.observe({ route: "/" }, v);
    m.latency.observe({ route: "/" }, Number.NaN);
    expect(registry.collect()).toBe(
      [
        "# HELP http_latency_seconds Latency",
        "# TYPE http_latency_seconds histogram",
        'http_latency_seconds_bucket{route="/",le="0.1"} 2',
        'http_latency_seconds_bucket{route="/",le="0.5"} 3',
        'http_latency_seconds_bucket{route="/",le="1"} 3',
        'http_latency_seconds_bucket{route="/",le="+Inf"} 4',
        'http_latency_seconds_sum{route="/"} 2.45',
        'http_latency_seconds_count{route="/"} 4',
        "# HELP metrics_invalid_values_total Recordings dropped because the value was invalid (negative increment, NaN, infinite)",
        "# TYPE metrics_invalid_values_total counter",
        'metrics_invalid_values_total{metric="http_latency_seconds"} 1',
        "",
      ].join("\n"),
    );
  });

  it("uses binary search for many buckets and agrees with a linear scan", () => {
    const registry = createRegistry(quiet);
    const bounds = linearBuckets(1, 1, 40);
    const m = defineMetrics(
      "h",
      { big: histogram({ help: "Big", buckets: bounds }) },
      { registry },
    );
    const values = [0, 1, 1.5, 17, 17.0001, 40, 41, 39.9];
    for (const v of values) m.big.observe(v);
    const snap = registry.snapshot().find((f) => f.name === "h_big");
    if (snap?.type !== "histogram") throw new Error("histogram expected");
    expect(snap.samples).toHaveLength(1);
    const buckets = snap.samples[0]?.buckets;
    expect(buckets?.map((b) => b.le)).toEqual(bounds);
    for (const b of buckets as NonNullable<typeof buckets>) {
      expect(b.count).toBe(values.filter((v) => v <= b.le).length);
    }
  });

  it("times with startTimer", async () => {
    const registry = createRegistry(quiet);
    const m = defineMetrics(
      "job",
      { run: histogram({ help: "Run time", unit: "seconds", buckets: [0.01, 60] }) },
      { registry },
    );
    const stop = m.run.startTimer();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const seconds = stop();
    // At least the sleep (a timer may fire up to a millisecond early), in seconds not
    // milliseconds; the upper bound leaves room for a loaded machine.
    expect(seconds).toBeGreaterThanOrEqual(0.019);
    expect(seconds).toBeLessThan(10);
    expect(m.run.get()).toEqual({ count: 1, sum: seconds });
    const snap = registry.snapshot().find((f) => f.name === "job_run_seconds");
    if (snap?.type !== "histogram") throw new Error("histogram expected");
    expect(snap.samples[0]?.buckets).toEqual([
      { le: 0.01, count: 0 },
      { le: 60, count: 1 },
    ]);
  });

  it("exposes info metrics and the build_info/runtime_info built-ins", () => {
    const registry = createRegistry({
      serviceName: "shop",
      build: { version: "1.2.3", revision: "abc" },
    });
    const m = defineMetrics(
      "app",
      { feature: info({ help: "Features", labels: ["name"] }) },
      { registry },
    );
    m.feature.add({ name: "search" });
    m.feature.add({ name: "cart" });
    m.feature.remove({ name: "cart" });
    const text = registry.collect();
    expect(text).toContain("# TYPE shop_app_feature_info gauge\n");
    expect(text).toContain('shop_app_feature_info{name="search"} 1\n');
    expect(text).not.toContain("cart");
    expect(text).toContain('shop_build_info{version="1.2.3",revision="abc"} 1\n');
    expect(text).toMatch(/shop_runtime_info\{runtime="(node|workerd)",version="[^"]*"\} 1\n/);
    m.feature.set({ name: "only" });
    expect(findSamples(registry.snapshot(), "shop_app_feature").map((s) => s.labels.name)).toEqual([
      "only",
    ]);
    const om = registry.collect("openmetrics");
    expect(om).toContain("# TYPE shop_app_feature info\n");
    expect(om).toContain('shop_app_feature_info{name="only"} 1\n');
  });

  it("hides optional metrics unless reportOptional", () => {
    const registry = createRegistry(quiet);
    const m = defineMetrics(
      "gc",
      { pauses: counter({ help: "GC pauses", optional: true }), heap: gauge({ help: "Heap" }) },
      { registry },
    );
    m.pauses.inc();
    expect(registry.collect()).not.toContain("gc_pauses");
    registry.configure({ reportOptional: true });
    expect(registry.collect()).toContain("gc_pauses_total 1\n");
  });
});

describe("exposition", () => {
  it("escapes label values and help text per format", () => {
    const registry = createRegistry(quiet);
    const m = defineMetrics(
      "t",
      { v: gauge({ help: 'Back\\slash "quoted"\nnext', labels: ["x"] }) },
      { registry },
    );
    m.v.set({ x: 'a\\b"c\nd ü 🚀' }, 1);
    const text = registry.collect();
    expect(text).toContain('# HELP t_v Back\\\\slash "quoted"\\nnext\n');
    expect(text).toContain('t_v{x="a\\\\b\\"c\\nd ü 🚀"} 1\n');
    const om = registry.collect("openmetrics");
    expect(om).toContain('# HELP t_v Back\\\\slash \\"quoted\\"\\nnext\n');
    expect(om).toContain('t_v{x="a\\\\b\\"c\\nd ü 🚀"} 1\n');
  });

  it("renders OpenMetrics with TYPE, HELP, UNIT, _created and # EOF", () => {
    const registry = createRegistry(quiet);
    const m = defineMetrics(
      "http",
      {
        requests: counter({ help: "Requests", labels: ["method"] }),
        latency: histogram({ help: "Latency", unit: "seconds", buckets: [0.5, 1] }),
      },
      { registry },
    );
    m.requests({ method: "GET" }).inc();
    m.latency.observe(0.7);
    const lines = registry.collect("openmetrics").split("\n");
    const created = (name: string) => {
      const line = lines.find((l) => l.startsWith(name));
      return Number(line?.split(" ")[1]);
    };
    expect(lines).toEqual([
      "# TYPE http_requests counter",
      "# HELP http_requests Requests",
      'http_requests_total{method="GET"} 1',
      `http_requests_created{method="GET"} ${created("http_requests_created")}`,
      "# TYPE http_latency_seconds histogram",
      "# HELP http_latency_seconds Latency",
      "# UNIT http_latency_seconds seconds",
      'http_latency_seconds_bucket{le="0.5"} 0',
      'http_latency_seconds_bucket{le="1.0"} 1',
      'http_latency_seconds_bucket{le="+Inf"} 1',
      "http_latency_seconds_sum 0.7",
      "http_latency_seconds_count 1",
      `http_latency_seconds_created ${created("http_latency_seconds_created")}`,
      "# EOF",
      "",
    ]);
    expect(Math.abs(created("http_requests_created") - Date.now() / 1000)).toBeLessThan(60);
  });

  it("ends an empty OpenMetrics exposition with # EOF only", () => {
    expect(createRegistry(quiet).collect("openmetrics")).toBe("# EOF\n");
    expect(createRegistry(quiet).collect()).toBe("");
  });
});

describe("collectors", () => {
  it("exposes families from collectors with the service prefix", () => {
    const registry = createRegistry({ serviceName: "shop", ...quiet });
    let emitted = 0;
    registry.registerCollector(() => [
      {
        name: "log_messages",
        help: "Log records emitted",
        type: "counter",
        samples: [{ labels: { level: "info" }, value: emitted }],
      },
      {
        name: "export_latency_seconds",
        help: "Export latency",
        unit: "seconds",
        type: "histogram",
        samples: [{ labels: {}, buckets: [{ le: 1, count: 2 }], count: 3, sum: 4.5 }],
      },
    ]);
    emitted = 5;
    const text = registry.collect();
    expect(text).toContain('shop_log_messages_total{level="info"} 5\n');
    expect(text).toContain(
      'shop_export_latency_seconds_bucket{le="1"} 2\nshop_export_latency_seconds_bucket{le="+Inf"} 3\n',
    );
    expect(findSamples(registry.snapshot(), "shop_log_messages", { level: "info" })[0]?.value).toBe(
      5,
    );
    expect(registry.collect("openmetrics")).toContain(
      "# UNIT shop_export_latency_seconds seconds\n",
    );
  });

  it("skips a throwing collector and invalid families, and counts them", () => {
    const registry = createRegistry(quiet);
    defineMetrics("app", { jobs: counter({ help: "Jobs" }) }, { registry });
    registry.registerCollector(() => {
      throw new Error("boom");
    });
    registry.registerCollector(() => [
      { name: "bad name", help: "x", type: "gauge", samples: [] },
      { name: "app_jobs", help: "clashes with a declared family", type: "counter", samples: [] },
      { name: "ok", help: "fine", type: "gauge", samples: [{ labels: { a: "1" }, value: 2 }] },
    ]);
    const text = registry.collect();
    expect(text).toContain('ok{a="1"} 2\n');
    expect(text).not.toContain("bad name");
    expect(text).toContain("metrics_collector_errors_total 3\n");
  });

  it("stops reading a collector once unregistered", () => {
    const registry = createRegistry(quiet);
    const off = registry.registerCollector(() => [
      { name: "x", help: "x", type: "gauge", samples: [{ labels: {}, value: 1 }] },
    ]);
    expect(registry.collect()).toContain("x 1\n");
    off();
    expect(registry.collect()).toBe("");
  });
});

describe("snapshot", () => {
  it("returns plain data and flattens to scrape samples", () => {
    const registry = createRegistry({ serviceName: "svc", ...quiet });
    const m = defineMetrics(
      "http",
      {
        requests: counter({ help: "R", labels: ["method"] }),
        latency: histogram({ help: "L", buckets: [1] }),
      },
      { registry },
    );
    m.requests({ method: "GET" }).inc(3);
    m.latency.observe(0.5);
    const snap = registry.snapshot();
    expect(JSON.parse(JSON.stringify(snap))).toEqual(snap);
    expect(findSamples(snap, "svc_http_requests_total", { method: "GET" })[0]?.value).toBe(3);
    expect(findSamples(snap, "svc_http_requests", { method: "POST" })).toEqual([]);
    expect(findSamples(snap, "svc_http_latency")[0]?.value).toBe(1);
    expect(flattenSamples(snap).map((s) => s.name)).toEqual([
      "svc_http_requests_total",
      "svc_http_latency_bucket",
      "svc_http_latency_bucket",
      "svc_http_latency_sum",
      "svc_http_latency_count",
    ]);
  });
});

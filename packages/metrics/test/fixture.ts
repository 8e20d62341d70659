import {
  counter,
  createRegistry,
  defineMetrics,
  gauge,
  histogram,
  info,
  type Registry,
} from "../src/index";

/** Label values a scraper must receive intact. */
export const HOSTILE = [
  'double "quoted"',
  "back\\slash",
  "line\nbreak",
  "ünïcödé ✓ 日本語 🚀",
  "trailing\\",
  "",
] as const;

/**
 * A registry exercising every type, both suffixes, units, collectors and hostile labels.
 * `openMetricsOnly: false` leaves out what is valid OpenMetrics 1.0 but that promtool's
 * text parser refuses outright: info families and a `"` in a HELP text.
 */
export function fixtureRegistry(
  options: { openMetricsOnly?: boolean; service?: string } = {},
): Registry {
  const full = options.openMetricsOnly !== false;
  const registry = createRegistry({
    serviceName: options.service ?? "gwit",
    runtimeInfo: full,
    ...(full ? { build: { version: "1.2.3", revision: "abc123" } } : {}),
  });
  const http = defineMetrics(
    "http",
    {
      requests: counter({ help: "HTTP requests served", labels: ["method", "path"] }),
      latency: histogram({
        help: "Request latency",
        unit: "seconds",
        labels: ["route"],
        buckets: [0.005, 0.1, 1, 2.5],
      }),
      inflight: gauge({ help: "Requests in flight" }),
      payload: counter({ help: "Payload bytes", unit: "bytes" }),
    },
    { registry },
  );
  HOSTILE.forEach((value, i) => {
    http.requests({ method: "GET", path: value }).inc(i + 1);
    http.latency.observe({ route: value }, 0.05 * (i + 1));
  });
  http.latency.observe({ route: "/" }, 3);
  http.inflight.set(-2.5);
  http.payload.inc(1024);
  // A user's label value equal to the overflow marker, then more label sets
  // than the family keeps: the exposition must still hold one series per label set.
  const tenant = defineMetrics(
    "tenant",
    { calls: counter({ help: "Calls by tenant", labels: ["tenant"], maxSeries: 2 }) },
    { registry },
  );
  tenant.calls({ tenant: "__overflow__" }).inc(5);
  tenant.calls({ tenant: "a" }).inc();
  tenant.calls({ tenant: "b" }).inc();
  tenant.calls({ tenant: "c" }).inc(3);
  if (full) {
    const app = defineMetrics(
      "app",
      {
        feature: info({ help: "Enabled features", labels: ["name"] }),
        mode: gauge({ help: 'Serving mode (1 = "degraded")' }),
      },
      { registry },
    );
    app.feature.add({ name: 'search "beta"' });
    app.mode.set(1);
  }
  registry.registerCollector(() => [
    {
      name: "log_messages",
      help: "Log records emitted, by level",
      type: "counter",
      samples: [
        { labels: { level: "info" }, value: 7 },
        { labels: { level: "error" }, value: 1 },
      ],
    },
  ]);
  return registry;
}

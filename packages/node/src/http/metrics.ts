import {
  counter,
  defaultRegistry,
  defineMetrics,
  gauge,
  histogram,
  type MetricGroup,
  type Registry,
} from "@groundwork/metrics";

const spec = {
  server_requests: counter({
    help: "HTTP requests served, by method, route and status code.",
    labels: ["method", "route", "status"],
  }),
  server_request_duration: histogram({
    help: "Time from receiving a request to the end of its response, by method, route and status code.",
    unit: "seconds",
    labels: ["method", "route", "status"],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10],
  }),
  server_requests_in_flight: gauge({
    help: "HTTP requests received whose response has not ended yet.",
  }),
};

/** The RED metrics of HTTP servers: `http_server_requests_total`, `http_server_request_duration_seconds`, `http_server_requests_in_flight`. */
export type HttpServerMetrics = MetricGroup<typeof spec>;

// Several servers (or serve() and instrumentServer()) may share a registry:
// they share its families too, declared once.
const groups = new WeakMap<Registry, HttpServerMetrics>();

/**
 * The HTTP server metrics of a registry, declared on first use.
 *
 * @param registry - the registry (default: the metrics package's default registry)
 * @returns the metric handles
 */
export function httpServerMetrics(registry: Registry = defaultRegistry): HttpServerMetrics {
  let group = groups.get(registry);
  if (group === undefined) {
    group = defineMetrics("http", spec, { registry });
    groups.set(registry, group);
  }
  return group;
}

// Metrics hot paths and rendering against prom-client, in one process run.
import { counter, createRegistry, defineMetrics, histogram } from "@groundwork/metrics";
import client from "prom-client";
import { compare, measureAllocation } from "./compare";

const METHODS = ["GET", "POST", "PUT", "DELETE"] as const;
const STATUSES = ["200", "201", "404", "500"] as const;

// --- hot paths -------------------------------------------------------------
const registry = createRegistry({ serviceName: "bench", runtimeInfo: false });
const http = defineMetrics(
  "http",
  {
    requests: counter({ help: "Requests", labels: ["method", "status"] }),
    latency: histogram({ help: "Latency", unit: "seconds" }),
    routeLatency: histogram({ help: "Latency by route", unit: "seconds", labels: ["route"] }),
  },
  { registry },
);

const promRegistry = new client.Registry();
const peerRequests = new client.Counter({
  name: "bench_http_requests_total",
  help: "Requests",
  labelNames: ["method", "status"] as const,
  registers: [promRegistry],
});
const peerLatency = new client.Histogram({
  name: "bench_http_latency_seconds",
  help: "Latency",
  registers: [promRegistry],
});
const peerRouteLatency = new client.Histogram({
  name: "bench_http_route_latency_seconds",
  help: "Latency by route",
  labelNames: ["route"] as const,
  registers: [promRegistry],
});

let i = 0;
const next = () => {
  i = (i + 1) & 15;
  return i;
};
const oursChild = http.requests({ method: "GET", status: "200" });
const peerChild = peerRequests.labels({ method: "GET", status: "200" });

// --- rendering: 1,000 series (10 counters × 100 label sets) ------------------
const renderOurs = createRegistry({ serviceName: "bench", runtimeInfo: false });
const renderPeer = new client.Registry();
const renderPeerOm = new client.Registry<client.OpenMetricsContentType>();
renderPeerOm.setContentType(client.Registry.OPENMETRICS_CONTENT_TYPE);
for (let f = 0; f < 10; f++) {
  const fam = defineMetrics(
    `group${f}`,
    { ops: counter({ help: `Operations of group ${f}`, labels: ["method", "status", "shard"] }) },
    { registry: renderOurs },
  );
  const peer = new client.Counter({
    name: `bench_group${f}_ops_total`,
    help: `Operations of group ${f}`,
    labelNames: ["method", "status", "shard"] as const,
    registers: [renderPeer, renderPeerOm],
  });
  for (let s = 0; s < 100; s++) {
    const labels = {
      method: METHODS[s % 4] as string,
      status: STATUSES[(s >> 2) % 4] as string,
      shard: `s${s}`,
    };
    fam.ops(labels).inc(s + 0.5);
    peer.inc(labels, s + 0.5);
  }
}
const encoder = new TextEncoder();
const oursText = renderOurs.collect();
const peerText = await renderPeer.metrics();
const seriesLines = (text: string) =>
  text.split("\n").filter((l) => l !== "" && !l.startsWith("#")).length;
if (seriesLines(oursText) !== 1000 || seriesLines(peerText) !== 1000) {
  throw new Error(
    `render fixture is not 1,000 series: ${seriesLines(oursText)} / ${seriesLines(peerText)}`,
  );
}

const rows = await compare("Metrics", "prom-client", [
  {
    name: "counter inc, 2 labels, child looked up per call",
    ours: () => http.requests({ method: METHODS[next() & 3] as string, status: "200" }).inc(),
    peer: () => peerRequests.labels({ method: METHODS[next() & 3] as string, status: "200" }).inc(),
    batch: 1000,
  },
  {
    name: "counter inc, 2 labels, unbound inc(labels)",
    ours: () => http.requests.inc({ method: METHODS[next() & 3] as string, status: "200" }),
    peer: () => peerRequests.inc({ method: METHODS[next() & 3] as string, status: "200" }),
    batch: 1000,
  },
  {
    name: "counter inc, held child",
    ours: () => oursChild.inc(),
    peer: () => peerChild.inc(),
    batch: 1000,
  },
  {
    name: "histogram observe, no labels",
    ours: () => http.latency.observe(next() * 0.03),
    peer: () => peerLatency.observe(next() * 0.03),
    batch: 1000,
  },
  {
    name: "histogram observe, 1 label",
    ours: () => http.routeLatency.observe({ route: "/orders" }, next() * 0.03),
    peer: () => peerRouteLatency.observe({ route: "/orders" }, next() * 0.03),
    batch: 1000,
  },
  {
    // Encoding is included: a scrape response needs bytes, and it forces
    // concatenated strings to be flattened on both sides.
    name: "render 1,000 series (text 0.0.4) + UTF-8 encode",
    ours: async () => encoder.encode(renderOurs.collect()),
    peer: async () => encoder.encode(await renderPeer.metrics()),
    async: true,
  },
  {
    name: "render 1,000 series (OpenMetrics 1.0) + UTF-8 encode",
    ours: async () => encoder.encode(renderOurs.collect("openmetrics")),
    peer: async () => encoder.encode(await renderPeerOm.metrics()),
    async: true,
  },
]);

// --- allocation on the hot path ------------------------------------------------
// The cached child lookup should not allocate. With one constant label object
// only the library can allocate; we count garbage collections and heap growth
// over many calls (any allocation of even a few bytes per call would trigger
// scavenges over 2,000,000 calls).
const labels = { method: "GET", status: "200" } as const;
const oursAlloc = await measureAllocation(() => http.requests(labels).inc());
const peerAlloc = await measureAllocation(() => peerRequests.labels(labels).inc());
console.log("\nallocation per labelled `family(labels).inc()` over 2,000,000 calls:");
console.log(
  `  groundwork: ${oursAlloc.collections} GCs, heap +${oursAlloc.bytesPerCall.toFixed(2)} bytes/call`,
);
console.log(
  `  prom-client: ${peerAlloc.collections} GCs, heap +${peerAlloc.bytesPerCall.toFixed(2)} bytes/call (growth between GCs)`,
);

const ratio = (name: string) => rows.find((r) => r.case.startsWith(name))?.ratio ?? 0;
console.log(
  `\ntargets: labelled inc ≥3x → ${ratio("counter inc, 2 labels, child").toFixed(2)}x / ${ratio("counter inc, 2 labels, unbound").toFixed(2)}x; render ≥2x → ${ratio("render").toFixed(2)}x`,
);

import { bundleWorker as bundle, bundledModules } from "@groundwork/test-harness";
import type { Miniflare } from "miniflare";
import { describe, expect, it } from "vitest";
import { printed, useFixtureWorkers, waitFor } from "./harness";

// A Worker bundles the OTLP encoders of one protocol: protobuf, unless it imports the JSON
// ones from `@groundwork/worker/otlp-json`. One configured for JSON without them still
// exports, as protobuf, and says so once.

const fixture = useFixtureWorkers({ receiver: true });
const worker = (bindings: Record<string, string>) =>
  fixture.start({ EXPORT_DELAY: "0", ...bindings });

/** Sends two requests and waits for their spans and metrics to reach the receiver. */
async function exportTwo(mf: Miniflare): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < 2; i++) {
    const res = await mf.dispatchFetch("http://worker.test/orders/7");
    await res.text();
    ids.push((res.headers.get("traceparent") ?? "").split("-")[1] ?? "");
  }
  await waitFor(
    () => fixture.receiver.traces(),
    (spans) => ids.every((id) => spans.some((s) => s.traceId === id && s.name === "GET /orders")),
  );
  await waitFor(
    () => fixture.receiver.metrics(),
    (points) => points.some((p) => p.metric === "worker_requests"),
  );
  return ids;
}

function encodings(signal: "traces" | "metrics"): string[] {
  return fixture.receiver
    .requests()
    .filter((r) => r.signal === signal)
    .map((r) => r.encoding);
}

describe("the OTLP protocol of a Worker", () => {
  it("is protobuf by default", async () => {
    const mf = await worker({});
    await exportTwo(mf);
    expect(new Set(encodings("traces"))).toEqual(new Set(["protobuf"]));
    expect(new Set(encodings("metrics"))).toEqual(new Set(["protobuf"]));
  });

  it("is JSON with http/json and the JSON encoders passed in", async () => {
    const mf = await worker({ PROTOCOL: "http/json", JSON_ENCODERS: "1" });
    const [traceId] = await exportTwo(mf);
    expect(new Set(encodings("traces"))).toEqual(new Set(["json"]));
    expect(new Set(encodings("metrics"))).toEqual(new Set(["json"]));
    const server = fixture.receiver
      .traces()
      .find((s) => s.traceId === traceId && s.kind === "SPAN_KIND_SERVER");
    expect(server).toMatchObject({ name: "GET /orders" });
    expect(server?.attributes["http.response.status_code"]).toBe(200);
    const warnings = (await printed(mf)).filter(
      (l) => typeof l.value === "string" && l.value.includes("JSON encoders"),
    );
    expect(warnings).toHaveLength(0);
  });

  it("falls back to protobuf, with one warning, for http/json without the JSON encoders", async () => {
    const mf = await worker({ PROTOCOL: "http/json" });
    await exportTwo(mf);
    expect(new Set(encodings("traces"))).toEqual(new Set(["protobuf"]));
    expect(new Set(encodings("metrics"))).toEqual(new Set(["protobuf"]));
    const warnings = (await printed(mf)).filter(
      (l) => typeof l.value === "string" && l.value.includes("JSON encoders"),
    );
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.method).toBe("warn");
    expect(warnings[0]?.value).toContain("@groundwork/worker/otlp-json");
  });
});

// Strings only the JSON encoders contain: the transformer's JSON response parsers, and the
// mark our JSON span encoding gives doubles JSON cannot hold.
const JSON_MARKERS = [
  "Failed to parse trace export response",
  "Failed to parse metrics export response",
  "groundwork-double:",
];

describe("the bundle of a Worker", () => {
  it("holds no JSON encoder unless it imports @groundwork/worker/otlp-json", async () => {
    const [plain, withJson] = await Promise.all([
      bundle(new URL("./fixtures/bundle-protobuf.ts", import.meta.url), { minify: true }),
      bundle(new URL("./fixtures/bundle-json.ts", import.meta.url), { minify: true }),
    ]);
    for (const marker of JSON_MARKERS) {
      expect(plain.includes(marker), marker).toBe(false);
      expect(withJson.includes(marker), marker).toBe(true);
    }
  }, 60_000);

  it.each(["bundle-protobuf.ts", "bundle-json.ts"])(
    "holds none of the metrics registry: no text formats, no defineMetrics (%s)",
    async (fixture) => {
      const code = await bundle(new URL(`./fixtures/${fixture}`, import.meta.url), {
        minify: true,
      });
      // Strings of the Prometheus/OpenMetrics renderers and of the metric definition checks.
      for (const marker of ["# TYPE", "# EOF", "is not a valid metric name"]) {
        expect(code.includes(marker), marker).toBe(false);
      }
      // The Worker's own metrics are still there.
      expect(code).toContain("worker_duration_seconds");
    },
    60_000,
  );

  it.each(["bundle-protobuf.ts", "bundle-json.ts"])(
    "loads no module of the metrics package root (%s)",
    async (fixture) => {
      // Tree shaking drops the root's code from a bundle only because the package says it
      // has no side effects; a bundler that does not trust that, or a runtime loading the
      // modules as they are, would run it (`defaultRegistry` is created when it loads).
      const modules = await bundledModules(new URL(`./fixtures/${fixture}`, import.meta.url));
      const metrics = modules.filter((m) => m.includes("/packages/metrics/src/"));
      expect(metrics.some((m) => m.endsWith("/otlp-push.ts"))).toBe(true);
      const root = ["index.ts", "registry.ts"].map((f) => `/packages/metrics/src/${f}`);
      expect(metrics.filter((m) => root.some((r) => m.endsWith(r)))).toEqual([]);
    },
    60_000,
  );
});

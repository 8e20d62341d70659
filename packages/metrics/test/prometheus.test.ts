import { type PrometheusServer, type PromSample, startPrometheus } from "@groundwork/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ExpositionFormat, flattenSamples, type Registry } from "../src/index";
import { fixtureRegistry, HOSTILE } from "./fixture";
import { type Served, serveRegistry } from "./serve";

// Prometheus prints values with Go's strconv; compare numerically.
const num = (v: string): number => (v === "+Inf" ? Infinity : v === "-Inf" ? -Infinity : Number(v));

function key(name: string, labels: Readonly<Record<string, string>>): string {
  const entries = Object.entries(labels)
    .filter(([k, v]) => k !== "__name__" && k !== "job" && k !== "instance" && v !== "")
    // OpenMetrics writes bounds as floats ("1.0") and Prometheus keeps the text.
    .map(([k, v]): [string, string] => [k, k === "le" ? String(num(v)) : v])
    .sort(([a], [b]) => (a < b ? -1 : 1));
  return `${name}${JSON.stringify(entries)}`;
}

describe.each<ExpositionFormat>(["openmetrics", "prometheus"])(
  "a real Prometheus scraping %s",
  (format) => {
    let registry: Registry;
    let server: Awaited<ReturnType<typeof serveRegistry>>;
    let prometheus: PrometheusServer;
    let stored: PromSample[];

    beforeAll(async () => {
      registry = fixtureRegistry();
      server = await serveRegistry(
        registry,
        format === "prometheus" ? { forceAccept: "text/plain;version=0.0.4" } : {},
      );
      prometheus = await startPrometheus({ target: `127.0.0.1:${server.port}` });
      await prometheus.waitForScrape();
      stored = await prometheus.query('{__name__=~"gwit_.+"}');
    }, 60_000);

    afterAll(async () => {
      await prometheus?.stop();
      await server?.close();
    });

    it(`negotiated ${format}`, () => {
      const last = server.served.at(-1) as Served;
      expect(last.accept).toContain("application/openmetrics-text");
      expect(last.contentType).toBe(
        format === "openmetrics"
          ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
          : "text/plain; version=0.0.4; charset=utf-8",
      );
    });

    it("stored every sample with its labels and value intact", () => {
      const got = new Map(
        stored.map((s) => [key(s.metric.__name__ ?? "", s.metric), num(s.value)]),
      );
      const expected = flattenSamples(registry.snapshot());
      expect(expected.length).toBeGreaterThan(40);
      for (const sample of expected) {
        const k = key(sample.name, sample.labels);
        expect(got.has(k), `missing ${k}`).toBe(true);
        expect(got.get(k), k).toBe(sample.value);
      }
    });

    it("exposes each series once and stores it once (the overflow series does not collide)", () => {
      // Every sample line's `name{labels}` part, as the scraper sees it.
      const exposed = registry
        .collect(format)
        .split("\n")
        .filter((line) => line !== "" && !line.startsWith("#"))
        .map((line) => line.slice(0, line.lastIndexOf(" ")));
      // OpenMetrics lines carry no timestamps here, so the series is the whole line up to the value.
      expect(exposed.length).toBeGreaterThan(40);
      expect(exposed.filter((s, i) => exposed.indexOf(s) !== i)).toEqual([]);
      const tenants = stored
        .filter((s) => s.metric.__name__ === "gwit_tenant_calls_total")
        .map((s) => [s.metric.tenant, num(s.value)]);
      expect(new Map(tenants as [string, number][])).toEqual(
        new Map([
          ["a", 1],
          ["b", 1],
          ["__overflow__", 8],
        ]),
      );
      expect(tenants).toHaveLength(3);
    });

    it("kept hostile label values byte for byte", () => {
      const paths = stored
        .filter((s) => s.metric.__name__ === "gwit_http_requests_total")
        .map((s) => s.metric.path ?? "");
      // Prometheus drops empty labels, so the "" series arrives without `path`.
      expect(new Set(paths)).toEqual(new Set(HOSTILE));
      const feature = stored.find((s) => s.metric.__name__ === "gwit_app_feature_info");
      expect(feature?.metric.name).toBe('search "beta"');
      // A scrape of a family whose HELP has a quote (escaped in OpenMetrics) stored its sample.
      expect(stored.find((s) => s.metric.__name__ === "gwit_app_mode")?.value).toBe("1");
    });

    it("stored _created only from OpenMetrics", () => {
      const created = stored.filter((s) => s.metric.__name__?.endsWith("_created"));
      if (format === "openmetrics") {
        expect(created.map((s) => s.metric.__name__)).toContain("gwit_http_requests_created");
        for (const s of created)
          expect(Math.abs(num(s.value) - Date.now() / 1000)).toBeLessThan(600);
      } else {
        expect(created).toEqual([]);
      }
    });
  },
);

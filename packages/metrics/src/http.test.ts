import { describe, expect, it } from "vitest";
import { defineMetrics } from "./define";
import { contentTypeOf, handleMetricsRequest, metricsHandler, negotiateFormat } from "./http";
import { createRegistry } from "./registry";
import { counter } from "./spec";

describe("negotiateFormat", () => {
  it.each([
    [undefined, "prometheus"],
    ["", "prometheus"],
    ["text/plain", "prometheus"],
    ["*/*", "prometheus"],
    ["application/json", "prometheus"],
    ["application/openmetrics-text", "openmetrics"],
    ["application/openmetrics-text; version=1.0.0", "openmetrics"],
    ["application/openmetrics-text;version=0.0.1", "prometheus"],
    ["application/openmetrics-text;version=2.0.0,text/plain;q=0.5", "prometheus"],
    // What Prometheus 2.x sends.
    [
      "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
      "openmetrics",
    ],
    ["text/plain;q=1, application/openmetrics-text;q=0.5", "prometheus"],
    ["application/openmetrics-text;q=0", "prometheus"],
    ['APPLICATION/OPENMETRICS-TEXT; version="1.0.0"; q=0.9, text/plain; q=0.8', "openmetrics"],
  ] as const)("%j → %s", (accept, expected) => {
    expect(negotiateFormat(accept)).toBe(expected);
  });

  it("maps formats to content types", () => {
    expect(contentTypeOf("openmetrics")).toBe(
      "application/openmetrics-text; version=1.0.0; charset=utf-8",
    );
    expect(contentTypeOf("prometheus")).toBe("text/plain; version=0.0.4; charset=utf-8");
  });
});

describe("handleMetricsRequest", () => {
  const registry = createRegistry({ runtimeInfo: false });
  defineMetrics("app", { hits: counter({ help: "Hits" }) }, { registry }).hits.inc();

  it("serves OpenMetrics when asked", async () => {
    const res = handleMetricsRequest(
      registry,
      new Request("http://x/metrics", {
        headers: { accept: "application/openmetrics-text; version=1.0.0" },
      }),
    );
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe(contentTypeOf("openmetrics"));
    const body = await res.text();
    expect(body).toContain("app_hits_total 1\n");
    expect(body.endsWith("# EOF\n")).toBe(true);
  });

  it("serves text otherwise, answers HEAD without a body and refuses other methods", async () => {
    const handler = metricsHandler(registry);
    const text = handler(new Request("http://x/metrics"));
    expect(text.headers.get("content-type")).toBe(contentTypeOf("prometheus"));
    expect(await text.text()).toBe(
      "# HELP app_hits_total Hits\n# TYPE app_hits_total counter\napp_hits_total 1\n",
    );
    const head = handler(new Request("http://x/metrics", { method: "HEAD" }));
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
    const post = handler(new Request("http://x/metrics", { method: "POST", body: "x" }));
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD");
  });
});

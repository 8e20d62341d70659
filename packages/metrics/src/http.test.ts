import { describe, expect, it } from "vitest";
import { defineMetrics } from "./define";
import { contentTypeOf } from "./format";
import { handleMetricsRequest } from "./http";
import { createRegistry } from "./registry";
import { counter } from "./spec";

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
    const handler = (request: Request) => handleMetricsRequest(registry, request);
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

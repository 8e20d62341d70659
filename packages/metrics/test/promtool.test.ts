import { checkMetrics } from "@groundwork/test-harness";
import { describe, expect, it } from "vitest";
import { counter, createRegistry, defineMetrics, gauge } from "../src/index";
import { fixtureRegistry } from "./fixture";

describe("promtool check metrics", () => {
  it("accepts the Prometheus text output without a single lint problem", async () => {
    const verdict = await checkMetrics(fixtureRegistry().collect("prometheus"));
    expect(verdict.problems).toEqual([]);
    expect(verdict.ok).toBe(true);
  });

  it("parses the OpenMetrics output, reporting only the sample names its text parser cannot group", async () => {
    // promtool reads the text format: `# EOF` is a comment to it, it has no
    // `info` type, and it sees `x_total`/`x_created` as families without HELP.
    // Anything else (a parse error, a bad name) fails this test; the full
    // OpenMetrics grammar is checked by the real Prometheus scrape test.
    const verdict = await checkMetrics(
      fixtureRegistry({ openMetricsOnly: false }).collect("openmetrics"),
    );
    expect(verdict.exitCode).toBe(3);
    for (const problem of verdict.problems) {
      expect(problem).toMatch(/^gwit_\w+_(total|created) no help text$/);
    }
    expect(verdict.problems).toContain("gwit_http_requests_total no help text");
  });

  // What docs/metrics.md says of promtool 2.42 and OpenMetrics; both are valid OpenMetrics 1.0,
  // which the real Prometheus scrape in prometheus.test.ts accepts.
  it("rejects every default registry's OpenMetrics output: runtime_info is an info family", async () => {
    const registry = createRegistry();
    expect(registry.collect("openmetrics")).toContain("# TYPE runtime info\n");
    const verdict = await checkMetrics(registry.collect("openmetrics"));
    expect(verdict.exitCode).toBe(1);
    expect(verdict.output).toContain('unknown metric type "info"');
    expect((await checkMetrics(registry.collect("prometheus"))).problems).toEqual([]);
  });

  it('rejects an escaped " in an OpenMetrics HELP text', async () => {
    const registry = createRegistry({ runtimeInfo: false });
    defineMetrics("x", { g: gauge({ help: 'Say "hi"' }) }, { registry });
    const om = registry.collect("openmetrics");
    expect(om).toContain('# HELP x_g Say \\"hi\\"\n');
    const verdict = await checkMetrics(om);
    expect(verdict.exitCode).toBe(1);
    expect(verdict.output).toContain("invalid escape sequence '\\\"'");
    expect((await checkMetrics(registry.collect("prometheus"))).problems).toEqual([]);
  });

  it("catches what it is meant to catch (the check is not vacuous)", async () => {
    const registry = createRegistry({ runtimeInfo: false });
    // A counter declared as gauge-like name: promtool wants counters to end in _total,
    // which our naming guarantees, so build a broken exposition by hand instead.
    defineMetrics("x", { c: counter({ help: "C" }) }, { registry });
    const broken = registry.collect().replace("x_c_total 0", 'x_c_total{a="unterminated} 0');
    const verdict = await checkMetrics(broken);
    expect(verdict.ok).toBe(false);
  });
});

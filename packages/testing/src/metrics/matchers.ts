import { findSamples, type MetricFamilySnapshot } from "@groundwork/metrics";
import type { MatcherResult } from "../matchers";

/** Anything that can give a metrics snapshot, e.g. `createTestTelemetry()`. */
export interface MetricSource {
  metricFamilies(): MetricFamilySnapshot[];
}

function isMetricSource(value: unknown): value is MetricSource {
  return (
    value !== null &&
    typeof value === "object" &&
    typeof (value as { metricFamilies?: unknown }).metricFamilies === "function"
  );
}

/**
 * Matcher: the registry has a sample with this name (an exposed sample name
 * such as `shop_http_requests_total`, or a family name: counters match their
 * `_total` sample, histograms their `_count`), these labels (a subset) and,
 * if given, this value.
 *
 * @example
 * ```ts
 * expect(t).toHaveMetric("shop_http_requests_total", { method: "GET" }, 1);
 * expect(t).toHaveMetric("shop_http_latency_seconds", { route: "/" }); // histogram: any count
 * ```
 */
export function toHaveMetric(
  received: unknown,
  name: string,
  labels?: Readonly<Record<string, string | number | boolean>>,
  value?: number,
): MatcherResult {
  if (!isMetricSource(received)) {
    return {
      pass: false,
      message: () => "toHaveMetric expects the object returned by createTestTelemetry()",
    };
  }
  const families = received.metricFamilies();
  const samples = findSamples(families, name, labels);
  const pass = samples.some((s) => value === undefined || Object.is(s.value, value));
  const what = `${name}${labels ? JSON.stringify(labels) : ""}${value === undefined ? "" : ` = ${value}`}`;
  const found = findSamples(families, name)
    .map((s) => `  ${s.name}${JSON.stringify(s.labels)} ${s.value}`)
    .join("\n");
  return {
    pass,
    message: () =>
      pass
        ? `expected no metric sample ${what}, but found one`
        : `expected a metric sample ${what}; samples named ${name}:\n${found || "  (none)"}`,
  };
}

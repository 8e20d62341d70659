import { MetricsError } from "../errors";

// Prometheus allows ':' in metric names but reserves it for recording rules,
// so names we generate from user input never contain one.
const NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export function checkMetricName(name: string, what: string): void {
  if (typeof name !== "string" || !NAME.test(name)) {
    throw new MetricsError(
      "ERR_METRIC_NAME",
      `${what} ${JSON.stringify(name)} is not a valid metric name: use letters, digits and underscores, not starting with a digit`,
    );
  }
}

export function checkLabelNames(
  metric: string,
  labels: readonly string[],
  reserved: readonly string[],
): void {
  const seen = new Set<string>();
  for (const label of labels) {
    if (typeof label !== "string" || !NAME.test(label)) {
      throw new MetricsError(
        "ERR_LABEL_NAME",
        `metric ${metric}: label ${JSON.stringify(label)} is not a valid label name: use letters, digits and underscores, not starting with a digit`,
      );
    }
    if (label.startsWith("__")) {
      throw new MetricsError(
        "ERR_LABEL_NAME",
        `metric ${metric}: label ${JSON.stringify(label)} starts with "__", which Prometheus reserves`,
      );
    }
    if (reserved.includes(label)) {
      throw new MetricsError(
        "ERR_LABEL_NAME",
        `metric ${metric}: label ${JSON.stringify(label)} is reserved for this metric type`,
      );
    }
    if (seen.has(label)) {
      throw new MetricsError(
        "ERR_LABEL_NAME",
        `metric ${metric}: label ${JSON.stringify(label)} is listed twice`,
      );
    }
    seen.add(label);
  }
}

export function checkHelp(metric: string, help: unknown): void {
  if (typeof help !== "string" || help.trim() === "") {
    throw new MetricsError("ERR_METRIC_HELP", `metric ${metric}: help text is required`);
  }
}

/** Returns the finite upper bounds, strictly increasing, without a trailing +Inf. */
export function checkBuckets(metric: string, buckets: readonly number[]): number[] {
  if (!Array.isArray(buckets) || buckets.length === 0) {
    throw new MetricsError(
      "ERR_METRIC_BUCKETS",
      `metric ${metric}: buckets must be a non-empty array of numbers`,
    );
  }
  const bounds =
    buckets[buckets.length - 1] === Number.POSITIVE_INFINITY ? buckets.slice(0, -1) : [...buckets];
  for (let i = 0; i < bounds.length; i++) {
    const b = bounds[i];
    if (typeof b !== "number" || !Number.isFinite(b)) {
      throw new MetricsError(
        "ERR_METRIC_BUCKETS",
        `metric ${metric}: bucket ${String(b)} is not a finite number (+Inf is implicit and may only come last)`,
      );
    }
    if (i > 0 && b <= (bounds[i - 1] as number)) {
      throw new MetricsError(
        "ERR_METRIC_BUCKETS",
        `metric ${metric}: buckets must be strictly increasing, but ${b} follows ${bounds[i - 1]}`,
      );
    }
  }
  return bounds;
}

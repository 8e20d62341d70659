import { MetricsError } from "../errors";
import type { MetricFamilySnapshot } from "../snapshot";
import { DEFAULT_BUCKETS, type MetricSpec } from "../spec";

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

/** Names a family exposes besides its own, so two families never print the same sample name. */
export function exposedNames(type: string, name: string): string[] {
  switch (type) {
    case "counter":
      return [name, `${name}_total`, `${name}_created`];
    case "histogram":
      return [name, `${name}_bucket`, `${name}_sum`, `${name}_count`, `${name}_created`];
    case "info":
      return [name, `${name}_info`];
    default:
      return [name];
  }
}

/** A checked declaration: what the registry needs to build the family. */
export interface Definition {
  readonly type: MetricSpec["type"];
  readonly name: string;
  readonly help: string;
  readonly unit: string | undefined;
  readonly labelNames: readonly string[];
  readonly optional: boolean;
  readonly maxSeries: number | undefined;
  /** Histogram bounds, finite and strictly increasing; empty for other types. */
  readonly bounds: readonly number[];
}

/**
 * Checks one entry of a `defineMetrics` group and derives its exposed name
 * (`<group>_<key>`, a `_total`/`_info` suffix stripped, the unit appended).
 */
export function checkDefinition(group: string, key: string, spec: MetricSpec): Definition {
  checkMetricName(group, "metric group");
  if (spec === null || typeof spec !== "object" || !("type" in spec) || !("options" in spec)) {
    throw new MetricsError(
      "ERR_INVALID_OPTION",
      `metric ${group}.${key}: expected counter(), gauge(), histogram() or info()`,
    );
  }
  const type: unknown = spec.type;
  if (type !== "counter" && type !== "gauge" && type !== "histogram" && type !== "info") {
    throw new MetricsError(
      "ERR_INVALID_OPTION",
      `metric ${group}.${key}: unknown type ${JSON.stringify(type)}`,
    );
  }
  checkMetricName(key, `metric ${group}.${key}: name`);
  const o = spec.options;
  let name = `${group}_${key}`;
  if (type === "counter" && name.endsWith("_total")) name = name.slice(0, -"_total".length);
  if (type === "info" && name.endsWith("_info")) name = name.slice(0, -"_info".length);
  const unit = "unit" in o ? o.unit : undefined;
  if (unit !== undefined) {
    if (typeof unit !== "string" || !/^[a-zA-Z0-9_]+$/.test(unit)) {
      throw new MetricsError(
        "ERR_METRIC_NAME",
        `metric ${name}: unit ${JSON.stringify(unit)} is not valid`,
      );
    }
    if (!name.endsWith(`_${unit}`)) name = `${name}_${unit}`;
  }
  checkHelp(name, o.help);
  const labelNames = [...(o.labels ?? [])];
  // `service` is reserved everywhere: serviceNameFormat can switch to "label" later.
  checkLabelNames(name, labelNames, type === "histogram" ? ["le", "service"] : ["service"]);
  if (o.maxSeries !== undefined && !(Number.isInteger(o.maxSeries) && o.maxSeries >= 1)) {
    throw new MetricsError(
      "ERR_INVALID_OPTION",
      `metric ${name}: maxSeries must be a positive integer`,
    );
  }
  const bounds =
    spec.type === "histogram" ? checkBuckets(name, spec.options.buckets ?? DEFAULT_BUCKETS) : [];
  return {
    type,
    name,
    help: o.help,
    unit,
    labelNames,
    optional: o.optional === true,
    maxSeries: o.maxSeries,
    bounds,
  };
}

/** Whether a family returned by a collector can be exposed as it is. */
export function isValidSnapshot(family: MetricFamilySnapshot): boolean {
  if (family === null || typeof family !== "object") return false;
  if (typeof family.name !== "string" || !NAME.test(family.name)) return false;
  if (typeof family.help !== "string") return false;
  if (!["counter", "gauge", "histogram", "info"].includes(family.type)) return false;
  if (family.unit !== undefined && !family.name.endsWith(`_${family.unit}`)) return false;
  if (!Array.isArray(family.samples)) return false;
  for (const s of family.samples as readonly { labels?: unknown }[]) {
    if (s === null || typeof s !== "object" || s.labels === null || typeof s.labels !== "object")
      return false;
    for (const key of Object.keys(s.labels)) {
      if (!NAME.test(key) || key.startsWith("__") || key === "service") return false;
    }
  }
  return true;
}

import { MetricsError } from "./errors";

/** A label value as accepted when recording; numbers and booleans are printed with `String()`. */
export type LabelValue = string | number | boolean;

/** The label set of a family: every declared label name, each with a value. */
export type LabelValues<L extends string> = { readonly [K in L]: LabelValue };

/** Options shared by every metric type. */
export interface CommonMetricOptions<L extends string> {
  /** What the metric measures; printed as `# HELP`. Required. */
  help: string;
  /** Label names, declared once; recording must then supply exactly these. Default: none. */
  labels?: readonly L[];
  /**
   * Unit of the value (`"seconds"`, `"bytes"`), appended to the name unless it
   * already ends with it, and printed as `# UNIT` in OpenMetrics. Default: none.
   */
  unit?: string;
  /** Hidden from every output unless the registry's `reportOptional` is on. Default `false`. */
  optional?: boolean;
  /**
   * Most label sets kept for this family; further ones are folded into one
   * overflow series. Default: the registry's `maxSeriesPerFamily`.
   */
  maxSeries?: number;
}

/** Options of {@link counter}. */
export type CounterOptions<L extends string> = CommonMetricOptions<L>;
/** Options of {@link gauge}. */
export type GaugeOptions<L extends string> = CommonMetricOptions<L>;
/** Options of {@link histogram}. */
export interface HistogramOptions<L extends string> extends CommonMetricOptions<L> {
  /**
   * Finite upper bounds, strictly increasing; `+Inf` is implicit.
   * Default {@link DEFAULT_BUCKETS}.
   */
  buckets?: readonly number[];
}
/** Options of {@link info}. The labels carry the information; the value is always 1. */
export type InfoOptions<L extends string> = Omit<CommonMetricOptions<L>, "unit">;

/** A declared counter, to be passed to {@link defineMetrics}. */
export interface CounterSpec<L extends string> {
  readonly type: "counter";
  readonly options: CounterOptions<L>;
}
/** A declared gauge, to be passed to {@link defineMetrics}. */
export interface GaugeSpec<L extends string> {
  readonly type: "gauge";
  readonly options: GaugeOptions<L>;
}
/** A declared histogram, to be passed to {@link defineMetrics}. */
export interface HistogramSpec<L extends string> {
  readonly type: "histogram";
  readonly options: HistogramOptions<L>;
}
/** A declared info metric, to be passed to {@link defineMetrics}. */
export interface InfoSpec<L extends string> {
  readonly type: "info";
  readonly options: InfoOptions<L>;
}
/** Any metric declaration. */
export type MetricSpec =
  | CounterSpec<string>
  | GaugeSpec<string>
  | HistogramSpec<string>
  | InfoSpec<string>;

/**
 * Declares a counter: a value that only goes up (requests served, bytes sent).
 * Its exposed name ends in `_total`.
 *
 * @param options - `help` (required), `labels` (default none), `unit`, `optional`, `maxSeries`
 * @returns a declaration for {@link defineMetrics}
 * @example
 * ```ts
 * const http = defineMetrics("http", {
 *   requests: counter({ help: "HTTP requests served", labels: ["method", "status"] }),
 * });
 * http.requests({ method: "GET", status: 200 }).inc();
 * ```
 */
export function counter<const L extends string = never>(
  options: CounterOptions<L>,
): CounterSpec<NoInfer<L>> {
  return { type: "counter", options };
}

/**
 * Declares a gauge: a value that goes up and down (requests in flight, queue length).
 *
 * @param options - `help` (required), `labels` (default none), `unit`, `optional`, `maxSeries`
 * @returns a declaration for {@link defineMetrics}
 * @example
 * ```ts
 * const http = defineMetrics("http", { inflight: gauge({ help: "Requests in flight" }) });
 * http.inflight.inc();
 * http.inflight.dec();
 * ```
 */
export function gauge<const L extends string = never>(
  options: GaugeOptions<L>,
): GaugeSpec<NoInfer<L>> {
  return { type: "gauge", options };
}

/**
 * Declares a histogram: observations counted into cumulative buckets, with
 * their sum and count (latencies, sizes).
 *
 * @param options - `help` (required), `labels` (default none), `buckets`
 *   (default {@link DEFAULT_BUCKETS}), `unit`, `optional`, `maxSeries`
 * @returns a declaration for {@link defineMetrics}
 * @example
 * ```ts
 * const http = defineMetrics("http", {
 *   latency: histogram({ help: "Request latency", unit: "seconds", labels: ["route"], buckets: [0.01, 0.1, 1] }),
 * });
 * const stop = http.latency({ route: "/" }).startTimer();
 * stop(); // observes the elapsed seconds
 * ```
 */
export function histogram<const L extends string = never>(
  options: HistogramOptions<L>,
): HistogramSpec<NoInfer<L>> {
  return { type: "histogram", options };
}

/**
 * Declares an info metric: a constant 1 whose labels carry facts (a version,
 * a build). Its exposed name ends in `_info`.
 *
 * @param options - `help` (required), `labels` (the facts), `optional`
 * @returns a declaration for {@link defineMetrics}
 * @example
 * ```ts
 * const app = defineMetrics("app", { feature: info({ help: "Enabled features", labels: ["name"] }) });
 * app.feature.set({ name: "search" });
 * ```
 */
export function info<const L extends string = never>(
  options: InfoOptions<L>,
): InfoSpec<NoInfer<L>> {
  return { type: "info", options };
}

/** The default histogram buckets, in seconds: suited to request latencies. */
export const DEFAULT_BUCKETS: readonly number[] = Object.freeze([
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
]);

/**
 * Buckets `start, start + width, …`, `count` of them.
 *
 * @param start - the first upper bound
 * @param width - the distance between bounds; must be positive
 * @param count - how many bounds; a positive integer
 * @returns the bounds, ready for `histogram({ buckets })`
 * @example
 * ```ts
 * linearBuckets(0.1, 0.1, 5); // [0.1, 0.2, 0.3, 0.4, 0.5]
 * ```
 */
export function linearBuckets(start: number, width: number, count: number): number[] {
  if (!(width > 0) || !Number.isFinite(start) || !Number.isFinite(width)) {
    throw new MetricsError(
      "ERR_METRIC_BUCKETS",
      "linearBuckets: start must be finite and width positive",
    );
  }
  checkCount(count, "linearBuckets");
  const out: number[] = [];
  // Multiplying instead of adding keeps rounding error from accumulating.
  for (let i = 0; i < count; i++) out.push(round(start + i * width));
  return out;
}

/**
 * Buckets `start, start × factor, start × factor², …`, `count` of them.
 *
 * @param start - the first upper bound; must be positive
 * @param factor - the growth factor; must be greater than 1
 * @param count - how many bounds; a positive integer
 * @returns the bounds, ready for `histogram({ buckets })`
 * @example
 * ```ts
 * exponentialBuckets(0.001, 10, 4); // [0.001, 0.01, 0.1, 1]
 * ```
 */
export function exponentialBuckets(start: number, factor: number, count: number): number[] {
  if (!(start > 0) || !(factor > 1) || !Number.isFinite(start) || !Number.isFinite(factor)) {
    throw new MetricsError(
      "ERR_METRIC_BUCKETS",
      "exponentialBuckets: start must be positive and factor greater than 1",
    );
  }
  checkCount(count, "exponentialBuckets");
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push(round(start * factor ** i));
  return out;
}

function checkCount(count: number, fn: string): void {
  if (!Number.isInteger(count) || count < 1) {
    throw new MetricsError("ERR_METRIC_BUCKETS", `${fn}: count must be a positive integer`);
  }
}

// 0.1 * 3 is 0.30000000000000004; bucket bounds are printed, so trim float noise.
function round(n: number): number {
  return Number.parseFloat(n.toPrecision(12));
}

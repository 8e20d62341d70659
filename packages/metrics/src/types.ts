import type {
  CounterSpec,
  GaugeSpec,
  HistogramSpec,
  InfoSpec,
  LabelValues,
  MetricSpec,
} from "./spec";

/** What every family handle tells about itself. */
export interface FamilyInfo {
  /** `<group>_<name>` with the unit suffix, without the service prefix or type suffix. */
  readonly metricName: string;
  /** The metric type. */
  readonly type: "counter" | "gauge" | "histogram" | "info";
  /** The declared label names, in order. */
  readonly labelNames: readonly string[];
}

/** One counter series (a fixed label set). */
export interface CounterSeries {
  /** Adds `value` (default 1). Negative, NaN or infinite values are dropped and counted, never thrown. */
  inc(value?: number): void;
  /** The current value. */
  get(): number;
}

/** One gauge series. */
export interface GaugeSeries {
  /** Sets the value (NaN and ±Inf are valid gauge values). */
  set(value: number): void;
  /** Adds `value` (default 1). */
  inc(value?: number): void;
  /** Subtracts `value` (default 1). */
  dec(value?: number): void;
  /** Sets the value to the current Unix time in seconds. */
  setToCurrentTime(): void;
  /** The current value. */
  get(): number;
}

/** One histogram series. */
export interface HistogramSeries {
  /** Records one observation. NaN and ±Inf are dropped and counted. */
  observe(value: number): void;
  /**
   * Starts a timer on the monotonic clock.
   * @returns a function that observes the elapsed seconds and returns them
   */
  startTimer(): () => number;
  /** Observation count and sum so far. */
  get(): { count: number; sum: number };
}

/** Removing series of a labelled family. */
export interface LabelledFamily<L extends string> extends FamilyInfo {
  /** Forgets the series with these labels (it disappears from the output). @returns whether it existed */
  remove(labels: LabelValues<L>): boolean;
  /** Forgets every series. */
  clear(): void;
}

/**
 * A counter with labels. Call it with a label set to get the cached series:
 * the same values always return the same object, so hot paths can keep it.
 */
export interface LabelledCounter<L extends string> extends LabelledFamily<L> {
  (labels: LabelValues<L>): CounterSeries;
  /** Same as `family(labels).inc(value)`. */
  inc(labels: LabelValues<L>, value?: number): void;
}

/** A counter without labels: a family and its single series at once. */
export interface Counter extends CounterSeries, FamilyInfo {
  (): CounterSeries;
}

/** A gauge with labels. */
export interface LabelledGauge<L extends string> extends LabelledFamily<L> {
  (labels: LabelValues<L>): GaugeSeries;
  /** Same as `family(labels).set(value)`. */
  set(labels: LabelValues<L>, value: number): void;
  /** Same as `family(labels).inc(value)`. */
  inc(labels: LabelValues<L>, value?: number): void;
  /** Same as `family(labels).dec(value)`. */
  dec(labels: LabelValues<L>, value?: number): void;
}

/** A gauge without labels. */
export interface Gauge extends GaugeSeries, FamilyInfo {
  (): GaugeSeries;
}

/** A histogram with labels. */
export interface LabelledHistogram<L extends string> extends LabelledFamily<L> {
  (labels: LabelValues<L>): HistogramSeries;
  /** Same as `family(labels).observe(value)`. */
  observe(labels: LabelValues<L>, value: number): void;
  /** Same as `family(labels).startTimer()`. */
  startTimer(labels: LabelValues<L>): () => number;
}

/** A histogram without labels. */
export interface Histogram extends HistogramSeries, FamilyInfo {
  (): HistogramSeries;
}

/** An info metric: each series is a label set with the constant value 1. */
export interface InfoFamily<L extends string> extends FamilyInfo {
  /** Replaces every series with this one label set. */
  set(labels: LabelValues<L>): void;
  /** Adds a series (no-op when it exists). */
  add(labels: LabelValues<L>): void;
  /** Removes a series. @returns whether it existed */
  remove(labels: LabelValues<L>): boolean;
  /** Removes every series. */
  clear(): void;
}

/** The handle {@link defineMetrics} returns for a declaration. */
export type FamilyOf<S> =
  S extends CounterSpec<infer L>
    ? [L] extends [never]
      ? Counter
      : LabelledCounter<L>
    : S extends GaugeSpec<infer L>
      ? [L] extends [never]
        ? Gauge
        : LabelledGauge<L>
      : S extends HistogramSpec<infer L>
        ? [L] extends [never]
          ? Histogram
          : LabelledHistogram<L>
        : S extends InfoSpec<infer L>
          ? InfoFamily<L>
          : never;

/** The object {@link defineMetrics} returns: one handle per declared metric. */
export type MetricGroup<S extends Record<string, MetricSpec>> = {
  readonly [K in keyof S]: FamilyOf<S[K]>;
};

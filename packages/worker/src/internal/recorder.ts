// The Worker's six metrics, kept without the general-purpose registry of @groundwork/metrics:
// a Worker bundles this instead of the registry's families, definition checks and text
// renderers. What it records and how it bounds series is what `defineMetrics` in a registry
// does for the same declarations (see recorder.test.ts, which compares the two).
import type { HistogramSample, MetricFamilySnapshot, NumberSample } from "@groundwork/metrics";

/** The dimensions of every request metric. */
export interface RequestDimensions {
  api: string;
  resource: string;
  method: string;
  status: string;
}

/** Why spans were cut from an invocation's export. */
export type CutReason = "unfinished" | "deadline";

/** Records the Worker's metrics; every method never throws. */
export interface WorkerMetricsRecorder {
  /** Counts one finished invocation and observes its duration. */
  record(dimensions: RequestDimensions, durationSeconds: number): void;
  /** Counts spans the isolate dropped. */
  spansDropped(count: number): void;
  /** Counts spans the tail sampler discarded. */
  spansDiscarded(count: number): void;
  /** Counts log records the isolate's export queue dropped. */
  logsDropped(count: number): void;
  /** Counts spans cut from an invocation's export by its budget. */
  spansCut(count: number, reason: CutReason): void;
  /**
   * The families, named without a service prefix (a registry adds it when this is one of its
   * collectors), with the `metrics_series_overflow` and `metrics_invalid_values` counters
   * of a registry of their own when `selfMetrics` is set.
   */
  collect(): MetricFamilySnapshot[];
}

/** Options of {@link createWorkerMetricsRecorder}. */
export interface WorkerMetricsRecorderOptions {
  /** Label sets kept per family before new ones go to the overflow series. */
  maxSeries: number;
  /** Finite upper bounds of the duration histogram, strictly increasing. */
  durationBuckets: readonly number[];
  /** Whether `collect()` includes the overflow and invalid-value counters. */
  selfMetrics: boolean;
}

const REQUEST_LABELS = ["api", "resource", "method", "status"] as const;
/** The label value of every label of the overflow series, as in the registry. */
const OVERFLOW = "__overflow__";

interface Series {
  readonly labels: Readonly<Record<string, string>>;
  readonly created: number;
  /** Counter value, or histogram count. */
  value: number;
  sum: number;
  /** Histogram only: per-bucket (not cumulative) counts, the last one the +Inf bucket. */
  readonly counts: number[] | undefined;
}

interface Family {
  readonly name: string;
  readonly help: string;
  readonly unit: string | undefined;
  readonly labelNames: readonly string[];
  /** Series by label values, in creation order. */
  readonly series: Map<string, Series>;
  overflow: Series | undefined;
  readonly bounds: readonly number[] | undefined;
}

/**
 * Creates the recorder of one isolate's metrics: `worker_requests` and
 * `worker_duration_seconds` by api, resource, method and status, the span and log drop
 * counters, and `worker_spans_cut` by reason.
 *
 * @param options - series bound, duration buckets, whether to report its own overflows
 * @returns the recorder
 */
export function createWorkerMetricsRecorder(
  options: WorkerMetricsRecorderOptions,
): WorkerMetricsRecorder {
  const { maxSeries, durationBuckets, selfMetrics } = options;
  // Per family name, in the order of their first occurrence, as the registry keeps them.
  const overflows = new Map<string, number>();
  const rejections = new Map<string, number>();

  const family = (
    name: string,
    help: string,
    labelNames: readonly string[],
    bounds?: readonly number[],
    unit?: string,
  ): Family => {
    const f: Family = {
      name,
      help,
      unit,
      labelNames,
      series: new Map(),
      overflow: undefined,
      bounds,
    };
    // A family without labels has its one series (of no label values) from the start, so it
    // is reported as 0.
    if (labelNames.length === 0) f.series.set("[]", newSeries(f, {}));
    return f;
  };
  const requests = family("worker_requests", "Invocations handled", REQUEST_LABELS);
  const duration = family(
    "worker_duration_seconds",
    "Invocation duration, until the response body is sent",
    REQUEST_LABELS,
    durationBuckets,
    "seconds",
  );
  const spansDropped = family(
    "worker_spans_dropped",
    "Finished spans dropped because the isolate's buffer was full",
    [],
  );
  const spansDiscarded = family(
    "worker_spans_discarded",
    "Finished spans the tail sampler did not keep",
    [],
  );
  const logsDropped = family(
    "worker_logs_dropped",
    "Log records dropped because the isolate's log export queue was full",
    [],
  );
  const spansCut = family(
    "worker_spans_cut",
    "Spans cut from an invocation's export by its waitUntil budget or export deadline",
    ["reason"],
  );
  const families = [requests, duration, spansDropped, spansDiscarded, logsDropped, spansCut];

  /** The series of these label values: a new one while under the bound, else the overflow series. */
  const seriesOf = (f: Family, values: readonly unknown[]): Series => {
    const strings = values.map((v) => (v === undefined || v === null ? "" : String(v)));
    // Injective whatever the values hold, so two label sets never share a series.
    const key = JSON.stringify(strings);
    let s = f.series.get(key);
    if (s !== undefined) return s;
    if (f.series.size >= maxSeries || strings.every((v) => v === OVERFLOW)) {
      if (f.overflow === undefined)
        f.overflow = newSeries(
          f,
          labelsOf(
            f,
            f.labelNames.map(() => OVERFLOW),
          ),
        );
      return f.overflow;
    }
    s = newSeries(f, labelsOf(f, strings));
    f.series.set(key, s);
    return s;
  };

  const count = (counts: Map<string, number>, f: Family): void => {
    counts.set(f.name, (counts.get(f.name) ?? 0) + 1);
  };

  /** Increments a counter, or observes a value in the histogram, as a registry's series do. */
  const add = (f: Family, values: readonly unknown[], value: number): void => {
    try {
      const s = seriesOf(f, values);
      const bounds = f.bounds;
      // A counter takes finite increments of 0 or more; a histogram any finite value (NaN or
      // ±Infinity would poison its sum forever).
      if (!(value - value === 0 && (bounds !== undefined || value >= 0))) {
        count(rejections, f);
        return;
      }
      if (bounds !== undefined) {
        let i = 0;
        while (i < bounds.length && value > (bounds[i] as number)) i++;
        (s.counts as number[])[i]! += 1;
        s.sum += value;
        s.value++;
      } else {
        s.value += value;
      }
      if (s === f.overflow) count(overflows, f);
    } catch {
      // Recording never fails an invocation.
    }
  };

  return {
    record(dimensions, durationSeconds) {
      const values = [
        dimensions?.api,
        dimensions?.resource,
        dimensions?.method,
        dimensions?.status,
      ];
      add(requests, values, 1);
      add(duration, values, durationSeconds);
    },
    spansDropped: (n) => add(spansDropped, [], n),
    spansDiscarded: (n) => add(spansDiscarded, [], n),
    logsDropped: (n) => add(logsDropped, [], n),
    spansCut: (n, reason) => add(spansCut, [reason], n),
    collect() {
      const out: MetricFamilySnapshot[] = families.map(snapshotOf);
      if (selfMetrics) {
        selfFamily(
          out,
          "metrics_series_overflow",
          "Recordings redirected to a family's overflow series because its series limit was reached",
          overflows,
        );
        selfFamily(
          out,
          "metrics_invalid_values",
          "Recordings dropped because the value was invalid (negative increment, NaN, infinite)",
          rejections,
        );
      }
      return out;
    },
  };
}

function newSeries(f: Family, labels: Readonly<Record<string, string>>): Series {
  return {
    labels,
    created: Date.now() / 1000,
    value: 0,
    sum: 0,
    counts: f.bounds === undefined ? undefined : new Array<number>(f.bounds.length + 1).fill(0),
  };
}

function labelsOf(f: Family, values: readonly string[]): Record<string, string> {
  return Object.fromEntries(f.labelNames.map((name, i) => [name, values[i] ?? ""]));
}

function snapshotOf(f: Family): MetricFamilySnapshot {
  const all = [...f.series.values()];
  if (f.overflow !== undefined) all.push(f.overflow);
  const unit = f.unit === undefined ? {} : { unit: f.unit };
  const bounds = f.bounds;
  if (bounds === undefined) {
    const samples = all.map(
      (s): NumberSample => ({ labels: { ...s.labels }, value: s.value, created: s.created }),
    );
    return { name: f.name, help: f.help, type: "counter", samples, ...unit };
  }
  const samples = all.map((s): HistogramSample => {
    let cumulative = 0;
    const buckets = bounds.map((le, i) => {
      cumulative += (s.counts as number[])[i] as number;
      return { le, count: cumulative };
    });
    return {
      labels: { ...s.labels },
      buckets,
      count: s.value,
      sum: s.sum,
      created: s.created,
    };
  });
  return { name: f.name, help: f.help, type: "histogram", samples, ...unit };
}

function selfFamily(
  out: MetricFamilySnapshot[],
  name: string,
  help: string,
  counts: Map<string, number>,
): void {
  if (counts.size === 0) return;
  out.push({
    name,
    help,
    type: "counter",
    samples: [...counts].map(([metric, value]) => ({ labels: { metric }, value })),
  });
}

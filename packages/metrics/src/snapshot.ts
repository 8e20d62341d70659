/** Label names to values, as exposed. */
export type LabelSet = Readonly<Record<string, string>>;

/** One series of a counter, gauge or info family. */
export interface NumberSample {
  /** The series' labels (without the `service` label or type suffixes). */
  readonly labels: LabelSet;
  /** The current value. For info families it is always 1. */
  readonly value: number;
  /** When the series started counting, in Unix seconds (counters); printed as `_created`. */
  readonly created?: number;
}

/** One bucket of a histogram series. */
export interface HistogramBucket {
  /** Upper bound (inclusive). Finite; the `+Inf` bucket is the sample's `count`. */
  readonly le: number;
  /** Observations less than or equal to `le` (cumulative). */
  readonly count: number;
}

/** One series of a histogram family. */
export interface HistogramSample {
  /** The series' labels. */
  readonly labels: LabelSet;
  /** Cumulative counts per finite upper bound, bounds increasing. */
  readonly buckets: readonly HistogramBucket[];
  /** Number of observations (the `+Inf` bucket). */
  readonly count: number;
  /** Sum of the observations. */
  readonly sum: number;
  /** When the series started counting, in Unix seconds; printed as `_created`. */
  readonly created?: number;
}

interface FamilyBase {
  /**
   * The family name without type suffixes (`_total`, `_info`, `_bucket`…).
   * From {@link Registry.snapshot} it is the exposed name, service prefix
   * included; collectors return it without the service prefix, which the
   * registry adds.
   */
  readonly name: string;
  /** What the metric measures. */
  readonly help: string;
  /** Unit, if any; the name must end with `_<unit>`. */
  readonly unit?: string;
}

/** A counter, gauge or info family with its series. */
export interface NumberFamilySnapshot extends FamilyBase {
  readonly type: "counter" | "gauge" | "info";
  readonly samples: readonly NumberSample[];
}

/** A histogram family with its series. */
export interface HistogramFamilySnapshot extends FamilyBase {
  readonly type: "histogram";
  readonly samples: readonly HistogramSample[];
}

/**
 * A metric family as plain data: what {@link Registry.snapshot} returns and
 * what a {@link Collector} yields to expose metrics kept elsewhere.
 *
 * @example
 * ```ts
 * const family: MetricFamilySnapshot = {
 *   name: "log_messages",
 *   help: "Log records emitted, by level",
 *   type: "counter",
 *   samples: [{ labels: { level: "info" }, value: 42 }],
 * };
 * ```
 */
export type MetricFamilySnapshot = NumberFamilySnapshot | HistogramFamilySnapshot;

/**
 * A source of metric families read at every collection (scrape, push,
 * snapshot). It must be cheap and must not throw; a collector that throws is
 * skipped for that collection.
 */
export type Collector = () => Iterable<MetricFamilySnapshot>;

/** One exposed sample, as a scraper stores it: full sample name, labels, value. */
export interface FlatSample {
  /** The sample name with suffix (`…_total`, `…_bucket`, `…_sum`, `…_count`, `…_info`). */
  readonly name: string;
  /** The labels, `le` included for buckets (`"+Inf"` for the last). */
  readonly labels: LabelSet;
  /** The value. */
  readonly value: number;
}

/**
 * Flattens families into the samples a Prometheus scrape would store, for
 * assertions in tests.
 *
 * @param families - from {@link Registry.snapshot}
 * @returns one entry per exposed sample (no `_created` samples)
 * @example
 * ```ts
 * const samples = flattenSamples(registry.snapshot());
 * samples.find((s) => s.name === "shop_http_requests_total")?.value;
 * ```
 */
export function flattenSamples(families: Iterable<MetricFamilySnapshot>): FlatSample[] {
  const out: FlatSample[] = [];
  for (const family of families) {
    if (family.type === "histogram") {
      for (const s of family.samples) {
        for (const b of s.buckets) {
          out.push({
            name: `${family.name}_bucket`,
            labels: { ...s.labels, le: formatLe(b.le) },
            value: b.count,
          });
        }
        out.push({
          name: `${family.name}_bucket`,
          labels: { ...s.labels, le: "+Inf" },
          value: s.count,
        });
        out.push({ name: `${family.name}_sum`, labels: s.labels, value: s.sum });
        out.push({ name: `${family.name}_count`, labels: s.labels, value: s.count });
      }
    } else {
      const suffix = family.type === "counter" ? "_total" : family.type === "info" ? "_info" : "";
      for (const s of family.samples) {
        out.push({ name: family.name + suffix, labels: s.labels, value: s.value });
      }
    }
  }
  return out;
}

/**
 * Finds the samples named `name` whose labels include `labels`. `name` may be
 * a sample name (`shop_http_requests_total`) or a family name
 * (`shop_http_requests`, meaning its `_total`/`_info` samples, or a
 * histogram's `_count`).
 *
 * @param families - from {@link Registry.snapshot}
 * @param name - sample or family name
 * @param labels - labels the sample must carry (others are ignored). Default: any.
 * @returns the matching samples, possibly empty
 * @example
 * ```ts
 * const [sample] = findSamples(registry.snapshot(), "shop_http_requests_total", { method: "GET" });
 * expect(sample?.value).toBe(1);
 * ```
 */
export function findSamples(
  families: Iterable<MetricFamilySnapshot>,
  name: string,
  labels?: Readonly<Record<string, string | number | boolean>>,
): FlatSample[] {
  const all = flattenSamples(families);
  const byFamily = new Set([`${name}_total`, `${name}_info`, `${name}_count`]);
  let matches = all.filter((s) => s.name === name);
  if (matches.length === 0) matches = all.filter((s) => byFamily.has(s.name));
  if (!labels) return matches;
  const wanted = Object.entries(labels);
  return matches.filter((s) => wanted.every(([k, v]) => s.labels[k] === String(v)));
}

/** Formats a bucket bound the way it is exposed in the `le` label. */
export function formatLe(le: number): string {
  if (le === Number.POSITIVE_INFINITY) return "+Inf";
  if (le === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(le);
}

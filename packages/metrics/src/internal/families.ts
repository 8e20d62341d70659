import { monotonicNow } from "@groundwork/platform";
import type { HistogramSample, MetricFamilySnapshot, NumberSample } from "../snapshot";
import type { LabelValue } from "../spec";
import { escapeHelpOpenMetrics, escapeHelpText, labelPairs } from "./escape";

/** What a family needs from the registry that owns it. */
export interface FamilyHost {
  readonly maxSeriesPerFamily: number;
  /** A recording went to the overflow series. */
  overflowed(family: FamilyCore<SeriesCore>): void;
  /** A recording was dropped because its value was invalid (negative increment, NaN). */
  rejected(family: FamilyCore<SeriesCore>): void;
}

export type FamilyType = "counter" | "gauge" | "histogram" | "info";

/**
 * The value every label takes in the series that collects label sets beyond
 * the limit. A label set whose every value is this marker would print as the
 * overflow series, so it is folded into it rather than kept as a second series
 * with the same labels.
 */
export const OVERFLOW_LABEL_VALUE = "__overflow__";

/** Wall-clock Unix time in seconds, for `_created` and `setToCurrentTime()`. */
function unixSeconds(): number {
  return Date.now() / 1000;
}

export interface FamilyConfig {
  readonly name: string;
  readonly help: string;
  readonly unit: string | undefined;
  readonly labelNames: readonly string[];
  readonly optional: boolean;
  readonly maxSeries: number | undefined;
}

export abstract class SeriesCore {
  /** Escaped `a="x",b="y"`; empty without labels. */
  readonly labelStr: string;
  /** `{a="x",b="y"}` or empty. */
  readonly braced: string;
  readonly labelValues: readonly string[];
  /**
   * Whether this is the family's overflow series: every recording through it
   * is counted, so a handle held across many recordings counts each one.
   */
  isOverflow = false;
  created = 0;
  /** `created` as printed; formatting a float per scrape and series is not free. */
  createdText = "";

  constructor(labelValues: readonly string[], labelStr: string) {
    this.labelValues = labelValues;
    this.labelStr = labelStr;
    this.braced = labelStr === "" ? "" : `{${labelStr}}`;
    this.stamp();
  }

  protected stamp(): void {
    this.created = unixSeconds();
    this.createdText = `${this.created}`;
  }

  abstract reset(): void;
}

type CacheNode = Map<unknown, unknown>;

const NO_LABELS: Readonly<Record<string, LabelValue>> = Object.freeze({});

export abstract class FamilyCore<S extends SeriesCore> {
  abstract readonly type: FamilyType;
  readonly name: string;
  readonly help: string;
  readonly helpText: string;
  readonly helpOpenMetrics: string;
  readonly unit: string | undefined;
  readonly labelNames: readonly string[];
  readonly optional: boolean;
  readonly maxSeries: number | undefined;
  readonly host: FamilyHost;
  /** Series by their escaped label string, in creation order. */
  readonly series = new Map<string, S>();
  overflow: S | undefined;
  // Raw label values → … → series, one map level per label, so a repeated
  // lookup with the same values costs a few Map.get calls and no allocation.
  private cache: CacheNode = new Map();

  constructor(config: FamilyConfig, host: FamilyHost) {
    this.name = config.name;
    this.help = config.help;
    this.helpText = escapeHelpText(config.help);
    this.helpOpenMetrics = escapeHelpOpenMetrics(config.help);
    this.unit = config.unit;
    this.labelNames = config.labelNames;
    this.optional = config.optional;
    this.maxSeries = config.maxSeries;
    this.host = host;
  }

  protected abstract create(labelValues: readonly string[], labelStr: string): S;

  /** The only series of a family without labels, created eagerly so it is exposed as 0. */
  single(): S {
    let s = this.series.get("");
    if (s === undefined) {
      s = this.create([], "");
      this.series.set("", s);
    }
    return s;
  }

  get(values: Readonly<Record<string, LabelValue>>): S {
    const names = this.labelNames;
    const last = names.length - 1;
    if (last < 0) return this.single();
    // Plain JavaScript callers may pass nothing; that must not throw.
    if (values === null || typeof values !== "object") return this.miss(NO_LABELS);
    let node = this.cache;
    for (let i = 0; i < last; i++) {
      const next = node.get(values[names[i] as string]);
      if (next === undefined) return this.miss(values);
      node = next as CacheNode;
    }
    const hit = node.get(values[names[last] as string]);
    return hit === undefined ? this.miss(values) : (hit as S);
  }

  private miss(values: Readonly<Record<string, LabelValue>>): S {
    const names = this.labelNames;
    const strings = names.map((n) => {
      const v = values?.[n];
      return v === undefined || v === null ? "" : String(v);
    });
    const key = labelPairs(names, strings);
    let s = this.series.get(key);
    if (s === undefined) {
      if (
        this.series.size >= (this.maxSeries ?? this.host.maxSeriesPerFamily) ||
        strings.every((v) => v === OVERFLOW_LABEL_VALUE)
      ) {
        // Not cached: the cache must stay as bounded as the series map.
        return this.overflowSeries();
      }
      s = this.create(strings, key);
      this.series.set(key, s);
    }
    this.remember(values, s);
    return s;
  }

  /** The series recordings beyond the limit go to; recordings through it are counted. */
  overflowSeries(): S {
    if (this.overflow === undefined) {
      const o = this.labelNames.map(() => OVERFLOW_LABEL_VALUE);
      this.overflow = this.create(o, labelPairs(this.labelNames, o));
      this.overflow.isOverflow = true;
    }
    return this.overflow;
  }

  private remember(values: Readonly<Record<string, LabelValue>>, s: S): void {
    const names = this.labelNames;
    // Only primitives are cached; anything else would grow the cache without bound.
    for (const n of names) {
      const t = typeof values[n];
      if (t !== "string" && t !== "number" && t !== "boolean") return;
    }
    let node = this.cache;
    for (let i = 0; i < names.length - 1; i++) {
      const k = values[names[i] as string];
      let next = node.get(k) as CacheNode | undefined;
      if (next === undefined) {
        next = new Map();
        node.set(k, next);
      }
      node = next;
    }
    node.set(values[names[names.length - 1] as string], s);
  }

  remove(values: Readonly<Record<string, LabelValue>>): boolean {
    const names = this.labelNames;
    const key = labelPairs(
      names,
      names.map((n) => {
        const v = values?.[n];
        return v === undefined || v === null ? "" : String(v);
      }),
    );
    const removed = this.series.delete(key);
    if (removed) this.cache = new Map();
    return removed;
  }

  clear(): void {
    this.series.clear();
    this.overflow = undefined;
    this.cache = new Map();
    if (this.labelNames.length === 0 && this.type !== "info") this.single();
  }

  reset(): void {
    for (const s of this.series.values()) s.reset();
    this.overflow?.reset();
  }

  /** Series in exposition order: created ones, then the overflow series if any. */
  *all(): IterableIterator<S> {
    yield* this.series.values();
    if (this.overflow !== undefined) yield this.overflow;
  }

  labelsOf(s: S): Record<string, string> {
    const out: Record<string, string> = {};
    const names = this.labelNames;
    for (let i = 0; i < names.length; i++) out[names[i] as string] = s.labelValues[i] ?? "";
    return out;
  }

  abstract snapshot(name: string, extra: Readonly<Record<string, string>>): MetricFamilySnapshot;
}

// ---- counter -------------------------------------------------------------

export class CounterSeries extends SeriesCore {
  value = 0;
  readonly family: CounterFamilyCore;

  constructor(family: CounterFamilyCore, labelValues: readonly string[], labelStr: string) {
    super(labelValues, labelStr);
    this.family = family;
  }

  inc(value?: number): void {
    if (value === undefined) {
      this.value++;
    } else if (value >= 0 && value !== Number.POSITIVE_INFINITY) {
      this.value += value;
    } else {
      this.family.host.rejected(this.family);
      return;
    }
    if (this.isOverflow) this.family.host.overflowed(this.family);
  }

  get(): number {
    return this.value;
  }

  reset(): void {
    this.value = 0;
    this.stamp();
  }
}

export class CounterFamilyCore extends FamilyCore<CounterSeries> {
  readonly type = "counter";
  protected create(labelValues: readonly string[], labelStr: string): CounterSeries {
    return new CounterSeries(this, labelValues, labelStr);
  }
  snapshot(name: string, extra: Readonly<Record<string, string>>): MetricFamilySnapshot {
    const samples: NumberSample[] = [];
    for (const s of this.all()) {
      samples.push({
        labels: { ...extra, ...this.labelsOf(s) },
        value: s.value,
        created: s.created,
      });
    }
    return withUnit({ name, help: this.help, type: "counter", samples }, this.unit);
  }
}

// ---- gauge ---------------------------------------------------------------

export class GaugeSeries extends SeriesCore {
  value = 0;
  readonly family: GaugeFamilyCore;

  constructor(family: GaugeFamilyCore, labelValues: readonly string[], labelStr: string) {
    super(labelValues, labelStr);
    this.family = family;
  }

  set(value: number): void {
    if (typeof value !== "number") {
      this.family.host.rejected(this.family);
      return;
    }
    this.value = value;
    if (this.isOverflow) this.family.host.overflowed(this.family);
  }

  inc(value?: number): void {
    if (value === undefined) this.value++;
    else if (typeof value === "number" && !Number.isNaN(value)) this.value += value;
    else {
      this.family.host.rejected(this.family);
      return;
    }
    if (this.isOverflow) this.family.host.overflowed(this.family);
  }

  dec(value?: number): void {
    if (value === undefined) this.value--;
    else if (typeof value === "number" && !Number.isNaN(value)) this.value -= value;
    else {
      this.family.host.rejected(this.family);
      return;
    }
    if (this.isOverflow) this.family.host.overflowed(this.family);
  }

  setToCurrentTime(): void {
    this.value = unixSeconds();
    if (this.isOverflow) this.family.host.overflowed(this.family);
  }

  get(): number {
    return this.value;
  }

  reset(): void {
    this.value = 0;
    this.stamp();
  }
}

export class GaugeFamilyCore extends FamilyCore<GaugeSeries> {
  readonly type = "gauge";
  protected create(labelValues: readonly string[], labelStr: string): GaugeSeries {
    return new GaugeSeries(this, labelValues, labelStr);
  }
  snapshot(name: string, extra: Readonly<Record<string, string>>): MetricFamilySnapshot {
    const samples: NumberSample[] = [];
    for (const s of this.all())
      samples.push({ labels: { ...extra, ...this.labelsOf(s) }, value: s.value });
    return withUnit({ name, help: this.help, type: "gauge", samples }, this.unit);
  }
}

// ---- histogram -----------------------------------------------------------

export class HistogramSeries extends SeriesCore {
  /** Non-cumulative counts per bucket; the last slot is the +Inf bucket. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  readonly family: HistogramFamilyCore;

  constructor(family: HistogramFamilyCore, labelValues: readonly string[], labelStr: string) {
    super(labelValues, labelStr);
    this.family = family;
    this.counts = new Float64Array(family.bounds.length + 1);
  }

  observe(value: number): void {
    // Rejects NaN and ±Infinity: either would poison _sum forever.
    if (!(value - value === 0)) {
      this.family.host.rejected(this.family);
      return;
    }
    const bounds = this.family.bounds;
    const n = bounds.length;
    let i: number;
    if (n <= 16) {
      i = 0;
      while (i < n && value > (bounds[i] as number)) i++;
    } else {
      let lo = 0;
      let hi = n;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (value > (bounds[mid] as number)) lo = mid + 1;
        else hi = mid;
      }
      i = lo;
    }
    this.counts[i]!++;
    this.sum += value;
    this.count++;
    if (this.isOverflow) this.family.host.overflowed(this.family);
  }

  startTimer(): () => number {
    const start = monotonicNow();
    return () => {
      const seconds = (monotonicNow() - start) / 1000;
      this.observe(seconds);
      return seconds;
    };
  }

  get(): { count: number; sum: number } {
    return { count: this.count, sum: this.sum };
  }

  reset(): void {
    this.counts.fill(0);
    this.sum = 0;
    this.count = 0;
    this.stamp();
  }
}

export class HistogramFamilyCore extends FamilyCore<HistogramSeries> {
  readonly type = "histogram";
  readonly bounds: readonly number[];

  constructor(config: FamilyConfig, host: FamilyHost, bounds: readonly number[]) {
    super(config, host);
    this.bounds = bounds;
  }

  protected create(labelValues: readonly string[], labelStr: string): HistogramSeries {
    return new HistogramSeries(this, labelValues, labelStr);
  }

  snapshot(name: string, extra: Readonly<Record<string, string>>): MetricFamilySnapshot {
    const samples: HistogramSample[] = [];
    for (const s of this.all()) {
      let cumulative = 0;
      const buckets = this.bounds.map((le, i) => {
        cumulative += s.counts[i] as number;
        return { le, count: cumulative };
      });
      samples.push({
        labels: { ...extra, ...this.labelsOf(s) },
        buckets,
        count: s.count,
        sum: s.sum,
        created: s.created,
      });
    }
    return withUnit({ name, help: this.help, type: "histogram", samples }, this.unit);
  }
}

// ---- info ----------------------------------------------------------------

export class InfoSeries extends SeriesCore {
  reset(): void {}
}

export class InfoFamilyCore extends FamilyCore<InfoSeries> {
  readonly type = "info";
  protected create(labelValues: readonly string[], labelStr: string): InfoSeries {
    return new InfoSeries(labelValues, labelStr);
  }
  /** Records a label set; for info metrics, the lookup is the recording. */
  add(values: Readonly<Record<string, LabelValue>>): void {
    if (this.get(values).isOverflow) this.host.overflowed(this);
  }
  snapshot(name: string, extra: Readonly<Record<string, string>>): MetricFamilySnapshot {
    const samples: NumberSample[] = [];
    for (const s of this.all())
      samples.push({ labels: { ...extra, ...this.labelsOf(s) }, value: 1 });
    return { name, help: this.help, type: "info", samples };
  }
}

export type AnyFamilyCore =
  | CounterFamilyCore
  | GaugeFamilyCore
  | HistogramFamilyCore
  | InfoFamilyCore;

function withUnit<T extends MetricFamilySnapshot>(family: T, unit: string | undefined): T {
  return unit === undefined ? family : { ...family, unit };
}

import { MetricsError } from "./errors";
import {
  type AnyFamilyCore,
  CounterFamilyCore,
  type FamilyConfig,
  type FamilyCore,
  type FamilyHost,
  GaugeFamilyCore,
  HistogramFamilyCore,
  InfoFamilyCore,
  type SeriesCore,
} from "./internal/families";
import { type RenderScope, renderFamily, renderSnapshot } from "./internal/render";
import { detectRuntime } from "./internal/runtime";
import { checkBuckets, checkHelp, checkLabelNames, checkMetricName } from "./internal/validate";
import type { Collector, MetricFamilySnapshot } from "./snapshot";
import { DEFAULT_BUCKETS, type MetricSpec } from "./spec";

/** How the service name appears: as a name prefix (`shop_http_requests_total`) or as a `service` label. */
export type ServiceNameFormat = "metric_prefix" | "label";

/** The two exposition formats. */
export type ExpositionFormat = "prometheus" | "openmetrics";

/** Content type of the Prometheus text format 0.0.4. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
/** Content type of OpenMetrics 1.0 text. */
export const OPENMETRICS_CONTENT_TYPE =
  "application/openmetrics-text; version=1.0.0; charset=utf-8";

/** Options of {@link createRegistry} and {@link Registry.configure}. */
export interface RegistryOptions {
  /** Service name, used as prefix or label per `serviceNameFormat`. Default: none (no prefix, no label). */
  service?: string;
  /** Where the service name goes (settings key `service_name_format`). Default `"metric_prefix"`. */
  serviceNameFormat?: ServiceNameFormat;
  /** Expose metrics declared `optional: true` (settings key `report_optional`). Default `false`. */
  reportOptional?: boolean;
  /** Label sets kept per family before new ones go to the overflow series. Default 1000. */
  maxSeriesPerFamily?: number;
  /** Labels of the built-in `build_info` metric, e.g. `{ version: "1.4.2", revision: "a1b2c3" }`. Default: no `build_info`. */
  build?: Readonly<Record<string, string>>;
  /** Expose the built-in `runtime_info{runtime, version}`. Default `true`. */
  runtimeInfo?: boolean;
}

/** The effective configuration of a registry. */
export interface ResolvedRegistryOptions {
  readonly service: string | undefined;
  readonly serviceNameFormat: ServiceNameFormat;
  readonly reportOptional: boolean;
  readonly maxSeriesPerFamily: number;
  readonly build: Readonly<Record<string, string>> | undefined;
  readonly runtimeInfo: boolean;
}

/**
 * Holds metric families and collectors and renders them. Create one with
 * {@link createRegistry} or use {@link defaultRegistry}.
 */
export interface Registry {
  /** The effective configuration. */
  readonly options: ResolvedRegistryOptions;
  /**
   * Changes the configuration, e.g. once settings are loaded; families keep
   * their values. Options not given keep their current value.
   */
  configure(options: RegistryOptions): void;
  /**
   * Renders every family in a text format.
   * @param format - `"prometheus"` (text 0.0.4) or `"openmetrics"` (1.0, ends with `# EOF`). Default `"prometheus"`.
   */
  collect(format?: ExpositionFormat): string;
  /** Every family with its current values, as plain data (service prefix or label applied). */
  snapshot(): MetricFamilySnapshot[];
  /**
   * Adds a source of families kept elsewhere (another package's counters).
   * @returns a function that removes the collector
   */
  registerCollector(collector: Collector): () => void;
  /** Removes a family declared with {@link defineMetrics}, by its `metricName`. @returns whether it existed */
  unregister(metricName: string): boolean;
  /** Sets every value back to zero, keeping families and series (for tests). */
  reset(): void;
  /** Forgets every series of every family (families stay declared). */
  clear(): void;
}

const BUILTIN_GROUP = "metrics";

export class RegistryImpl implements Registry, FamilyHost {
  private config: ResolvedRegistryOptions;
  private scope: RenderScope = { prefix: "", serviceLabel: "" };
  private readonly families = new Map<string, AnyFamilyCore>();
  /** Exposed sample names in use, to refuse a family that would collide. */
  private readonly taken = new Map<string, string>();
  private readonly collectors = new Set<Collector>();
  private readonly overflows = new Map<string, number>();
  private readonly rejections = new Map<string, number>();
  private collectorErrors = 0;
  private readonly runtime = detectRuntime();

  constructor(options: RegistryOptions) {
    this.config = resolve(options, undefined);
    this.scope = scopeOf(this.config);
  }

  get options(): ResolvedRegistryOptions {
    return this.config;
  }

  get maxSeriesPerFamily(): number {
    return this.config.maxSeriesPerFamily;
  }

  configure(options: RegistryOptions): void {
    this.config = resolve(options, this.config);
    this.scope = scopeOf(this.config);
  }

  overflowed(family: FamilyCore<SeriesCore>): void {
    this.overflows.set(family.name, (this.overflows.get(family.name) ?? 0) + 1);
  }

  rejected(family: FamilyCore<SeriesCore>): void {
    this.rejections.set(family.name, (this.rejections.get(family.name) ?? 0) + 1);
  }

  define(group: string, key: string, spec: MetricSpec): AnyFamilyCore {
    checkMetricName(group, "metric group");
    if (spec === null || typeof spec !== "object" || !("type" in spec) || !("options" in spec)) {
      throw new MetricsError(
        "ERR_METRIC_OPTIONS",
        `metric ${group}.${key}: expected counter(), gauge(), histogram() or info()`,
      );
    }
    checkMetricName(key, `metric ${group}.${key}: name`);
    const o = spec.options;
    let name = `${group}_${key}`;
    if (spec.type === "counter" && name.endsWith("_total")) name = name.slice(0, -"_total".length);
    if (spec.type === "info" && name.endsWith("_info")) name = name.slice(0, -"_info".length);
    const unit = "unit" in o ? o.unit : undefined;
    if (unit !== undefined) {
      if (!/^[a-zA-Z0-9_]+$/.test(unit)) {
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
    const reserved = spec.type === "histogram" ? ["le", "service"] : ["service"];
    checkLabelNames(name, labelNames, reserved);
    if (o.maxSeries !== undefined && !(Number.isInteger(o.maxSeries) && o.maxSeries >= 1)) {
      throw new MetricsError(
        "ERR_METRIC_OPTIONS",
        `metric ${name}: maxSeries must be a positive integer`,
      );
    }
    const exposed = exposedNames(spec.type, name);
    for (const n of exposed) {
      const owner = this.taken.get(n);
      if (owner !== undefined) {
        throw new MetricsError(
          "ERR_METRIC_DUPLICATE",
          owner === name
            ? `metric ${name} is already defined in this registry`
            : `metric ${name} would expose ${n}, which ${owner} already exposes`,
        );
      }
    }
    const config: FamilyConfig = {
      name,
      help: o.help,
      unit,
      labelNames,
      optional: o.optional === true,
      maxSeries: o.maxSeries,
    };
    let family: AnyFamilyCore;
    switch (spec.type) {
      case "counter":
        family = new CounterFamilyCore(config, this);
        break;
      case "gauge":
        family = new GaugeFamilyCore(config, this);
        break;
      case "histogram":
        family = new HistogramFamilyCore(
          config,
          this,
          checkBuckets(name, spec.options.buckets ?? DEFAULT_BUCKETS),
        );
        break;
      case "info":
        family = new InfoFamilyCore(config, this);
        break;
      default:
        throw new MetricsError(
          "ERR_METRIC_OPTIONS",
          `metric ${name}: unknown type ${JSON.stringify((spec as { type: unknown }).type)}`,
        );
    }
    if (labelNames.length === 0 && family.type !== "info") family.single();
    for (const n of exposed) this.taken.set(n, name);
    this.families.set(name, family);
    return family;
  }

  unregister(metricName: string): boolean {
    const family = this.families.get(metricName);
    if (family === undefined) return false;
    this.families.delete(metricName);
    for (const n of exposedNames(family.type, metricName)) this.taken.delete(n);
    return true;
  }

  registerCollector(collector: Collector): () => void {
    this.collectors.add(collector);
    return () => {
      this.collectors.delete(collector);
    };
  }

  private visible(family: AnyFamilyCore): boolean {
    return !family.optional || this.config.reportOptional;
  }

  collect(format: ExpositionFormat = "prometheus"): string {
    const om = format === "openmetrics";
    const scope = this.scope;
    let out = "";
    for (const family of this.families.values()) {
      if (this.visible(family)) out += renderFamily(family, scope, om);
    }
    for (const family of this.external(true)) out += renderSnapshot(family, om);
    return om ? `${out}# EOF\n` : out;
  }

  snapshot(): MetricFamilySnapshot[] {
    return this.gather(true);
  }

  /**
   * Families named without the service prefix or label: for OTLP, where the
   * service is a resource attribute.
   */
  unscopedSnapshot(): MetricFamilySnapshot[] {
    return this.gather(false);
  }

  private gather(scoped: boolean): MetricFamilySnapshot[] {
    const extra = scoped ? this.extraLabels() : {};
    const prefix = scoped ? this.scope.prefix : "";
    const out: MetricFamilySnapshot[] = [];
    for (const family of this.families.values()) {
      if (this.visible(family)) out.push(family.snapshot(prefix + family.name, extra));
    }
    out.push(...this.external(scoped));
    return out;
  }

  reset(): void {
    for (const family of this.families.values()) family.reset();
    this.overflows.clear();
    this.rejections.clear();
    this.collectorErrors = 0;
  }

  clear(): void {
    for (const family of this.families.values()) family.clear();
  }

  private extraLabels(): Readonly<Record<string, string>> {
    const { service, serviceNameFormat } = this.config;
    return service !== undefined && serviceNameFormat === "label" ? { service } : {};
  }

  /** Families from collectors and built-ins, already named and labelled for exposition. */
  private external(scoped: boolean): MetricFamilySnapshot[] {
    const out: MetricFamilySnapshot[] = [];
    const seen = new Set<string>();
    const extra = scoped ? this.extraLabels() : {};
    const prefix = scoped ? this.scope.prefix : "";
    const accept = (family: MetricFamilySnapshot): void => {
      const name = prefix + family.name;
      const clash = exposedNames(family.type, family.name).some((n) => this.taken.has(n));
      if (!isValidSnapshot(family) || seen.has(name) || clash) {
        this.collectorErrors++;
        return;
      }
      seen.add(name);
      out.push(relabel(family, name, extra));
    };
    for (const collector of this.collectors) {
      try {
        for (const family of collector()) accept(family);
      } catch {
        // A broken collector must not break the scrape; it shows up in the error count.
        this.collectorErrors++;
      }
    }
    for (const family of this.builtins(prefix)) accept(family);
    return out;
  }

  private builtins(prefix: string): MetricFamilySnapshot[] {
    const out: MetricFamilySnapshot[] = [];
    if (this.config.build !== undefined) {
      out.push({
        name: "build",
        help: "Build information of the service",
        type: "info",
        samples: [{ labels: this.config.build, value: 1 }],
      });
    }
    if (this.config.runtimeInfo) {
      out.push({
        name: "runtime",
        help: "JavaScript runtime running the service",
        type: "info",
        samples: [
          { labels: { runtime: this.runtime.runtime, version: this.runtime.version }, value: 1 },
        ],
      });
    }
    const perMetric = (name: string, help: string, counts: Map<string, number>): void => {
      if (counts.size === 0) return;
      out.push({
        name: `${BUILTIN_GROUP}_${name}`,
        help,
        type: "counter",
        samples: [...counts].map(([metric, value]) => ({
          labels: { metric: prefix + metric },
          value,
        })),
      });
    };
    perMetric(
      "series_overflow",
      "Recordings redirected to a family's overflow series because its series limit was reached",
      this.overflows,
    );
    perMetric(
      "invalid_values",
      "Recordings dropped because the value was invalid (negative increment, NaN, infinite)",
      this.rejections,
    );
    if (this.collectorErrors > 0) {
      out.push({
        name: `${BUILTIN_GROUP}_collector_errors`,
        help: "Collector failures and invalid or duplicate families returned by collectors",
        type: "counter",
        samples: [{ labels: {}, value: this.collectorErrors }],
      });
    }
    return out;
  }
}

function exposedNames(type: string, name: string): string[] {
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

const NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function isValidSnapshot(family: MetricFamilySnapshot): boolean {
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

function relabel(
  family: MetricFamilySnapshot,
  name: string,
  extra: Readonly<Record<string, string>>,
): MetricFamilySnapshot {
  const hasExtra = "service" in extra;
  if (family.type === "histogram") {
    return {
      ...family,
      name,
      samples: hasExtra
        ? family.samples.map((s) => ({ ...s, labels: { ...extra, ...s.labels } }))
        : family.samples,
    };
  }
  return {
    ...family,
    name,
    samples: hasExtra
      ? family.samples.map((s) => ({ ...s, labels: { ...extra, ...s.labels } }))
      : family.samples,
  };
}

function resolve(
  options: RegistryOptions,
  base: ResolvedRegistryOptions | undefined,
): ResolvedRegistryOptions {
  const service = "service" in options ? options.service : base?.service;
  const serviceNameFormat = options.serviceNameFormat ?? base?.serviceNameFormat ?? "metric_prefix";
  if (serviceNameFormat !== "metric_prefix" && serviceNameFormat !== "label") {
    throw new MetricsError(
      "ERR_METRIC_OPTIONS",
      `serviceNameFormat must be "metric_prefix" or "label", got ${JSON.stringify(serviceNameFormat)}`,
    );
  }
  const maxSeriesPerFamily = options.maxSeriesPerFamily ?? base?.maxSeriesPerFamily ?? 1000;
  if (!(Number.isInteger(maxSeriesPerFamily) && maxSeriesPerFamily >= 1)) {
    throw new MetricsError("ERR_METRIC_OPTIONS", "maxSeriesPerFamily must be a positive integer");
  }
  if (service !== undefined && (typeof service !== "string" || service === "")) {
    throw new MetricsError("ERR_METRIC_OPTIONS", "service must be a non-empty string");
  }
  const build = "build" in options ? options.build : base?.build;
  if (build !== undefined) {
    checkLabelNames("build_info", Object.keys(build), ["service"]);
  }
  return {
    service,
    serviceNameFormat,
    reportOptional: options.reportOptional ?? base?.reportOptional ?? false,
    maxSeriesPerFamily,
    build,
    runtimeInfo: options.runtimeInfo ?? base?.runtimeInfo ?? true,
  };
}

function scopeOf(config: ResolvedRegistryOptions): RenderScope {
  if (config.service === undefined) return { prefix: "", serviceLabel: "" };
  if (config.serviceNameFormat === "label") {
    return { prefix: "", serviceLabel: `service="${escapeLabel(config.service)}"` };
  }
  return { prefix: `${servicePrefix(config.service)}_`, serviceLabel: "" };
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/** Service names often contain `-` or `.`; as a name prefix those become `_`. */
function servicePrefix(service: string): string {
  const cleaned = service.replace(/[^a-zA-Z0-9_]/g, "_");
  return /^[0-9]/.test(cleaned) ? `_${cleaned}` : cleaned;
}

/** The metrics part of the SDK's settings, with the YAML keys. */
export interface MetricsSettings {
  /** `metric_prefix` (default) or `label`. */
  service_name_format?: ServiceNameFormat;
  /** Expose optional metrics. Default `false`. */
  report_optional?: boolean;
}

/**
 * Maps the snake_case settings keys (as in the YAML config) to registry
 * options; the one place where the two spellings meet.
 *
 * @param settings - `service_name_format` and `report_optional`, each optional
 * @param service - the service name. Default: none.
 * @returns options for {@link createRegistry} or {@link Registry.configure}
 * @example
 * ```ts
 * defaultRegistry.configure(registryOptionsFromSettings({ service_name_format: "label" }, "shop"));
 * ```
 */
export function registryOptionsFromSettings(
  settings: MetricsSettings,
  service?: string,
): RegistryOptions {
  return {
    ...(service === undefined ? {} : { service }),
    ...(settings.service_name_format === undefined
      ? {}
      : { serviceNameFormat: settings.service_name_format }),
    ...(settings.report_optional === undefined ? {} : { reportOptional: settings.report_optional }),
  };
}

/**
 * Creates an independent registry, e.g. one per test or per tenant.
 *
 * @param options - `service` (default none), `serviceNameFormat` (default
 *   `"metric_prefix"`), `reportOptional` (default `false`),
 *   `maxSeriesPerFamily` (default 1000), `build` (default none),
 *   `runtimeInfo` (default `true`)
 * @returns an empty registry
 * @example
 * ```ts
 * const registry = createRegistry({ service: "shop" });
 * const http = defineMetrics("http", { requests: counter({ help: "Requests" }) }, { registry });
 * http.requests.inc();
 * registry.collect(); // "# HELP shop_http_requests_total Requests\n…"
 * ```
 */
export function createRegistry(options: RegistryOptions = {}): Registry {
  return new RegistryImpl(options);
}

/**
 * The registry {@link defineMetrics} uses when none is given. Configure it
 * once the service name is known.
 *
 * @example
 * ```ts
 * defaultRegistry.configure({ service: "shop", build: { version: "1.4.2" } });
 * ```
 */
export const defaultRegistry: Registry = createRegistry();

/** Options of {@link defineMetrics}. */
export interface DefineMetricsOptions {
  /** Registry to declare the families in. Default {@link defaultRegistry}. */
  registry?: Registry;
}

/** Internal: the registry implementation behind a public handle. */
export function registryImpl(registry: Registry): RegistryImpl {
  if (!(registry instanceof RegistryImpl)) {
    throw new MetricsError("ERR_METRIC_OPTIONS", "registry must come from createRegistry()");
  }
  return registry;
}

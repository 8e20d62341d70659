import { detectRuntime } from "@groundwork/platform";
import { MetricsError } from "./errors";
import type { ExpositionFormat } from "./format";
import {
  type AnyFamilyCore,
  CounterFamilyCore,
  type FamilyCore,
  type FamilyHost,
  GaugeFamilyCore,
  HistogramFamilyCore,
  InfoFamilyCore,
  type SeriesCore,
} from "./internal/families";
import { resolveOptions, scopeOf, serviceLabels } from "./internal/options";
import { type RenderScope, renderFamily, renderSnapshot } from "./internal/render";
import { SelfMetrics } from "./internal/self-metrics";
import { UNSCOPED_SNAPSHOT, type UnscopedSource } from "./internal/unscoped";
import { checkDefinition, exposedNames, isValidSnapshot } from "./internal/validate";
import type { Collector, MetricFamilySnapshot } from "./snapshot";
import type { MetricSpec } from "./spec";

/** How the service name appears: as a name prefix (`shop_http_requests_total`) or as a `service` label. */
export type ServiceNameFormat = "metric_prefix" | "label";

/** Options of {@link createRegistry} and {@link Registry.configure}. */
export interface RegistryOptions {
  /** Service name, used as prefix or label per `serviceNameFormat`. Default: none (no prefix, no label). */
  serviceName?: string;
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
  readonly serviceName: string | undefined;
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
   * @throws MetricsError `ERR_INVALID_OPTION` for invalid options (the configuration is then unchanged)
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

export class RegistryImpl implements Registry, FamilyHost, UnscopedSource {
  private config: ResolvedRegistryOptions;
  private scope: RenderScope;
  private readonly families = new Map<string, AnyFamilyCore>();
  /** Exposed sample names in use, to refuse a family that would collide. */
  private readonly taken = new Map<string, string>();
  private readonly collectors = new Set<Collector>();
  private readonly self = new SelfMetrics();
  private readonly runtime = detectRuntime();

  constructor(options: RegistryOptions) {
    this.config = resolveOptions(options, undefined);
    this.scope = scopeOf(this.config);
  }

  get options(): ResolvedRegistryOptions {
    return this.config;
  }

  get maxSeriesPerFamily(): number {
    return this.config.maxSeriesPerFamily;
  }

  configure(options: RegistryOptions): void {
    this.config = resolveOptions(options, this.config);
    this.scope = scopeOf(this.config);
  }

  overflowed(family: FamilyCore<SeriesCore>): void {
    this.self.overflowed(family.name);
  }

  rejected(family: FamilyCore<SeriesCore>): void {
    this.self.rejected(family.name);
  }

  define(group: string, key: string, spec: MetricSpec): AnyFamilyCore {
    const def = checkDefinition(group, key, spec);
    const exposed = exposedNames(def.type, def.name);
    for (const n of exposed) {
      const owner = this.taken.get(n);
      if (owner !== undefined) {
        throw new MetricsError(
          "ERR_METRIC_DUPLICATE",
          owner === def.name
            ? `metric ${def.name} is already defined in this registry`
            : `metric ${def.name} would expose ${n}, which ${owner} already exposes`,
        );
      }
    }
    let family: AnyFamilyCore;
    switch (def.type) {
      case "counter":
        family = new CounterFamilyCore(def, this);
        break;
      case "gauge":
        family = new GaugeFamilyCore(def, this);
        break;
      case "histogram":
        family = new HistogramFamilyCore(def, this, def.bounds);
        break;
      case "info":
        family = new InfoFamilyCore(def, this);
        break;
    }
    if (def.labelNames.length === 0 && family.type !== "info") family.single();
    for (const n of exposed) this.taken.set(n, def.name);
    this.families.set(def.name, family);
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

  [UNSCOPED_SNAPSHOT](): MetricFamilySnapshot[] {
    return this.gather(false);
  }

  private gather(scoped: boolean): MetricFamilySnapshot[] {
    const extra = scoped ? serviceLabels(this.config) : {};
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
    this.self.reset();
  }

  clear(): void {
    for (const family of this.families.values()) family.clear();
  }

  /** Families from collectors and built-ins, already named and labelled for exposition. */
  private external(scoped: boolean): MetricFamilySnapshot[] {
    const out: MetricFamilySnapshot[] = [];
    const seen = new Set<string>();
    const extra = scoped ? serviceLabels(this.config) : {};
    const prefix = scoped ? this.scope.prefix : "";
    const accept = (family: MetricFamilySnapshot): void => {
      const name = prefix + family.name;
      const clash = exposedNames(family.type, family.name).some((n) => this.taken.has(n));
      if (!isValidSnapshot(family) || seen.has(name) || clash) {
        this.self.collectorFailed();
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
        this.self.collectorFailed();
      }
    }
    for (const family of this.self.families(prefix, this.config, this.runtime)) accept(family);
    return out;
  }
}

/** Renames a family for exposition and adds the service label, if any, to every sample. */
function relabel(
  family: MetricFamilySnapshot,
  name: string,
  extra: Readonly<Record<string, string>>,
): MetricFamilySnapshot {
  if (!("service" in extra)) return { ...family, name };
  const samples = family.samples.map((s) => ({ ...s, labels: { ...extra, ...s.labels } }));
  return { ...family, name, samples } as MetricFamilySnapshot;
}

/**
 * Creates an independent registry, e.g. one per test or per tenant.
 *
 * @param options - `serviceName` (default none), `serviceNameFormat` (default
 *   `"metric_prefix"`), `reportOptional` (default `false`),
 *   `maxSeriesPerFamily` (default 1000), `build` (default none),
 *   `runtimeInfo` (default `true`)
 * @returns an empty registry
 * @throws MetricsError `ERR_INVALID_OPTION` for invalid options
 * @example
 * ```ts
 * const registry = createRegistry({ serviceName: "shop" });
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
 * defaultRegistry.configure({ serviceName: "shop", build: { version: "1.4.2" } });
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
    throw new MetricsError("ERR_INVALID_OPTION", "registry must come from createRegistry()");
  }
  return registry;
}

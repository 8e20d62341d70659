import { MetricsError } from "./errors";
import type {
  AnyFamilyCore,
  CounterFamilyCore,
  GaugeFamilyCore,
  HistogramFamilyCore,
  InfoFamilyCore,
} from "./internal/families";
import { type DefineMetricsOptions, defaultRegistry, registryImpl } from "./registry";
import type { LabelValue, MetricSpec } from "./spec";
import type { MetricGroup } from "./types";

type Labels = Readonly<Record<string, LabelValue>>;

/**
 * Declares a group of metrics once and returns typed handles. Each metric is
 * exposed as `<service>_<group>_<name>` (counters with `_total`, info with
 * `_info`); the label names given in the declaration are the only ones the
 * compiler accepts when recording.
 *
 * Names, label names, help text and buckets are checked here, so mistakes
 * fail at startup with a {@link MetricsError}, not at scrape time
 * (`ERR_INVALID_OPTION` for a malformed spec or a registry not made by
 * {@link createRegistry}).
 *
 * @param group - the middle part of every name, e.g. `"http"`
 * @param spec - metric name → `counter()`, `gauge()`, `histogram()` or `info()`
 * @param options - `registry` (default {@link defaultRegistry})
 * @returns one handle per metric: callable with a label set for labelled
 *   families, or directly usable (`.inc()`, `.set()`, `.observe()`) without labels
 * @example
 * ```ts
 * const http = defineMetrics("http", {
 *   requests: counter({ help: "HTTP requests served", labels: ["method", "status"] }),
 *   latency: histogram({ help: "Request latency", unit: "seconds", labels: ["route"] }),
 *   inflight: gauge({ help: "Requests in flight" }),
 * });
 * http.requests({ method: "GET", status: 200 }).inc();
 * http.latency.observe({ route: "/" }, 0.012);
 * http.inflight.inc();
 * ```
 */
export function defineMetrics<const S extends Record<string, MetricSpec>>(
  group: string,
  spec: S,
  options: DefineMetricsOptions = {},
): MetricGroup<S> {
  if (spec === null || typeof spec !== "object") {
    throw new MetricsError("ERR_INVALID_OPTION", `metric group ${group}: spec must be an object`);
  }
  const registry = registryImpl(options?.registry ?? defaultRegistry);
  const out: Record<string, unknown> = {};
  const defined: string[] = [];
  try {
    for (const key of Object.keys(spec)) {
      const family = registry.define(group, key, spec[key] as MetricSpec);
      defined.push(family.name);
      out[key] = handleFor(family);
    }
  } catch (error) {
    // All or nothing: a bad declaration must not leave half a group behind.
    for (const name of defined) registry.unregister(name);
    throw error;
  }
  return Object.freeze(out) as MetricGroup<S>;
}

function describe<T extends object>(handle: T, family: AnyFamilyCore): T {
  return Object.defineProperties(handle, {
    metricName: { value: family.name, enumerable: true },
    type: { value: family.type, enumerable: true },
    labelNames: { value: Object.freeze([...family.labelNames]), enumerable: true },
  });
}

function handleFor(family: AnyFamilyCore): unknown {
  switch (family.type) {
    case "counter":
      return counterHandle(family);
    case "gauge":
      return gaugeHandle(family);
    case "histogram":
      return histogramHandle(family);
    case "info":
      return infoHandle(family);
  }
}

function labelled(family: AnyFamilyCore): boolean {
  return family.labelNames.length > 0;
}

function counterHandle(family: CounterFamilyCore): unknown {
  if (!labelled(family)) {
    const get = () => family.single();
    return describe(
      Object.assign(() => get(), {
        inc: (value?: number) => get().inc(value),
        get: () => get().get(),
      }),
      family,
    );
  }
  return describe(
    Object.assign((labels: Labels) => family.get(labels), {
      inc: (labels: Labels, value?: number) => family.get(labels).inc(value),
      remove: (labels: Labels) => family.remove(labels),
      clear: () => family.clear(),
    }),
    family,
  );
}

function gaugeHandle(family: GaugeFamilyCore): unknown {
  if (!labelled(family)) {
    const get = () => family.single();
    return describe(
      Object.assign(() => get(), {
        set: (value: number) => get().set(value),
        inc: (value?: number) => get().inc(value),
        dec: (value?: number) => get().dec(value),
        setToCurrentTime: () => get().setToCurrentTime(),
        get: () => get().get(),
      }),
      family,
    );
  }
  return describe(
    Object.assign((labels: Labels) => family.get(labels), {
      set: (labels: Labels, value: number) => family.get(labels).set(value),
      inc: (labels: Labels, value?: number) => family.get(labels).inc(value),
      dec: (labels: Labels, value?: number) => family.get(labels).dec(value),
      remove: (labels: Labels) => family.remove(labels),
      clear: () => family.clear(),
    }),
    family,
  );
}

function histogramHandle(family: HistogramFamilyCore): unknown {
  if (!labelled(family)) {
    const get = () => family.single();
    return describe(
      Object.assign(() => get(), {
        observe: (value: number) => get().observe(value),
        startTimer: () => get().startTimer(),
        get: () => get().get(),
      }),
      family,
    );
  }
  return describe(
    Object.assign((labels: Labels) => family.get(labels), {
      observe: (labels: Labels, value: number) => family.get(labels).observe(value),
      startTimer: (labels: Labels) => family.get(labels).startTimer(),
      remove: (labels: Labels) => family.remove(labels),
      clear: () => family.clear(),
    }),
    family,
  );
}

function infoHandle(family: InfoFamilyCore): unknown {
  return describe(
    {
      set: (labels: Labels) => {
        family.clear();
        family.add(labels);
      },
      add: (labels: Labels) => family.add(labels),
      remove: (labels: Labels) => family.remove(labels),
      clear: () => family.clear(),
    },
    family,
  );
}

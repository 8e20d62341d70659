import { counter, defineMetrics, type Registry } from "@groundwork/metrics";

const spec = {
  events: counter({
    help: "Tracker events logged, by website and kind (pageview, event)",
    labels: ["website", "kind"] as const,
  }),
  dropped: counter({
    help: "Tracker requests dropped, by reason",
    labels: ["reason"] as const,
  }),
};

/** The tracker's metric handles. */
export type TrackerMetrics = ReturnType<typeof defineTrackerMetrics>;

function defineTrackerMetrics(registry: Registry) {
  return defineMetrics("tracker", spec, { registry });
}

// Several handlers may share a registry; the families are declared once per registry.
const byRegistry = new WeakMap<Registry, TrackerMetrics>();

export function trackerMetrics(registry: Registry): TrackerMetrics {
  let metrics = byRegistry.get(registry);
  if (metrics === undefined) {
    metrics = defineTrackerMetrics(registry);
    byRegistry.set(registry, metrics);
  }
  return metrics;
}

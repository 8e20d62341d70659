import type { MetricFamilySnapshot } from "../snapshot";

/**
 * Key of the registry method that returns families without the service prefix
 * or label (OTLP carries the service as a resource attribute). A registered
 * symbol, because the `./otlp` entry is built separately from the root and
 * must still find the method on a root-built registry.
 */
export const UNSCOPED_SNAPSHOT: unique symbol = Symbol.for("@groundwork/metrics.unscopedSnapshot");

/** A registry as the OTLP pusher reads it. */
export interface UnscopedSource {
  [UNSCOPED_SNAPSHOT](): MetricFamilySnapshot[];
}

/** Whether `value` is a registry made by `createRegistry` (from any copy of the package). */
export function isUnscopedSource(value: unknown): value is UnscopedSource {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as Partial<UnscopedSource>)[UNSCOPED_SNAPSHOT] === "function"
  );
}

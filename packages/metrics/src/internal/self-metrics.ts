import type { RuntimeInfo } from "@groundwork/platform";
import type { ResolvedRegistryOptions } from "../registry";
import type { MetricFamilySnapshot } from "../snapshot";

const GROUP = "metrics";

/**
 * The registry's metrics about itself and its service: `build_info`,
 * `runtime_info`, and what it dropped or redirected. Counts are kept per
 * family name, so they are bounded by the number of declared families.
 */
export class SelfMetrics {
  private readonly overflows = new Map<string, number>();
  private readonly rejections = new Map<string, number>();
  private collectorErrors = 0;

  /** A recording went to a family's overflow series. */
  overflowed(family: string): void {
    this.overflows.set(family, (this.overflows.get(family) ?? 0) + 1);
  }

  /** A recording was dropped because its value was invalid. */
  rejected(family: string): void {
    this.rejections.set(family, (this.rejections.get(family) ?? 0) + 1);
  }

  /** A collector threw, or returned an invalid or duplicate family. */
  collectorFailed(): void {
    this.collectorErrors++;
  }

  reset(): void {
    this.overflows.clear();
    this.rejections.clear();
    this.collectorErrors = 0;
  }

  /**
   * The families to expose, named without the service prefix; `prefix` is
   * what the `metric` label of the per-family counters carries.
   */
  families(
    prefix: string,
    config: ResolvedRegistryOptions,
    runtime: RuntimeInfo,
  ): MetricFamilySnapshot[] {
    const out: MetricFamilySnapshot[] = [];
    if (config.build !== undefined) {
      out.push({
        name: "build",
        help: "Build information of the service",
        type: "info",
        samples: [{ labels: config.build, value: 1 }],
      });
    }
    if (config.runtimeInfo) {
      out.push({
        name: "runtime",
        help: "JavaScript runtime running the service",
        type: "info",
        samples: [{ labels: { runtime: runtime.runtime, version: runtime.version }, value: 1 }],
      });
    }
    const perFamily = (name: string, help: string, counts: Map<string, number>): void => {
      if (counts.size === 0) return;
      out.push({
        name: `${GROUP}_${name}`,
        help,
        type: "counter",
        samples: [...counts].map(([metric, value]) => ({
          labels: { metric: prefix + metric },
          value,
        })),
      });
    };
    perFamily(
      "series_overflow",
      "Recordings redirected to a family's overflow series because its series limit was reached",
      this.overflows,
    );
    perFamily(
      "invalid_values",
      "Recordings dropped because the value was invalid (negative increment, NaN, infinite)",
      this.rejections,
    );
    if (this.collectorErrors > 0) {
      out.push({
        name: `${GROUP}_collector_errors`,
        help: "Collector failures and invalid or duplicate families returned by collectors",
        type: "counter",
        samples: [{ labels: {}, value: this.collectorErrors }],
      });
    }
    return out;
  }
}

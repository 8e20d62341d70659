import { MetricsError } from "../errors";
import type { RegistryOptions, ResolvedRegistryOptions } from "../registry";
import { escapeLabelValue } from "./escape";
import type { RenderScope } from "./render";
import { checkLabelNames } from "./validate";

function invalid(message: string): MetricsError {
  return new MetricsError("ERR_INVALID_OPTION", message);
}

/** Checks `options` and merges them over `base` (the current configuration, if any). */
export function resolveOptions(
  options: RegistryOptions,
  base: ResolvedRegistryOptions | undefined,
): ResolvedRegistryOptions {
  if (options === null || typeof options !== "object") {
    throw invalid("registry options must be an object");
  }
  const serviceName = "serviceName" in options ? options.serviceName : base?.serviceName;
  if (serviceName !== undefined && (typeof serviceName !== "string" || serviceName === "")) {
    throw invalid("serviceName must be a non-empty string");
  }
  const serviceNameFormat = options.serviceNameFormat ?? base?.serviceNameFormat ?? "metric_prefix";
  if (serviceNameFormat !== "metric_prefix" && serviceNameFormat !== "label") {
    throw invalid(
      `serviceNameFormat must be "metric_prefix" or "label", got ${JSON.stringify(serviceNameFormat)}`,
    );
  }
  const maxSeriesPerFamily = options.maxSeriesPerFamily ?? base?.maxSeriesPerFamily ?? 1000;
  if (!(Number.isInteger(maxSeriesPerFamily) && maxSeriesPerFamily >= 1)) {
    throw invalid("maxSeriesPerFamily must be a positive integer");
  }
  const reportOptional = options.reportOptional ?? base?.reportOptional ?? false;
  if (typeof reportOptional !== "boolean") throw invalid("reportOptional must be a boolean");
  const runtimeInfo = options.runtimeInfo ?? base?.runtimeInfo ?? true;
  if (typeof runtimeInfo !== "boolean") throw invalid("runtimeInfo must be a boolean");
  const build = "build" in options ? options.build : base?.build;
  if (build !== undefined) {
    if (build === null || typeof build !== "object") throw invalid("build must be an object");
    checkLabelNames("build_info", Object.keys(build), ["service"]);
    for (const [key, value] of Object.entries(build)) {
      if (typeof value !== "string") throw invalid(`build.${key} must be a string`);
    }
  }
  return { serviceName, serviceNameFormat, reportOptional, maxSeriesPerFamily, build, runtimeInfo };
}

/** The prefix or label the service name becomes in the text formats. */
export function scopeOf(config: ResolvedRegistryOptions): RenderScope {
  if (config.serviceName === undefined) return { prefix: "", serviceLabel: "" };
  if (config.serviceNameFormat === "label") {
    return { prefix: "", serviceLabel: `service="${escapeLabelValue(config.serviceName)}"` };
  }
  return { prefix: `${servicePrefix(config.serviceName)}_`, serviceLabel: "" };
}

/** The labels the service name adds to snapshots: `{ service }` in label mode, else none. */
export function serviceLabels(config: ResolvedRegistryOptions): Readonly<Record<string, string>> {
  const { serviceName, serviceNameFormat } = config;
  return serviceName !== undefined && serviceNameFormat === "label" ? { service: serviceName } : {};
}

/** Service names often contain `-` or `.`; as a name prefix those become `_`. */
function servicePrefix(serviceName: string): string {
  const cleaned = serviceName.replace(/[^a-zA-Z0-9_]/g, "_");
  return /^[0-9]/.test(cleaned) ? `_${cleaned}` : cleaned;
}

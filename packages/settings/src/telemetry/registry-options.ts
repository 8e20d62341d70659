import type { RegistryOptions } from "@groundwork/metrics";
import { SettingsError } from "../errors";
import type { MetricsSettings } from "./telemetry-settings";

/** Service identity for {@link registryOptionsFromSettings}. */
export interface RegistryOptionsContext {
  /** The service name, used as metric prefix or label per `service_name_format`. Default: none. */
  readonly serviceName?: string;
}

/**
 * Maps the SDK's `telemetry.metrics` settings (snake_case, as in the YAML) onto
 * the options of `createRegistry` / `Registry.configure` from `@groundwork/metrics`
 * — the one place where those settings keys meet option names.
 *
 * @param settings - validated `telemetry.metrics` settings
 * @param context - `serviceName` (default: none, so no prefix and no label)
 * @returns registry options
 * @throws {@link SettingsError} `ERR_INVALID_OPTION` for an empty `serviceName`
 * @example
 * ```ts
 * import { createRegistry } from "@groundwork/metrics";
 * const registry = createRegistry(
 *   registryOptionsFromSettings(settings.telemetry.metrics, { serviceName: "shop" }),
 * );
 * ```
 */
export function registryOptionsFromSettings(
  settings: MetricsSettings,
  context: RegistryOptionsContext = {},
): RegistryOptions {
  const { serviceName } = context;
  if (serviceName !== undefined && (typeof serviceName !== "string" || serviceName === "")) {
    throw new SettingsError(
      [{ code: "invalid", path: [], message: "serviceName must be a non-empty string" }],
      { code: "ERR_INVALID_OPTION" },
    );
  }
  return {
    ...(serviceName === undefined ? {} : { serviceName }),
    serviceNameFormat: settings.service_name_format,
    reportOptional: settings.report_optional,
  };
}

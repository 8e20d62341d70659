import type { TelemetryOptions } from "@groundwork/core";

type Env = Readonly<Record<string, string | undefined>>;

const nonEmpty = (value: string | undefined): string | undefined =>
  value === undefined || value.trim() === "" ? undefined : value.trim();

/**
 * Applies the standard OpenTelemetry environment variables that concern
 * trace export over options built from settings; they win over the settings
 * file, as in the OpenTelemetry SDKs:
 *
 * - `OTEL_SDK_DISABLED=true`: no tracing;
 * - `OTEL_TRACES_EXPORTER`: `otlp` (default), `console`, or `none`;
 * - `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` (used as is) or `OTEL_EXPORTER_OTLP_ENDPOINT` (`/v1/traces` appended);
 * - `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL` / `OTEL_EXPORTER_OTLP_PROTOCOL`: `http/protobuf` or `http/json`;
 * - `OTEL_TRACES_SAMPLER_ARG`: the sampling ratio, 0 to 1.
 *
 * Unknown values are ignored (telemetry configuration never stops a service).
 */
export function applyOtelEnv(options: TelemetryOptions, env: Env): TelemetryOptions {
  const tracing = options.tracing;
  if (tracing === false || tracing === undefined) return options;
  if (nonEmpty(env.OTEL_SDK_DISABLED)?.toLowerCase() === "true") {
    const { exporter: _dropped, ...rest } = tracing;
    return { ...options, tracing: { ...rest, enabled: false } };
  }
  const next = { ...tracing };
  const ratio = Number(nonEmpty(env.OTEL_TRACES_SAMPLER_ARG) ?? Number.NaN);
  if (ratio >= 0 && ratio <= 1) next.samplingRatio = ratio;

  const kind = nonEmpty(env.OTEL_TRACES_EXPORTER)?.toLowerCase();
  if (kind === "none") {
    delete next.exporter;
    return { ...options, tracing: next };
  }
  if (kind === "console") {
    next.exporter = "console";
    return { ...options, tracing: next };
  }
  const exporter = next.exporter;
  // Only OTLP options are adjusted; a console or custom exporter stays as given.
  if (exporter === undefined || typeof exporter !== "object" || "export" in exporter) {
    return { ...options, tracing: next };
  }
  const base = nonEmpty(env.OTEL_EXPORTER_OTLP_ENDPOINT);
  const endpoint =
    nonEmpty(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) ??
    (base === undefined ? undefined : `${base.replace(/\/+$/, "")}/v1/traces`);
  const protocol =
    nonEmpty(env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL) ?? nonEmpty(env.OTEL_EXPORTER_OTLP_PROTOCOL);
  next.exporter = {
    ...exporter,
    ...(endpoint === undefined ? {} : { endpoint }),
    ...(protocol === "http/protobuf" || protocol === "http/json" ? { protocol } : {}),
  };
  return { ...options, tracing: next };
}

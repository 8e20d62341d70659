import { type EnvSource, readEnv } from "@groundwork/platform";
import { DiagLogLevel } from "@opentelemetry/api";
import type { BatchSpanProcessorOptions } from "./otlp/batch-processor";
import type { OtlpProtocol } from "./otlp/sender";

// The standard OpenTelemetry SDK environment variables, read from an explicit
// source. They sit below code options and settings: createTelemetry uses a
// value from here only where the options leave it unset. A malformed value is
// ignored with one warning naming the variable, the value and the default.

/** What the standard `OTEL_*` variables of an environment ask for; unset parts are `undefined`. */
export interface TelemetryEnv {
  /** `OTEL_SDK_DISABLED=true`. */
  disabled: boolean;
  /** `OTEL_SERVICE_NAME`, else `service.name` from `OTEL_RESOURCE_ATTRIBUTES`. */
  serviceName: string | undefined;
  /** `OTEL_RESOURCE_ATTRIBUTES` without `service.name`. */
  resourceAttributes: Record<string, string> | undefined;
  /** Traces endpoint: `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` as is, or `OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/traces`. */
  endpoint: string | undefined;
  /** `OTEL_EXPORTER_OTLP_[TRACES_]HEADERS`. */
  headers: Record<string, string> | undefined;
  /** `OTEL_EXPORTER_OTLP_[TRACES_]TIMEOUT`, milliseconds. */
  timeoutMs: number | undefined;
  /** `OTEL_EXPORTER_OTLP_[TRACES_]PROTOCOL`. */
  protocol: OtlpProtocol | undefined;
  /** From `OTEL_TRACES_SAMPLER` / `OTEL_TRACES_SAMPLER_ARG`. */
  samplingRatio: number | undefined;
  /** `OTEL_BSP_SCHEDULE_DELAY`, `OTEL_BSP_EXPORT_TIMEOUT`, `OTEL_BSP_MAX_QUEUE_SIZE`, `OTEL_BSP_MAX_EXPORT_BATCH_SIZE`. */
  batch: BatchSpanProcessorOptions;
  /** `OTEL_LOG_LEVEL`: the level of OpenTelemetry's diagnostic logger. */
  diagLevel: DiagLogLevel | undefined;
  /** One message per malformed variable. */
  warnings: string[];
}

const DIAG_LEVELS: Record<string, DiagLogLevel> = {
  none: DiagLogLevel.NONE,
  error: DiagLogLevel.ERROR,
  warn: DiagLogLevel.WARN,
  info: DiagLogLevel.INFO,
  debug: DiagLogLevel.DEBUG,
  verbose: DiagLogLevel.VERBOSE,
  all: DiagLogLevel.ALL,
};

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** `k1=v1,k2=v2` with percent-encoded values (W3C Baggage format); undefined when malformed. */
function parsePairs(text: string): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const part of text.split(",")) {
    if (part.trim() === "") continue;
    const eq = part.indexOf("=");
    if (eq <= 0) return undefined;
    const key = decode(part.slice(0, eq).trim());
    if (key === "") return undefined;
    out[key] = decode(part.slice(eq + 1).trim());
  }
  return out;
}

/**
 * Reads the standard OpenTelemetry variables from `env`. Never throws.
 *
 * @param env - the environment source (Node's `process.env`, a Worker's `env`, a test's object).
 * @returns what the variables ask for, and a warning for each malformed one.
 */
export function readTelemetryEnv(env: EnvSource): TelemetryEnv {
  const warnings: string[] = [];
  const get = (name: string): string | undefined => {
    const v = readEnv(name, env)?.trim();
    return v === undefined || v === "" ? undefined : v;
  };
  const warn = (name: string, value: string, expected: string, fallback: string) => {
    warnings.push(
      `ignoring ${name}=${JSON.stringify(value)}: expected ${expected}; using ${fallback}`,
    );
  };
  const integer = (name: string, fallback: string, min: number): number | undefined => {
    const v = get(name);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (/^\d+$/.test(v) && Number.isSafeInteger(n) && n >= min) return n;
    warn(name, v, `an integer of at least ${min}`, fallback);
    return undefined;
  };
  const pick = (traces: string, generic: string) => (get(traces) !== undefined ? traces : generic);

  const sdkDisabled = get("OTEL_SDK_DISABLED");
  let disabled = false;
  if (sdkDisabled !== undefined) {
    const lower = sdkDisabled.toLowerCase();
    if (lower === "true") disabled = true;
    else if (lower !== "false") warn("OTEL_SDK_DISABLED", sdkDisabled, "true or false", "false");
  }

  let resourceAttributes: Record<string, string> | undefined;
  let serviceName = get("OTEL_SERVICE_NAME");
  const resourceText = get("OTEL_RESOURCE_ATTRIBUTES");
  if (resourceText !== undefined) {
    const pairs = parsePairs(resourceText);
    if (pairs === undefined) {
      warn("OTEL_RESOURCE_ATTRIBUTES", resourceText, "key=value pairs separated by commas", "none");
    } else {
      const { "service.name": fromResource, ...rest } = pairs;
      serviceName ??= fromResource === "" ? undefined : fromResource;
      resourceAttributes = rest;
    }
  }

  let endpoint: string | undefined;
  const tracesEndpoint = get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
  const baseEndpoint = get("OTEL_EXPORTER_OTLP_ENDPOINT");
  const validUrl = (name: string, v: string): boolean => {
    if (/^https?:\/\/[^/]/.test(v)) return true;
    warn(name, v, "an http:// or https:// URL", "no exporter from the environment");
    return false;
  };
  if (tracesEndpoint !== undefined) {
    if (validUrl("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", tracesEndpoint)) endpoint = tracesEndpoint;
  } else if (baseEndpoint !== undefined) {
    if (validUrl("OTEL_EXPORTER_OTLP_ENDPOINT", baseEndpoint)) {
      endpoint = `${baseEndpoint.replace(/\/+$/, "")}/v1/traces`;
    }
  }

  let headers: Record<string, string> | undefined;
  const headersName = pick("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "OTEL_EXPORTER_OTLP_HEADERS");
  const headersText = get(headersName);
  if (headersText !== undefined) {
    headers = parsePairs(headersText);
    if (headers === undefined) {
      warn(headersName, headersText, "key=value pairs separated by commas", "no extra headers");
    }
  }

  const timeoutName = pick("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "OTEL_EXPORTER_OTLP_TIMEOUT");
  const timeoutMs = integer(timeoutName, "the default timeout (10000 ms)", 1);

  let protocol: OtlpProtocol | undefined;
  const protocolName = pick("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL");
  const protocolText = get(protocolName);
  if (protocolText !== undefined) {
    if (protocolText === "http/protobuf" || protocolText === "http/json") protocol = protocolText;
    else warn(protocolName, protocolText, '"http/protobuf" or "http/json"', '"http/protobuf"');
  }

  let samplingRatio: number | undefined;
  const sampler = get("OTEL_TRACES_SAMPLER")?.toLowerCase();
  const samplerArg = get("OTEL_TRACES_SAMPLER_ARG");
  if (sampler !== undefined) {
    switch (sampler) {
      case "always_on":
      case "parentbased_always_on":
        samplingRatio = 1;
        break;
      case "always_off":
      case "parentbased_always_off":
        samplingRatio = 0;
        break;
      case "traceidratio":
      case "parentbased_traceidratio": {
        samplingRatio = 1;
        if (samplerArg !== undefined) {
          const n = Number(samplerArg);
          if (Number.isFinite(n) && n >= 0 && n <= 1) samplingRatio = n;
          else warn("OTEL_TRACES_SAMPLER_ARG", samplerArg, "a number in [0, 1]", "1");
        }
        break;
      }
      default:
        warn(
          "OTEL_TRACES_SAMPLER",
          sampler,
          "always_on, always_off, traceidratio or their parentbased_ forms",
          "the default sampler",
        );
    }
  }

  const batch: BatchSpanProcessorOptions = {};
  const delay = integer("OTEL_BSP_SCHEDULE_DELAY", "the default (5000 ms)", 0);
  if (delay !== undefined) batch.scheduledDelayMs = delay;
  const exportTimeout = integer("OTEL_BSP_EXPORT_TIMEOUT", "the default (30000 ms)", 1);
  if (exportTimeout !== undefined) batch.exportTimeoutMs = exportTimeout;
  const queue = integer("OTEL_BSP_MAX_QUEUE_SIZE", "the default (from the rate, 2048–16384)", 1);
  if (queue !== undefined) batch.maxQueueSize = queue;
  const batchSize = integer("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "the default (512)", 1);
  if (batchSize !== undefined) batch.maxBatchSize = batchSize;

  let diagLevel: DiagLogLevel | undefined;
  const logLevel = get("OTEL_LOG_LEVEL");
  if (logLevel !== undefined) {
    diagLevel = DIAG_LEVELS[logLevel.toLowerCase()];
    if (diagLevel === undefined) {
      warn("OTEL_LOG_LEVEL", logLevel, "none, error, warn, info, debug, verbose or all", "none");
    }
  }

  return {
    disabled,
    serviceName,
    resourceAttributes,
    endpoint,
    headers,
    timeoutMs,
    protocol,
    samplingRatio,
    batch,
    diagLevel,
    warnings,
  };
}

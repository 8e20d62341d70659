import { z } from "zod";
import { byteSize } from "../helpers/byte-size";
import { duration } from "../helpers/duration";
import { secret } from "../helpers/secret";
import { socketAddr } from "../helpers/socket-addr";
import { url } from "../helpers/url";
import { logLevel } from "./log-level";

function rateLimit(what: string, perSecond: number, burst: number) {
  return z
    .object({
      enabled: z.boolean().default(false).describe(`Enables the limit on ${what}.`),
      max_events_per_second: z
        .number()
        .int()
        .positive()
        .default(perSecond)
        .describe(`Sustained number of ${what} allowed per second.`),
      burst: z
        .number()
        .int()
        .positive()
        .default(burst)
        .describe(
          `How many ${what} may happen at once above the sustained rate before the limit applies.`,
        ),
    })
    .prefault({});
}

const logging = z
  .object({
    output: z
      .union([
        z.enum(["terminal", "stderr", "console"]),
        z.strictObject({
          file: z.string().min(1).describe("Path of the log file; lines are appended."),
        }),
      ])
      .default("terminal")
      .describe(
        "Where log lines go: `terminal` (standard output), `stderr`, `console` (the runtime's console, as in Workers), or `{ file: <path> }`.",
      ),
    format: z
      .enum(["text", "json"])
      .default("text")
      .describe("Line format: `text` for people, `json` (one object per line) for log pipelines."),
    verbosity: logLevel()
      .prefault("INFO")
      // Shown upper-case in the default YAML, as the level names are usually written there.
      .meta({ default: "INFO" })
      .describe(
        "The lowest level that is written (`TRACE`, `DEBUG`, `INFO`, `WARN`, `ERROR` or `FATAL`, in any case); less severe records cost almost nothing.",
      ),
    redact_keys: z
      .array(z.string())
      .default([])
      .describe(
        "Field names whose values are replaced by `[REDACTED]` in log output and span events.",
      ),
    rate_limit: rateLimit("log records", 10_000, 1_000).describe(
      "Rate limit for log records across the whole process.\n\nRecords over the limit are dropped and counted in the log volume metrics.",
    ),
    max_line_size: byteSize()
      .refine((bytes) => bytes >= 1, "expected at least 1 byte")
      .default(65_536)
      .describe(
        "Largest log line, in UTF-8 bytes (`64KiB`, `1MiB`…).\n\nA record over it keeps its time, level, message, trace ids and service; its largest fields are cut first, marked, and counted in the log volume metrics.",
      ),
  })
  .prefault({});

const exporter = z
  .object({
    endpoint: url()
      // Core's default traces endpoint (`DEFAULT_OTLP_TRACES_ENDPOINT`), as the OpenTelemetry specification gives it.
      .default("http://localhost:4318/v1/traces")
      .describe("OTLP/HTTP endpoint that spans are sent to."),
    protocol: z
      .enum(["http/protobuf", "http/json"])
      .default("http/protobuf")
      .describe("OTLP encoding: `http/protobuf` or `http/json`."),
    headers: z
      .record(
        z.string(),
        secret().describe(
          "Header value; may be `env:NAME` or `file:/path` to keep it out of the file.",
        ),
      )
      .default({})
      .describe("Extra HTTP headers sent with every export, such as an authorization token."),
    timeout: duration().default(10_000).describe("How long one export request may take."),
    max_queue_size: z
      .union([z.literal("auto"), z.number().int().positive()])
      .default("auto")
      .describe(
        "Spans kept in memory while waiting for export; beyond this they are dropped and counted. `auto`: one second of spans at the measured rate, 2048 to 16384.",
      ),
    max_batch_size: z
      .number()
      .int()
      .positive()
      .default(512)
      .describe("Most spans sent in one export request."),
    scheduled_delay: duration()
      .default(5_000)
      .describe("How long finished spans may wait before a partly filled batch is sent."),
    export_timeout: duration()
      .default(30_000)
      .describe(
        "How long one batch export may take, retries included; also bounds the flush at shutdown.",
      ),
  })
  .prefault({});

const tracing = z
  .object({
    enabled: z.boolean().default(true).describe("Enables tracing."),
    sampling_ratio: z
      .number()
      .min(0)
      .max(1)
      .default(1)
      .describe(
        "Fraction of new traces that are recorded, from 0.0 to 1.0.\n\nTraces continued from a sampled parent, and traces forked from a sampled trace, are always recorded.",
      ),
    rate_limit: rateLimit("new traces", 100, 100).describe(
      "Rate limit for starting sampled traces, applied after `sampling_ratio`.",
    ),
    exporter: exporter.describe("Where and how spans are exported (OTLP over HTTP)."),
  })
  .prefault({});

const metrics = z
  .object({
    service_name_format: z
      .enum(["metric_prefix", "label"])
      .default("metric_prefix")
      .describe(
        "How the service name appears in metrics: `metric_prefix` puts it in front of every metric name (`myapp_http_requests_total`), `label` adds a `service` label instead.",
      ),
    report_optional: z
      .boolean()
      .default(false)
      .describe("Whether metrics declared as optional are reported."),
  })
  .prefault({});

const server = z
  .object({
    enabled: z
      .boolean()
      .default(true)
      .describe("Enables the telemetry server (/health, /metrics and the debug endpoints)."),
    addr: socketAddr()
      .default("127.0.0.1:0")
      .describe("Address the telemetry server listens on; port 0 picks a free port."),
    debug_routes: z
      .boolean()
      .default(true)
      .describe(
        "Serves the debug endpoints: /debug/traces (recent sampled traces), /debug/heap (a V8 heap snapshot) and /debug/cpu (a CPU profile).\n\nA heap snapshot pauses the process while it is taken; keep the server on a private address or turn these off.",
      ),
    process_metrics: z
      .boolean()
      .default(true)
      .describe(
        "Adds process metrics to /metrics: CPU time, memory, event-loop lag, GC pauses and open resources.",
      ),
  })
  .prefault({});

/**
 * The SDK's own settings, to embed in an application's settings under
 * `telemetry`. Keys are snake_case, as in the YAML. Every field has a default,
 * so an empty `telemetry:` section (or none) is valid.
 *
 * @example
 * ```ts
 * import { z } from "zod";
 * import { defineSettings, telemetrySettings } from "@groundwork/settings";
 *
 * const Settings = defineSettings(z.object({ telemetry: telemetrySettings }));
 * Settings.defaults().telemetry.tracing.sampling_ratio; // 1
 * ```
 */
export const telemetrySettings = z
  .object({
    logging: logging.describe("Logging settings."),
    tracing: tracing.describe("Distributed tracing settings."),
    metrics: metrics.describe("Metrics settings."),
    server: server.describe("Telemetry server settings."),
  })
  .prefault({})
  .describe("Telemetry settings.");

/**
 * Validated telemetry settings, as read from `telemetry:`.
 *
 * - `logging.output`: `"terminal" | "stderr" | "console" | { file }`; `logging.verbosity`
 *   is core's `LogLevel` (written in any case in YAML, lower-case here); `logging.redact_keys`
 *   lists field names.
 * - `tracing.exporter.timeout` is in milliseconds; `tracing.exporter.headers` values
 *   are {@link Secret}s (call `.reveal()` when sending).
 * - `server.addr` is `host:port`; split it with `parseSocketAddr`.
 */
export type TelemetrySettings = z.output<typeof telemetrySettings>;

/** What may be written under `telemetry:` (every key optional). */
export type TelemetrySettingsInput = z.input<typeof telemetrySettings>;

/** `telemetry.logging`: output, format, verbosity, redaction and the process-wide log rate limit. */
export type LoggingSettings = TelemetrySettings["logging"];

/** `telemetry.tracing`: enablement, sampling ratio, trace rate limit and the OTLP exporter. */
export type TracingSettings = TelemetrySettings["tracing"];

/** `telemetry.tracing.exporter`: OTLP/HTTP endpoint, encoding, headers (secrets), timeout (ms), queue and batch sizes. */
export type ExporterSettings = TracingSettings["exporter"];

/** A rate limit as configured: `enabled`, sustained `max_events_per_second`, and `burst`. */
export type RateLimitSettings = LoggingSettings["rate_limit"];

/**
 * `telemetry.metrics`: how the service name appears and whether optional metrics
 * are reported. Map it to registry options with `registryOptionsFromSettings`.
 */
export type MetricsSettings = TelemetrySettings["metrics"];

/** `telemetry.server`: whether the telemetry server runs, its `host:port` address, and whether it serves debug routes and process metrics. */
export type ServerSettings = TelemetrySettings["server"];

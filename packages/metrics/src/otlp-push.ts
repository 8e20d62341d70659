// The OTLP pusher without the registry's code: it imports nothing from the package root (no
// `defaultRegistry`, created at load time, so a bundle that only pushes stays small).
import {
  createOtlpHttpSender,
  createServiceResource,
  decodePartialSuccess,
  type ExportOutcome,
  type OtlpHttpSender,
  type OtlpProtocol,
  type OtlpRetryOptions,
  partialSuccessError,
  resolveRetryPolicy,
} from "@groundwork/core/otlp";
import { setUnrefInterval } from "@groundwork/platform";
import { type Attributes, diag, type HrTime } from "@opentelemetry/api";
import type { Resource } from "@opentelemetry/resources";
import type {
  AggregationTemporality,
  DataPoint,
  DataPointType,
  Histogram,
  MetricData,
  ResourceMetrics,
} from "@opentelemetry/sdk-metrics";
import { MetricsError } from "./errors";
import { isUnscopedSource, UNSCOPED_SNAPSHOT } from "./internal/unscoped";
import type { Registry } from "./registry";
import type { Collector, HistogramSample, MetricFamilySnapshot, NumberSample } from "./snapshot";

/** Default OTLP/HTTP metrics endpoint (a local collector). */
export const DEFAULT_OTLP_METRICS_ENDPOINT = "http://localhost:4318/v1/metrics";

/**
 * `cumulative`: every push carries totals since the series started (what
 * Prometheus-style backends expect). `delta`: every push carries what changed
 * since the previous successful push.
 */
export type MetricsTemporality = "cumulative" | "delta";

/**
 * Options of {@link createOtlpMetricsPusherFor}: what to push, where, and how often.
 *
 * @example
 * ```ts
 * import { createRegistry } from "@groundwork/metrics";
 *
 * const options: OtlpMetricsPushOptions = { registry: createRegistry(), intervalMs: 0 };
 * ```
 */
export interface OtlpMetricsPushOptions {
  /**
   * What to push: a registry made by `createRegistry`, or a collector whose families (named
   * without the service prefix) are read at every push. Required.
   */
  registry: Registry | Collector;
  /** Full URL of the OTLP/HTTP metrics endpoint. Default {@link DEFAULT_OTLP_METRICS_ENDPOINT}. */
  endpoint?: string;
  /** Extra request headers (authentication). Default none. */
  headers?: Readonly<Record<string, string>>;
  /** Timeout of each attempt in milliseconds. Default 10 000 (the sender's default). */
  timeoutMs?: number;
  /** Retry policy of the sender. Default: the core sender's policy. */
  retry?: OtlpRetryOptions;
  /** A ready sender (shared with other signals, or a test double). Default: one built from the options above. */
  sender?: OtlpHttpSender;
  /**
   * How long a push may stay in flight before the pusher counts it as abandoned and a new
   * `flush()` starts a fresh push instead of waiting on it (a Worker invocation cut off
   * mid-push never settles its promise). An abandoned push never moves the delta baseline.
   * Default: the sender's worst case from `timeoutMs` and `retry` (every attempt timing out
   * after its longest backoff, within the retry budget) plus one second.
   */
  abandonAfterMs?: number;
  /** Temporality of counters and histograms. Default `"cumulative"`. */
  temporality?: MetricsTemporality;
  /**
   * Push every `intervalMs` milliseconds. Default 60 000. `0` disables the
   * timer: call `flush()` yourself (Workers: `ctx.waitUntil(pusher.flush())`).
   * Where a timer cannot start (a Worker's global scope) the pusher works on
   * demand only.
   */
  intervalMs?: number;
  /**
   * The OpenTelemetry resource. Default: `service.name` from the registry's
   * `serviceName` option (`unknown_service` without one, and for a collector) and the SDK
   * attributes.
   */
  resource?: Resource;
}

/** Counters of a pusher. */
export interface OtlpMetricsPusherStats {
  /** Pushes the endpoint accepted. */
  readonly pushed: number;
  /** Pushes given up on (after the sender's retries). */
  readonly failed: number;
  /** Data points the endpoint refused in accepted pushes (OTLP `partial_success`). */
  readonly rejectedDataPoints: number;
}

/** Pushes a registry (or a collector's families) over OTLP/HTTP, on an interval and on demand. */
export interface OtlpMetricsPusher {
  /**
   * Collects and pushes now, after a push already in flight if any; calls
   * made meanwhile share that next push. A push in flight for longer than
   * `abandonAfterMs` is not waited for: a fresh push starts.
   * @returns the sender's outcome; never rejects
   */
  flush(): Promise<ExportOutcome>;
  /** Stops the timer, pushes one last time and shuts the sender down. Idempotent. */
  shutdown(): Promise<void>;
  /** How many pushes succeeded and failed, and data points refused, so far. */
  stats(): OtlpMetricsPusherStats;
}

/**
 * How a metrics export request is written for one OTLP/HTTP protocol.
 * `protobufMetricsEncoding` and `jsonMetricsEncoding` of `@groundwork/metrics/otlp` are the
 * two; they are separate values so that a bundle keeps only the one it uses (see
 * {@link createOtlpMetricsPusherFor}).
 *
 * @example
 * ```ts
 * import { protobufMetricsEncoding } from "@groundwork/metrics/otlp";
 *
 * const encoding: OtlpMetricsEncoding = protobufMetricsEncoding;
 * ```
 */
export interface OtlpMetricsEncoding {
  /** The protocol the bodies are in; sets the request's `content-type`. */
  readonly protocol: OtlpProtocol;
  /** Encodes one export request (may throw). */
  encode(request: ResourceMetrics): Uint8Array | undefined;
  /** Decodes an export response body, for its `partial_success` (may throw). */
  decodeResponse(body: Uint8Array): unknown;
}

const SCOPE = { name: "@groundwork/metrics" };
// Enum values of the OpenTelemetry metrics data model, spelled out so that
// only types are imported from the SDK package.
const HISTOGRAM = 0 as DataPointType.HISTOGRAM;
const GAUGE = 2 as DataPointType.GAUGE;
const SUM = 3 as DataPointType.SUM;
const DELTA = 0 as AggregationTemporality.DELTA;
const CUMULATIVE = 1 as AggregationTemporality.CUMULATIVE;
const DOUBLE = 1; // ValueType.DOUBLE

// Prometheus-style unit words to the UCUM codes OTLP expects.
const UCUM: Readonly<Record<string, string>> = {
  seconds: "s",
  milliseconds: "ms",
  microseconds: "us",
  nanoseconds: "ns",
  bytes: "By",
  ratio: "1",
  celsius: "Cel",
  meters: "m",
};

/**
 * Pushes a registry's metrics, or a collector's, over OTLP/HTTP in one given encoding, so
 * that a bundle (a Worker's) holds only that encoding's code and none of the registry's:
 * this module imports nothing from the package root. Families keep their names without the
 * service prefix (the service is the `service.name` resource attribute); counters become
 * monotonic sums, gauges gauges, info metrics gauges of 1, histograms explicit-bucket
 * histograms. `createOtlpMetricsPusher` of `@groundwork/metrics/otlp` picks the encoding
 * from a protocol name and pushes the default registry unless given one.
 *
 * Memory stays bounded: delta temporality remembers one previous value per live series,
 * and forgets series that disappeared.
 *
 * @param encoding - `protobufMetricsEncoding` or `jsonMetricsEncoding` of
 *   `@groundwork/metrics/otlp`, or another {@link OtlpMetricsEncoding}
 * @param options - registry or collector (required), endpoint (default
 *   {@link DEFAULT_OTLP_METRICS_ENDPOINT}), temporality (default cumulative), intervalMs
 *   (default 60 000; 0 = only on flush), sender/headers/timeout/retry, resource
 * @returns the pusher; call `shutdown()` when the service stops
 * @throws MetricsError `ERR_INVALID_OPTION` for invalid options (a registry not made by
 *   `createRegistry` and not a function, an unknown temporality, a negative or non-finite
 *   interval or timeout, an endpoint that is not an http(s) URL, a `sender` without
 *   `send()` and `shutdown()`)
 * @example
 * ```ts
 * import { createRegistry } from "@groundwork/metrics";
 * import { protobufMetricsEncoding } from "@groundwork/metrics/otlp";
 *
 * const registry = createRegistry({ serviceName: "edge" });
 * const pusher = createOtlpMetricsPusherFor(protobufMetricsEncoding, { registry, intervalMs: 0 });
 * ```
 */
export function createOtlpMetricsPusherFor(
  encoding: OtlpMetricsEncoding,
  options: OtlpMetricsPushOptions,
): OtlpMetricsPusher {
  const registry = options?.registry;
  let collect: () => MetricFamilySnapshot[];
  if (typeof registry === "function") {
    collect = () => [...registry()];
  } else if (isUnscopedSource(registry)) {
    collect = () => registry[UNSCOPED_SNAPSHOT]();
  } else {
    invalid("registry must come from createRegistry() or be a collector function");
  }
  const protocol = encoding.protocol;
  const endpoint = options.endpoint ?? DEFAULT_OTLP_METRICS_ENDPOINT;
  if (typeof endpoint !== "string" || !/^https?:\/\/[^/]/i.test(endpoint)) {
    invalid(`endpoint must be an http(s) URL, got ${JSON.stringify(endpoint)}`);
  }
  if (
    options.timeoutMs !== undefined &&
    !(
      typeof options.timeoutMs === "number" &&
      options.timeoutMs > 0 &&
      options.timeoutMs < Infinity
    )
  ) {
    invalid("timeoutMs must be a positive finite number of milliseconds");
  }
  const temporality = options.temporality ?? "cumulative";
  if (temporality !== "cumulative" && temporality !== "delta") {
    invalid(`temporality must be "cumulative" or "delta", got ${JSON.stringify(temporality)}`);
  }
  const intervalMs = options.intervalMs ?? 60_000;
  if (!(typeof intervalMs === "number" && intervalMs >= 0 && intervalMs < Infinity)) {
    invalid("intervalMs must be a finite number of milliseconds, 0 or more");
  }
  const abandonAfterMs = options.abandonAfterMs ?? worstCaseMs(options);
  if (!(typeof abandonAfterMs === "number" && abandonAfterMs > 0)) {
    invalid("abandonAfterMs must be a positive number of milliseconds");
  }
  const given = options.sender;
  if (
    given !== undefined &&
    (given === null || typeof given.send !== "function" || typeof given.shutdown !== "function")
  ) {
    invalid("sender must have send() and shutdown() methods");
  }
  const sender =
    options.sender ??
    createOtlpHttpSender({
      endpoint,
      protocol,
      ...(options.headers === undefined ? {} : { headers: options.headers }),
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      ...(options.retry === undefined ? {} : { retry: options.retry }),
    });
  const delta = temporality === "delta" ? new DeltaState() : undefined;
  let pushed = 0;
  let failed = 0;
  let rejectedDataPoints = 0;
  const deserialize = (body: Uint8Array): unknown => encoding.decodeResponse(body);
  let closed = false;

  const resource = (): Resource =>
    options.resource ??
    createServiceResource({
      serviceName:
        (typeof registry === "function" ? undefined : registry.options?.serviceName) ??
        "unknown_service",
    });

  // Pushes started so far; a push commits its delta only if none started after it (a push
  // counted as abandoned may still settle later, in Node).
  let started = 0;

  async function push(): Promise<ExportOutcome> {
    const id = ++started;
    let body: Uint8Array;
    const now = Date.now() / 1000;
    let commit: (() => void) | undefined;
    try {
      const families = collect();
      const converted = delta
        ? delta.convert(families, now)
        : { metrics: toMetrics(families, now, undefined), commit: undefined };
      commit = converted.commit;
      const request: ResourceMetrics = {
        resource: resource(),
        scopeMetrics: [{ scope: SCOPE, metrics: converted.metrics }],
      };
      const encoded = encoding.encode(request);
      if (encoded === undefined) throw new Error("encoder returned nothing");
      body = encoded;
    } catch (error) {
      failed++;
      return {
        ok: false,
        retryable: false,
        reason: "serialization",
        attempts: 0,
        detail: String(error),
      };
    }
    const outcome = await sender.send(body);
    if (outcome.ok) {
      pushed++;
      const partial = decodePartialSuccess(outcome.response, deserialize, "rejectedDataPoints");
      if (partial !== undefined) {
        // Accepted, so not retried (OTLP forbids it): counted and reported.
        rejectedDataPoints += partial.rejected;
        diag.warn(`otlp metrics: ${partialSuccessError(partial).message}`);
      }
      // Only an accepted push moves the delta baseline; otherwise the next
      // push carries the change again.
      if (id === started) commit?.();
    } else {
      failed++;
    }
    return outcome;
  }

  // A flush must include everything recorded before it was called, so while a
  // push is in flight the next one is queued (and shared by later callers).
  // A push in flight past `abandonAfterMs` is forgotten, with the push queued behind it:
  // its delta changes were never committed, so the fresh push carries them.
  let running: Promise<ExportOutcome> | undefined;
  let runningSince = 0;
  let queued: Promise<ExportOutcome> | undefined;
  function start(): Promise<ExportOutcome> {
    const current: Promise<ExportOutcome> = push().finally(() => {
      if (running === current) running = undefined;
    });
    running = current;
    runningSince = Date.now();
    return current;
  }
  function flush(): Promise<ExportOutcome> {
    if (running !== undefined && Date.now() - runningSince > abandonAfterMs) {
      running = undefined;
      queued = undefined;
    }
    if (queued !== undefined) return queued;
    if (running === undefined) return start();
    const next: Promise<ExportOutcome> = running.then(() => {
      if (queued === next) queued = undefined;
      return start();
    });
    queued = next;
    return next;
  }

  const stopTimer =
    intervalMs > 0
      ? setUnrefInterval(() => {
          void flush();
        }, intervalMs)
      : undefined;

  let shutdownPromise: Promise<void> | undefined;
  return {
    flush: () =>
      closed
        ? Promise.resolve({
            ok: false,
            retryable: false,
            reason: "shutdown",
            attempts: 0,
            detail: "pusher is shut down",
          })
        : flush(),
    shutdown() {
      if (shutdownPromise === undefined) {
        stopTimer?.();
        shutdownPromise = (async () => {
          await flush();
          closed = true;
          await sender.shutdown();
        })();
      }
      return shutdownPromise;
    },
    stats: () => ({ pushed, failed, rejectedDataPoints }),
  };
}

/** The longest a send with these options can take, plus a second. */
function worstCaseMs(options: OtlpMetricsPushOptions): number {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const policy = resolveRetryPolicy(options.retry);
  const attempts = policy.maxAttempts;
  const unbudgeted = timeoutMs * attempts + policy.maxBackoffMs * (attempts - 1);
  // Past the retry budget no attempt starts, and the last one is cut at the budget's end.
  return Math.min(unbudgeted, policy.maxElapsedMs + timeoutMs) + 1000;
}

function hrTime(seconds: number): HrTime {
  const whole = Math.floor(seconds);
  const nanos = Math.min(999_999_999, Math.round((seconds - whole) * 1e9));
  return [whole, nanos];
}

function otlpUnit(unit: string | undefined): string {
  if (unit === undefined) return "";
  return UCUM[unit] ?? unit;
}

function descriptor(family: MetricFamilySnapshot) {
  return {
    name: family.name,
    description: family.help,
    unit: otlpUnit(family.unit),
    valueType: DOUBLE,
  };
}

type SeriesStart = (
  family: string,
  labels: Readonly<Record<string, string>>,
  created: number | undefined,
) => number;

/** Cumulative conversion; `start` picks each point's start time. */
function toMetrics(
  families: readonly MetricFamilySnapshot[],
  now: number,
  start: SeriesStart | undefined,
): MetricData[] {
  const end = hrTime(now);
  const startOf = (
    family: string,
    s: { labels: Readonly<Record<string, string>>; created?: number },
  ) => hrTime(start ? start(family, s.labels, s.created) : (s.created ?? now));
  const out: MetricData[] = [];
  for (const family of families) {
    if (family.type === "histogram") {
      out.push({
        descriptor: descriptor(family),
        aggregationTemporality: start ? DELTA : CUMULATIVE,
        dataPointType: HISTOGRAM,
        dataPoints: family.samples.map(
          (s): DataPoint<Histogram> => ({
            startTime: startOf(family.name, s),
            endTime: end,
            attributes: s.labels as Attributes,
            value: histogramValue(s),
          }),
        ),
      });
    } else if (family.type === "counter") {
      out.push({
        descriptor: descriptor(family),
        aggregationTemporality: start ? DELTA : CUMULATIVE,
        dataPointType: SUM,
        isMonotonic: true,
        dataPoints: family.samples.map((s) => ({
          startTime: startOf(family.name, s),
          endTime: end,
          attributes: s.labels as Attributes,
          value: s.value,
        })),
      });
    } else {
      out.push({
        descriptor: descriptor(family),
        aggregationTemporality: CUMULATIVE,
        dataPointType: GAUGE,
        dataPoints: family.samples.map((s: NumberSample) => ({
          startTime: end,
          endTime: end,
          attributes: s.labels as Attributes,
          value: family.type === "info" ? 1 : s.value,
        })),
      });
    }
  }
  return out;
}

function histogramValue(s: HistogramSample): Histogram {
  // OTLP counts are per bucket, not cumulative, and include the +Inf bucket.
  const counts: number[] = [];
  let previous = 0;
  for (const b of s.buckets) {
    counts.push(b.count - previous);
    previous = b.count;
  }
  counts.push(s.count - previous);
  return {
    buckets: { boundaries: s.buckets.map((b) => b.le), counts },
    sum: s.sum,
    count: s.count,
  };
}

interface Previous {
  /** Counter value, or histogram count. */
  value: number;
  sum: number;
  buckets: readonly number[];
  /** End time of the previous accepted push: the next delta's start. */
  time: number;
}

/** Remembers the last pushed totals per series to turn them into deltas. */
class DeltaState {
  private previous = new Map<string, Previous>();

  convert(
    families: readonly MetricFamilySnapshot[],
    now: number,
  ): { metrics: MetricData[]; commit: () => void } {
    const next = new Map<string, Previous>();
    const deltas: MetricFamilySnapshot[] = families.map((family) => {
      if (family.type === "histogram") {
        return {
          ...family,
          samples: family.samples.map((s) => {
            const key = seriesKey(family.name, s.labels);
            const prev = this.previous.get(key);
            next.set(key, {
              value: s.count,
              sum: s.sum,
              buckets: s.buckets.map((b) => b.count),
              time: now,
            });
            // A count lower than before means the series was reset: send it whole.
            if (prev === undefined || s.count < prev.value) return s;
            return {
              ...s,
              count: s.count - prev.value,
              sum: s.sum - prev.sum,
              buckets: s.buckets.map((b, i) => ({
                le: b.le,
                count: b.count - (prev.buckets[i] ?? 0),
              })),
            };
          }),
        };
      }
      if (family.type !== "counter") return family;
      return {
        ...family,
        samples: family.samples.map((s) => {
          const key = seriesKey(family.name, s.labels);
          const prev = this.previous.get(key);
          next.set(key, { value: s.value, sum: 0, buckets: [], time: now });
          if (prev === undefined || s.value < prev.value) return s;
          return { ...s, value: s.value - prev.value };
        }),
      };
    });
    const start: SeriesStart = (family, labels, created) =>
      this.previous.get(seriesKey(family, labels))?.time ?? created ?? now;
    const metrics = toMetrics(deltas, now, start);
    return {
      metrics,
      // Replacing the map drops series that no longer exist.
      commit: () => {
        this.previous = next;
      },
    };
  }
}

function seriesKey(family: string, labels: Readonly<Record<string, string>>): string {
  let key = family;
  for (const name of Object.keys(labels).sort()) key += `\u0000${name}\u0001${labels[name]}`;
  return key;
}

function invalid(message: string): never {
  throw new MetricsError("ERR_INVALID_OPTION", message);
}

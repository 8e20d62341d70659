// Every call into @groundwork/metrics goes through this module.
import { createServiceResource } from "@groundwork/core/otlp";
import {
  counter,
  createRegistry,
  defineMetrics,
  histogram,
  type Registry,
} from "@groundwork/metrics";
import {
  createOtlpMetricsPusherFor,
  type OtlpMetricsEncoding,
  type OtlpMetricsPusher,
} from "@groundwork/metrics/otlp";

/** The dimensions of every request metric. */
export interface RequestDimensions {
  api: string;
  resource: string;
  method: string;
  status: string;
}

/** An isolate's request metrics and their pusher. */
export interface RequestMetrics {
  /** Records one finished invocation. Never throws. */
  record(dimensions: RequestDimensions, durationSeconds: number): void;
  /** Counts spans the isolate dropped. Never throws. */
  spansDropped(count: number): void;
  /** Counts spans the tail sampler discarded. Never throws. */
  spansDiscarded(count: number): void;
  /** Counts log records the isolate's export queue dropped. Never throws. */
  logsDropped(count: number): void;
  /** Counts spans cut from an invocation's export by its budget. Never throws. */
  spansCut(count: number, reason: "unfinished" | "deadline"): void;
  /** Pushes what changed; never rejects. */
  push(): Promise<void>;
}

export interface RequestMetricsOptions {
  serviceName: string;
  serviceVersion: string | undefined;
  instanceId: string;
  maxSeries: number;
  durationBuckets: readonly number[];
  temporality: "delta" | "cumulative";
  /** How the pushes are encoded. */
  encoding: OtlpMetricsEncoding;
  /** Registry to define the metrics in. Default a new one. */
  registry?: Registry | undefined;
  otlp:
    | {
        endpoint: string;
        headers: Readonly<Record<string, string>>;
        timeoutMs: number;
      }
    | undefined;
}

const LABELS = ["api", "resource", "method", "status"] as const;

/** Creates the metrics of one isolate in a registry of their own. */
export function createRequestMetrics(options: RequestMetricsOptions): RequestMetrics {
  const registry =
    options.registry ??
    createRegistry({
      serviceName: options.serviceName,
      runtimeInfo: false,
      maxSeriesPerFamily: options.maxSeries,
    });
  const m = defineMetrics(
    "worker",
    {
      requests: counter({ help: "Invocations handled", labels: LABELS }),
      duration: histogram({
        help: "Invocation duration, until the response body is sent",
        unit: "seconds",
        labels: LABELS,
        buckets: [...options.durationBuckets],
      }),
      spans_dropped: counter({
        help: "Finished spans dropped because the isolate's buffer was full",
      }),
      spans_discarded: counter({ help: "Finished spans the tail sampler did not keep" }),
      logs_dropped: counter({
        help: "Log records dropped because the isolate's log export queue was full",
      }),
      spans_cut: counter({
        help: "Spans cut from an invocation's export by its waitUntil budget or export deadline",
        labels: ["reason"] as const,
      }),
    },
    { registry },
  );
  const pusher: OtlpMetricsPusher | undefined =
    options.otlp === undefined
      ? undefined
      : createOtlpMetricsPusherFor(options.encoding, {
          registry,
          endpoint: `${options.otlp.endpoint}/v1/metrics`,
          headers: options.otlp.headers,
          timeoutMs: options.otlp.timeoutMs,
          retry: { maxAttempts: 2, maxElapsedMs: options.otlp.timeoutMs * 2 },
          abandonAfterMs: options.otlp.timeoutMs * 2,
          intervalMs: 0,
          temporality: options.temporality,
          resource: createServiceResource({
            serviceName: options.serviceName,
            ...(options.serviceVersion === undefined
              ? {}
              : { serviceVersion: options.serviceVersion }),
            attributes: { "service.instance.id": options.instanceId },
          }),
        });
  // Two tries (see the retry policy above), each within the OTLP timeout: past that the
  // pusher counts a push still in flight as abandoned (its invocation was cut off).
  const pushMs = (options.otlp?.timeoutMs ?? 0) * 2;
  let pushingUntil = 0;
  return {
    record(dimensions, durationSeconds) {
      try {
        m.requests(dimensions).inc();
        m.duration(dimensions).observe(durationSeconds);
      } catch {
        // Recording never fails an invocation.
      }
    },
    spansDropped(count) {
      try {
        m.spans_dropped.inc(count);
      } catch {}
    },
    spansDiscarded(count) {
      try {
        m.spans_discarded.inc(count);
      } catch {}
    },
    logsDropped(count) {
      try {
        m.logs_dropped.inc(count);
      } catch {}
    },
    spansCut(count, reason) {
      try {
        m.spans_cut({ reason }).inc(count);
      } catch {}
    },
    async push() {
      if (pusher === undefined) return;
      // The pusher shares a push in flight with later callers; in workerd that would make
      // one invocation wait on another's I/O. While one is in flight, what changed since goes
      // with the next push; once it is overdue the pusher starts a fresh one.
      const now = Date.now();
      if (now < pushingUntil) return;
      const until = now + pushMs;
      pushingUntil = until;
      try {
        await pusher.flush();
      } catch {
      } finally {
        if (pushingUntil === until) pushingUntil = 0;
      }
    },
  };
}

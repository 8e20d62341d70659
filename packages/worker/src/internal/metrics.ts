// Every call into @groundwork/metrics goes through this module. It uses the pusher's entry,
// not the registry: the Worker's metrics are kept by ./recorder.
import { createServiceResource } from "@groundwork/core/otlp";
import type { Registry } from "@groundwork/metrics";
import {
  createOtlpMetricsPusherFor,
  type OtlpMetricsEncoding,
  type OtlpMetricsPusher,
} from "@groundwork/metrics/otlp-push";
import { createWorkerMetricsRecorder, type WorkerMetricsRecorder } from "./recorder";

export type { RequestDimensions } from "./recorder";

/** An isolate's request metrics and their pusher. */
export interface RequestMetrics extends WorkerMetricsRecorder {
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
  /**
   * Registry to report the metrics in (as one of its collectors) and to push. Default none:
   * the isolate's own recorder is pushed.
   */
  registry?: Registry | undefined;
  otlp:
    | {
        endpoint: string;
        headers: Readonly<Record<string, string>>;
        timeoutMs: number;
      }
    | undefined;
}

/** Creates the metrics of one isolate, and their pusher when there is an OTLP endpoint. */
export function createRequestMetrics(options: RequestMetricsOptions): RequestMetrics {
  const registry = options.registry;
  const recorder = createWorkerMetricsRecorder({
    maxSeries: options.maxSeries,
    durationBuckets: options.durationBuckets,
    // A registry counts overflows of its own families only: the recorder reports its own
    // when it is pushed alone.
    selfMetrics: registry === undefined,
  });
  if (registry !== undefined) {
    try {
      // A method call: nothing of the registry's code is imported, so none is bundled.
      registry.registerCollector(recorder.collect);
    } catch {
      // A registry that refuses the collector leaves the metrics unreported, not the Worker broken.
    }
  }
  const pusher: OtlpMetricsPusher | undefined =
    options.otlp === undefined
      ? undefined
      : createOtlpMetricsPusherFor(options.encoding, {
          // With a registry given, its families (the Worker's among them) are pushed once.
          registry: registry ?? recorder.collect,
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
  // The recorder's methods are the metrics' own; `collect` stays internal.
  return Object.assign(recorder, {
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
  });
}

import { readdirSync } from "node:fs";
import {
  type IntervalHistogram,
  monitorEventLoopDelay,
  PerformanceObserver,
} from "node:perf_hooks";
import type { Collector, MetricFamilySnapshot } from "@groundwork/metrics";

/** Options of {@link createProcessMetrics}. */
export interface ProcessMetricsOptions {
  /**
   * Sampling resolution of the event-loop delay monitor, in milliseconds.
   * Default 10 (as prom-client).
   */
  eventLoopResolutionMs?: number;
  /** Upper bounds of the GC pause histogram, in seconds. Default `[0.001, 0.01, 0.1, 1, 2, 5]`. */
  gcBuckets?: readonly number[];
}

/** Process metrics: a collector for a registry, and `stop()` to release the monitors. */
export interface ProcessMetrics {
  /** Reads the process's figures at every scrape; register it with `registry.registerCollector`. */
  readonly collector: Collector;
  /** Disables the event-loop monitor and the GC observer; the collector then reports CPU and memory only. Idempotent. */
  stop(): void;
}

const DEFAULT_GC_BUCKETS = [0.001, 0.01, 0.1, 1, 2, 5] as const;

// `detail.kind` of a 'gc' performance entry (node:perf_hooks constants NODE_PERFORMANCE_GC_*).
const GC_KINDS: Readonly<Record<number, string>> = {
  1: "minor",
  2: "major",
  4: "incremental",
  8: "weakcb",
};

interface GcSeries {
  counts: number[];
  count: number;
  sum: number;
}

const gauge = (name: string, help: string, value: number, unit?: string): MetricFamilySnapshot => ({
  name,
  help,
  type: "gauge",
  ...(unit === undefined ? {} : { unit }),
  samples: [{ labels: {}, value }],
});

const secondsCounter = (name: string, help: string, value: number): MetricFamilySnapshot => ({
  name,
  help,
  type: "counter",
  unit: "seconds",
  samples: [{ labels: {}, value }],
});

function openFileDescriptors(): number | undefined {
  if (process.platform !== "linux") return undefined;
  try {
    // One entry is the descriptor readdir itself holds open.
    return readdirSync("/proc/self/fd").length - 1;
  } catch {
    return undefined;
  }
}

/**
 * Creates the process metrics Prometheus users know from prom-client's
 * default metrics, read at scrape time: CPU seconds (user, system, total),
 * resident memory, V8 heap used/total and external memory, event-loop lag
 * (min, mean, max, p50, p90, p99 since the previous scrape, from
 * `monitorEventLoopDelay`), GC pauses by kind (a histogram fed by a `gc`
 * PerformanceObserver), active handles and requests by type
 * (`process.getActiveResourcesInfo()`), open file descriptors (Linux) and the
 * process start time.
 *
 * Families, before the registry's service prefix:
 * `process_cpu_user_seconds_total`, `process_cpu_system_seconds_total`,
 * `process_cpu_seconds_total`, `process_resident_memory_bytes`,
 * `process_start_time_seconds`, `process_open_fds`,
 * `nodejs_heap_size_used_bytes`, `nodejs_heap_size_total_bytes`,
 * `nodejs_external_memory_bytes`, `nodejs_eventloop_lag_{min,mean,max,p50,p90,p99}_seconds`,
 * `nodejs_gc_duration_seconds{kind}`, `nodejs_active_resources{type}`.
 *
 * The event-loop monitor is a libuv timer and the GC observer a callback per
 * collection; everything else is read only when scraped.
 *
 * @param options - `eventLoopResolutionMs` (default 10), `gcBuckets` (default `[0.001, 0.01, 0.1, 1, 2, 5]`)
 * @returns the collector and `stop()`
 * @example
 * ```ts
 * import { createRegistry } from "@groundwork/metrics";
 * import { createProcessMetrics } from "@groundwork/node";
 *
 * const registry = createRegistry({ service: "api" });
 * const processMetrics = createProcessMetrics();
 * registry.registerCollector(processMetrics.collector);
 * // … on shutdown
 * processMetrics.stop();
 * ```
 */
export function createProcessMetrics(options: ProcessMetricsOptions = {}): ProcessMetrics {
  const buckets = [...(options.gcBuckets ?? DEFAULT_GC_BUCKETS)];
  const startTimeSeconds = Math.round((Date.now() - performance.now()) / 10) / 100;

  let lag: IntervalHistogram | undefined = monitorEventLoopDelay({
    resolution: options.eventLoopResolutionMs ?? 10,
  });
  lag.enable();

  const gc = new Map<string, GcSeries>();
  let observer: PerformanceObserver | undefined = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const detail = (entry as { detail?: { kind?: number } }).detail;
      const kind = GC_KINDS[detail?.kind ?? 0] ?? "unknown";
      let series = gc.get(kind);
      if (series === undefined) {
        series = { counts: buckets.map(() => 0), count: 0, sum: 0 };
        gc.set(kind, series);
      }
      const seconds = entry.duration / 1000;
      series.count++;
      series.sum += seconds;
      for (let i = 0; i < buckets.length; i++) {
        if (seconds <= (buckets[i] as number)) series.counts[i] = (series.counts[i] ?? 0) + 1;
      }
    }
  });
  observer.observe({ entryTypes: ["gc"] });

  const collector: Collector = () => {
    const cpu = process.cpuUsage();
    const memory = process.memoryUsage();
    const families: MetricFamilySnapshot[] = [
      secondsCounter(
        "process_cpu_user_seconds",
        "User CPU time spent, in seconds.",
        cpu.user / 1e6,
      ),
      secondsCounter(
        "process_cpu_system_seconds",
        "System CPU time spent, in seconds.",
        cpu.system / 1e6,
      ),
      secondsCounter(
        "process_cpu_seconds",
        "User and system CPU time spent, in seconds.",
        (cpu.user + cpu.system) / 1e6,
      ),
      gauge(
        "process_resident_memory_bytes",
        "Resident memory size, in bytes.",
        memory.rss,
        "bytes",
      ),
      gauge(
        "process_start_time_seconds",
        "Start time of the process since the Unix epoch, in seconds.",
        startTimeSeconds,
        "seconds",
      ),
      gauge("nodejs_heap_size_used_bytes", "V8 heap in use, in bytes.", memory.heapUsed, "bytes"),
      gauge(
        "nodejs_heap_size_total_bytes",
        "V8 heap reserved, in bytes.",
        memory.heapTotal,
        "bytes",
      ),
      gauge(
        "nodejs_external_memory_bytes",
        "Memory of C++ objects bound to JavaScript objects, in bytes.",
        memory.external,
        "bytes",
      ),
    ];
    const fds = openFileDescriptors();
    if (fds !== undefined) families.push(gauge("process_open_fds", "Open file descriptors.", fds));

    const counts = new Map<string, number>();
    for (const type of process.getActiveResourcesInfo())
      counts.set(type, (counts.get(type) ?? 0) + 1);
    families.push({
      name: "nodejs_active_resources",
      help: "Active handles and requests keeping the event loop alive, by type.",
      type: "gauge",
      samples: [...counts].map(([type, value]) => ({ labels: { type }, value })),
    });

    if (lag !== undefined) {
      // The histogram is in nanoseconds; with no sample yet min is huge and mean NaN.
      const read = (ns: number) => (lag !== undefined && lag.count > 0 ? ns / 1e9 : 0);
      const quantiles: [string, string, number][] = [
        ["min", "Smallest", read(lag.min)],
        ["mean", "Mean", read(lag.mean)],
        ["max", "Largest", read(lag.max)],
        ["p50", "Median", read(lag.percentile(50))],
        ["p90", "90th percentile of the", read(lag.percentile(90))],
        ["p99", "99th percentile of the", read(lag.percentile(99))],
      ];
      for (const [suffix, what, value] of quantiles) {
        families.push(
          gauge(
            `nodejs_eventloop_lag_${suffix}_seconds`,
            `${what} event-loop delay since the previous scrape, in seconds.`,
            value,
            "seconds",
          ),
        );
      }
      lag.reset();
    }

    families.push({
      name: "nodejs_gc_duration_seconds",
      help: "Garbage collection pauses, by kind, in seconds.",
      type: "histogram",
      unit: "seconds",
      samples: [...gc].map(([kind, series]) => ({
        labels: { kind },
        buckets: buckets.map((le, i) => ({ le, count: series.counts[i] ?? 0 })),
        count: series.count,
        sum: series.sum,
      })),
    });
    return families;
  };

  return {
    collector,
    stop() {
      lag?.disable();
      lag = undefined;
      observer?.disconnect();
      observer = undefined;
    },
  };
}

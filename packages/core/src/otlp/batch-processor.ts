import { clearTimer, monotonicNow, setUnrefTimeout, type TimerHandle } from "@groundwork/platform";
import { type Context, context, diag, TraceFlags } from "@opentelemetry/api";
import { type ExportResult, ExportResultCode, suppressTracing } from "@opentelemetry/core";
import type {
  ReadableSpan,
  Span,
  SpanExporter,
  SpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { CoreError } from "../errors";
import { isPartialSuccess } from "./partial-success";

/**
 * Options of {@link createBatchSpanProcessor}. `maxQueueSize`, `maxBatchSize`,
 * `scheduledDelayMs` and `exportTimeoutMs` correspond to the tracing settings
 * `max_queue_size`, `max_batch_size`, `scheduled_delay` and `export_timeout`.
 *
 * @example
 * ```ts
 * const options: BatchSpanProcessorOptions = { maxQueueSize: 4096, scheduledDelayMs: 1000 };
 * ```
 */
export interface BatchSpanProcessorOptions {
  /**
   * Spans held while waiting for export; more are dropped and counted. Default: sized from
   * the measured rate, one second of spans, at least `2048` ({@link DEFAULT_MAX_QUEUE_SIZE})
   * and at most `16384` ({@link MAX_ADAPTIVE_QUEUE_SIZE}). A number given here is a fixed bound.
   */
  maxQueueSize?: number;
  /** Spans per export request; a full batch is exported at once. Default `512`. */
  maxBatchSize?: number;
  /**
   * Exports that may be in flight at once while the collector is healthy; a full batch
   * waits only while all of them are busy. Until an export has succeeded, and after any
   * failure, one runs at a time. `1` always sends one batch at a time. Default `4`.
   */
  maxConcurrentExports?: number;
  /** Delay between exports of partial batches, in milliseconds. Default `5000`. */
  scheduledDelayMs?: number;
  /**
   * Time allowed for one export, and for the whole of `forceFlush()`, in milliseconds;
   * after it the batch counts as failed. Default `30000`.
   */
  exportTimeoutMs?: number;
  /**
   * Time `shutdown()` may take, in milliseconds. Spans still queued or in flight when it
   * runs out are counted as dropped, the exports in flight are aborted, and nothing is sent
   * afterwards. Default `5000`.
   */
  shutdownTimeoutMs?: number;
  /**
   * Receives one warning line when spans were dropped or exports failed, at most once per
   * `warningIntervalMs`, and once more at shutdown if anything was lost since the last one.
   * `createTelemetry` passes its root log's `warn`. Default: none.
   */
  onWarning?: (message: string, counts: Readonly<Record<string, number>>) => void;
  /** Least time between two warnings, in milliseconds. Default `60000`. */
  warningIntervalMs?: number;
}

/**
 * Counters of a batch span processor since it was created. Before shutdown, `queued =
 * exported + rejected + failed + queueLength + (spans in the exports in flight)`; once
 * `shutdown()` has resolved the counters are final: every queued span is exported,
 * rejected, failed or dropped.
 */
export interface BatchSpanProcessorStats {
  /** Sampled spans accepted into the queue. */
  queued: number;
  /** Spans whose export succeeded. */
  exported: number;
  /**
   * Spans of accepted batches that were not delivered: refused by the endpoint (OTLP
   * `partial_success`) or left out because they could not be encoded.
   */
  rejected: number;
  /**
   * Spans refused because the queue was full or the processor was shut down, and spans
   * still queued or in flight when the shutdown bound ran out.
   */
  dropped: number;
  /** Spans whose export failed, threw or timed out. */
  failed: number;
  /** Spans waiting in the queue now (never more than `maxQueueSize`). */
  queueLength: number;
}

/** The least bound of the queue when `maxQueueSize` is not given (it grows with the rate). */
export const DEFAULT_MAX_QUEUE_SIZE = 2048;

/**
 * The most the queue holds when `maxQueueSize` is not given, whatever the rate: the
 * memory of the queue is bounded by this many spans.
 */
export const MAX_ADAPTIVE_QUEUE_SIZE = 16_384;

/** A bounded, non-blocking OpenTelemetry `SpanProcessor` that exports in batches. */
export interface BatchSpanProcessor extends SpanProcessor {
  /**
   * A snapshot of the counters.
   *
   * @returns plain numbers, safe to keep
   */
  stats(): BatchSpanProcessorStats;
}

const DEFAULTS = {
  maxBatchSize: 512,
  maxConcurrentExports: 4,
  scheduledDelayMs: 5000,
  exportTimeoutMs: 30_000,
  shutdownTimeoutMs: 5000,
  warningIntervalMs: 60_000,
} as const;

function count(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    throw new CoreError(
      "ERR_INVALID_OPTION",
      `${name} must be a positive integer, got ${String(value)}`,
    );
  }
  return value;
}

function duration(name: string, value: number | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value < min) {
    throw new CoreError(
      "ERR_INVALID_OPTION",
      `${name} must be a finite number of milliseconds ${min === 0 ? "≥ 0" : "> 0"}, got ${String(value)}`,
    );
  }
  return value;
}

/**
 * Creates a batch span processor: ended, sampled spans go into a bounded queue and are
 * handed to `exporter` in batches of `maxBatchSize`, as soon as a batch is full or every
 * `scheduledDelayMs`. Up to `maxConcurrentExports` exports run at a time, so a full batch
 * does not wait for the round trip of the one before; until an export has succeeded, and
 * after any failure, one runs at a time.
 *
 * It never blocks and never grows past its bound: when the queue is full, new spans are
 * dropped and counted. Without `maxQueueSize` the bound follows the measured rate (one
 * second of spans, between {@link DEFAULT_MAX_QUEUE_SIZE} and
 * {@link MAX_ADAPTIVE_QUEUE_SIZE}). Its timers do not keep a Node process alive. Exports
 * run with tracing suppressed, so an instrumented `fetch` does not trace the exporter's own
 * requests. An exporter that throws, rejects or never calls back is contained and its batch
 * counted as failed.
 *
 * On `shutdown()` the queue is exported for at most `shutdownTimeoutMs`; then the rest,
 * and every export still in flight, is counted as dropped, the exporter is shut down
 * (aborting its requests in flight) and no request is sent after the returned promise
 * resolves.
 *
 * @param exporter - where batches go, e.g. {@link createOtlpTraceExporter}
 * @param options - `maxQueueSize` (default: from the rate, 2048–16384), `maxBatchSize`
 *   (default 512, at most `maxQueueSize`), `maxConcurrentExports` (default 4),
 *   `scheduledDelayMs` (default 5000), `exportTimeoutMs` (default 30000),
 *   `shutdownTimeoutMs` (default 5000), `onWarning` (default none), `warningIntervalMs`
 *   (default 60000)
 * @returns the processor, with `stats()` for its counters
 * @throws {CoreError} `ERR_INVALID_OPTION` for a size that is not a positive integer or a
 *   delay or timeout that is not a finite, non-negative (timeout: positive) number
 * @example
 * ```ts
 * const processor = createBatchSpanProcessor(createOtlpTraceExporter(), { scheduledDelayMs: 1000 });
 * const provider = new BasicTracerProvider({ spanProcessors: [processor] });
 * // …
 * await provider.shutdown();
 * console.log(processor.stats()); // { queued, exported, dropped, failed, queueLength }
 * ```
 */
export function createBatchSpanProcessor(
  exporter: SpanExporter,
  options: BatchSpanProcessorOptions = {},
): BatchSpanProcessor {
  const fixedQueueSize =
    options.maxQueueSize === undefined ? undefined : count("maxQueueSize", options.maxQueueSize, 0);
  /** The most spans the ring can ever hold. */
  const capacity = fixedQueueSize ?? MAX_ADAPTIVE_QUEUE_SIZE;
  /** The bound in force now: fixed, or grown and shrunk with the measured rate. */
  let queueLimit = fixedQueueSize ?? DEFAULT_MAX_QUEUE_SIZE;
  const maxBatchSize = Math.min(
    count("maxBatchSize", options.maxBatchSize, DEFAULTS.maxBatchSize),
    fixedQueueSize ?? DEFAULT_MAX_QUEUE_SIZE,
  );
  const maxConcurrentExports = count(
    "maxConcurrentExports",
    options.maxConcurrentExports,
    DEFAULTS.maxConcurrentExports,
  );
  const scheduledDelayMs = duration(
    "scheduledDelayMs",
    options.scheduledDelayMs,
    DEFAULTS.scheduledDelayMs,
    0,
  );
  const exportTimeoutMs = duration(
    "exportTimeoutMs",
    options.exportTimeoutMs,
    DEFAULTS.exportTimeoutMs,
    Number.MIN_VALUE,
  );
  const shutdownTimeoutMs = duration(
    "shutdownTimeoutMs",
    options.shutdownTimeoutMs,
    DEFAULTS.shutdownTimeoutMs,
    Number.MIN_VALUE,
  );
  const warningIntervalMs = duration(
    "warningIntervalMs",
    options.warningIntervalMs,
    DEFAULTS.warningIntervalMs,
    0,
  );
  const onWarning = options.onWarning;
  if (onWarning !== undefined && typeof onWarning !== "function") {
    throw new CoreError("ERR_INVALID_OPTION", "onWarning must be a function");
  }

  // A ring buffer: enqueue and dequeue are O(1) and the storage never exceeds `capacity`.
  const ring: (ReadableSpan | undefined)[] = new Array(capacity);
  let head = 0;
  let length = 0;

  // The arrival rate, measured over windows of a quarter of a second, sizes an adaptive queue.
  let arrivals = 0;
  let windowStart = monotonicNow();

  const counters = { queued: 0, exported: 0, rejected: 0, dropped: 0, failed: 0 };
  let timer: TimerHandle | undefined;
  let timerIsImmediate = false;
  /** The exports in flight; their spans count as dropped if shutdown gives up on them. */
  const inFlight = new Set<InFlightExport>();
  /**
   * Whether the last export finished succeeded. Until one has, and after any failure, one
   * export runs at a time: a collector that is down or struggling does not get a burst.
   */
  let healthy = false;
  const slots = (): number => (healthy ? maxConcurrentExports : 1);
  /** Set once shutdown's bound ran out: no export starts and no result counts after it. */
  let stopped = false;
  let closed = false;
  let lastWarningAt = Number.NEGATIVE_INFINITY;
  const warned = { dropped: 0, failed: 0 };
  let shutdownPromise: Promise<void> | undefined;

  function take(n: number): ReadableSpan[] {
    const count = Math.min(n, length);
    const batch: ReadableSpan[] = new Array(count);
    for (let i = 0; i < count; i++) {
      const index = (head + i) % capacity;
      batch[i] = ring[index] as ReadableSpan;
      ring[index] = undefined;
    }
    head = (head + count) % capacity;
    length -= count;
    return batch;
  }

  /** Every quarter of a second or so: the bound becomes one second of spans at the measured rate. */
  function measureRate(windowMs: number): void {
    const now = monotonicNow();
    const elapsed = now - windowStart;
    if (elapsed < windowMs) return;
    const perSecond = (arrivals * 1000) / elapsed;
    arrivals = 0;
    windowStart = now;
    queueLimit = Math.min(
      MAX_ADAPTIVE_QUEUE_SIZE,
      Math.max(DEFAULT_MAX_QUEUE_SIZE, Math.ceil(perSecond)),
    );
  }

  function schedule(ms: number): void {
    if (inFlight.size >= slots() || closed) return;
    if (timer !== undefined) {
      if (timerIsImmediate || ms !== 0) return;
      clearTimer(timer);
    }
    timerIsImmediate = ms === 0;
    timer = setUnrefTimeout(onTimer, ms);
  }

  function onTimer(): void {
    timer = undefined;
    // The immediate timer is for full batches; the scheduled delay sends a partial one too.
    startExports(!timerIsImmediate);
  }

  /**
   * Starts exports while a slot is free: full batches, and the partial rest as well when
   * `partial` (the scheduled delay ran out, or a flush). Then plans the next start.
   */
  function startExports(partial: boolean): void {
    if (stopped) return;
    clearTimer(timer);
    timer = undefined;
    while (inFlight.size < slots() && length > 0 && (partial || length >= maxBatchSize)) {
      startExport(take(maxBatchSize));
    }
    planNext();
  }

  function planNext(): void {
    if (length >= maxBatchSize) schedule(0);
    else if (length > 0) schedule(scheduledDelayMs);
  }

  function startExport(batch: ReadableSpan[]): void {
    const entry: InFlightExport = {
      size: batch.length,
      abandoned: false,
      done: Promise.resolve(),
    };
    inFlight.add(entry);
    entry.done = exportBatch(batch, entry).then(() => {
      inFlight.delete(entry);
      if (stopped) return;
      warnIfLosing(false);
      startExports(false);
    });
  }

  async function exportBatch(batch: ReadableSpan[], state: { abandoned: boolean }): Promise<void> {
    try {
      await waitForResources(batch);
      if (state.abandoned) return;
      const result = await exportWithTimeout(batch);
      // Shutdown has counted these spans as dropped already; its stats are final.
      if (state.abandoned) return;
      healthy = result.code === ExportResultCode.SUCCESS;
      if (result.code === ExportResultCode.SUCCESS) {
        const rejected = isPartialSuccess(result.error)
          ? Math.min(result.error.rejected, batch.length)
          : 0;
        counters.exported += batch.length - rejected;
        counters.rejected += rejected;
      } else {
        counters.failed += batch.length;
        diag.debug("groundwork batch span processor: export failed", result.error);
      }
    } catch (error) {
      if (state.abandoned) return;
      healthy = false;
      counters.failed += batch.length;
      diag.debug("groundwork batch span processor: exporter threw", error);
    }
  }

  /**
   * Sends one warning line when spans were lost since the last one, at most once per
   * interval (`force` at shutdown). Never throws into the caller.
   */
  function warnIfLosing(force: boolean): void {
    if (onWarning === undefined) return;
    const dropped = counters.dropped - warned.dropped;
    const failed = counters.failed - warned.failed;
    if (dropped === 0 && failed === 0) return;
    const now = monotonicNow();
    if (!force && now - lastWarningAt < warningIntervalMs) return;
    lastWarningAt = now;
    warned.dropped = counters.dropped;
    warned.failed = counters.failed;
    try {
      onWarning(
        `span export is losing spans: ${dropped} dropped and ${failed} failed since the last warning`,
        { dropped, failed, totalDropped: counters.dropped, totalFailed: counters.failed },
      );
    } catch {
      // A broken warning sink must not break the exporter.
    }
  }

  function exportWithTimeout(batch: ReadableSpan[]): Promise<ExportResult> {
    return new Promise<ExportResult>((resolve) => {
      let settled = false;
      const settle = (result: ExportResult): void => {
        if (settled) return;
        settled = true;
        clearTimer(timeout);
        resolve(result);
      };
      const timeout = setUnrefTimeout(
        () => settle({ code: ExportResultCode.FAILED, error: new Error("export timed out") }),
        exportTimeoutMs,
      );
      const suppressed: Context = suppressTracing(context.active());
      context.with(suppressed, () => {
        try {
          // A non-conforming exporter may return a promise; a rejection must not escape.
          const returned: unknown = exporter.export(batch, settle);
          if (isThenable(returned)) {
            returned.then(undefined, (error: unknown) =>
              settle({ code: ExportResultCode.FAILED, error: asError(error) }),
            );
          }
        } catch (error) {
          settle({ code: ExportResultCode.FAILED, error: asError(error) });
        }
      });
    });
  }

  function onStart(_span: Span, _parentContext: Context): void {}

  function onEnd(span: ReadableSpan): void {
    if ((span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
    if (fixedQueueSize === undefined) {
      if ((++arrivals & RATE_CHECK_MASK) === 0) measureRate(RATE_WINDOW_MS);
      // About to drop: a sudden rise of the rate need not wait for the end of the window.
      else if (length >= queueLimit && queueLimit < MAX_ADAPTIVE_QUEUE_SIZE) {
        measureRate(MIN_RATE_WINDOW_MS);
      }
    }
    if (closed || length >= queueLimit) {
      counters.dropped++;
      warnIfLosing(false);
      return;
    }
    ring[(head + length) % capacity] = span;
    length++;
    counters.queued++;
    // A full batch goes out on the next turn of the event loop, not inside span.end().
    schedule(length >= maxBatchSize ? 0 : scheduledDelayMs);
  }

  /** Exports everything queued, up to `maxConcurrentExports` batches at a time. */
  async function drain(): Promise<void> {
    while (!stopped && (inFlight.size > 0 || length > 0)) {
      startExports(true);
      if (inFlight.size === 0) return;
      await Promise.race([...inFlight].map((entry) => entry.done));
    }
  }

  function forceFlush(): Promise<void> {
    return withDeadline(
      (async () => {
        await drain();
        await exporter.forceFlush?.();
      })(),
      exportTimeoutMs,
    );
  }

  function shutdown(): Promise<void> {
    if (shutdownPromise === undefined) {
      closed = true;
      clearTimer(timer);
      timer = undefined;
      const started = monotonicNow();
      // The last batches get one attempt each: a backoff would only hold up the exit.
      stopRetrying(exporter);
      shutdownPromise = (async () => {
        await withDeadline(drain(), shutdownTimeoutMs);
        // Whatever is left is given up on: counted as dropped now, so that the counters are
        // final when this promise resolves, and never exported later.
        stopped = true;
        for (const entry of inFlight) {
          if (entry.abandoned) continue;
          entry.abandoned = true;
          counters.dropped += entry.size;
        }
        inFlight.clear();
        counters.dropped += length;
        take(length);
        const remaining = Math.max(1, shutdownTimeoutMs - (monotonicNow() - started));
        // The exporter aborts what it still has in flight; its own shutdown is bounded too.
        await withDeadline(callShutdown(exporter), remaining);
        warnIfLosing(true);
      })();
    }
    return shutdownPromise;
  }

  function stats(): BatchSpanProcessorStats {
    return { ...counters, queueLength: length };
  }

  return { onStart, onEnd, forceFlush, shutdown, stats };
}

/** An export in flight: its size, whether shutdown gave up on it, and its end. */
interface InFlightExport {
  size: number;
  abandoned: boolean;
  done: Promise<void>;
}

/** How long the arrival rate is measured over before the adaptive queue bound follows it. */
const RATE_WINDOW_MS = 250;
/** The shortest window the rate is measured over when the queue is full. */
const MIN_RATE_WINDOW_MS = 50;
/** The rate window is checked every this many + 1 arrivals (a power of two, minus one). */
const RATE_CHECK_MASK = 255;

/** Calls the exporter's `stopRetrying()` where it has one (ours do); never throws. */
function stopRetrying(exporter: SpanExporter): void {
  try {
    const stop = (exporter as { stopRetrying?: unknown }).stopRetrying;
    if (typeof stop === "function") stop.call(exporter);
  } catch {
    // An exporter that cannot stop retrying is still bounded by the shutdown deadline.
  }
}

function callShutdown(exporter: SpanExporter): Promise<void> {
  try {
    return Promise.resolve(exporter.shutdown());
  } catch (error) {
    return Promise.reject(error);
  }
}

/** Resources with attributes still being detected must settle before export (as the SDK does). */
async function waitForResources(batch: ReadableSpan[]): Promise<void> {
  const waiting = new Set<Promise<void>>();
  for (const span of batch) {
    const resource = span.resource;
    if (resource.asyncAttributesPending && resource.waitForAsyncAttributes) {
      waiting.add(resource.waitForAsyncAttributes());
    }
  }
  if (waiting.size > 0) await Promise.all(waiting);
}

/** Settles when `work` does or after `ms`, whichever comes first; never rejects. */
function withDeadline(work: Promise<unknown>, ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const timeout = setUnrefTimeout(resolve, ms);
    work.then(
      () => {
        clearTimer(timeout);
        resolve();
      },
      (error: unknown) => {
        clearTimer(timeout);
        diag.debug("groundwork batch span processor: flush failed", error);
        resolve();
      },
    );
  });
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { then?: unknown }).then === "function"
  );
}

function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}

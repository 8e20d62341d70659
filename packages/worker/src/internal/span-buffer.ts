import { clearTimer, setUnrefTimeout } from "@groundwork/platform";
import { type Context, context, TraceFlags } from "@opentelemetry/api";
import { type ExportResult, ExportResultCode, suppressTracing } from "@opentelemetry/core";
import type { ReadableSpan, SpanExporter, SpanProcessor } from "@opentelemetry/sdk-trace-base";

/** Counters of an isolate's span buffer since the isolate started. */
export interface SpanBufferStats {
  /** Sampled spans accepted into the buffer. */
  queued: number;
  /** Spans the collector accepted. */
  exported: number;
  /** Spans whose export failed or timed out. */
  failed: number;
  /** Spans refused because the buffer was full. */
  dropped: number;
  /** Spans of invocations the tail sampler did not keep. */
  tailDropped: number;
  /**
   * Spans cut from an invocation's export by its budget: not finished when the `waitUntil`
   * budget ran out, or still queued at the export deadline.
   */
  cut: number;
  /** Spans waiting now. */
  queueLength: number;
}

/**
 * The spans of one invocation while a tail sampler has not decided yet: held back, then
 * queued or discarded together.
 */
export interface SpanGroup {
  /** `undefined` until decided. */
  keep: boolean | undefined;
  held: ReadableSpan[];
}

/** Creates an undecided group. */
export function createSpanGroup(): SpanGroup {
  return { keep: undefined, held: [] };
}

/** Finished spans of one isolate, exported at the end of invocations. */
export interface SpanBuffer extends SpanProcessor {
  /** Puts a span started outside the group's context (the invocation's own) in the group. */
  adopt(span: object, group: SpanGroup): void;
  /** Queues (keep) or discards the group's held spans; later spans of the group follow. */
  settle(group: SpanGroup, keep: boolean): void;
  /**
   * Exports the spans the buffer holds when called, batch by batch, until they are sent,
   * `deadline` (a `Date.now()` value) passes, or the isolate already has its maximum of
   * exports in flight. Spans queued meanwhile wait for the next call. Never rejects.
   *
   * @returns the number of spans still queued because the deadline passed (counted as cut),
   *   0 otherwise.
   */
  exportPending(deadline: number): Promise<number>;
  /** Counts spans cut from an invocation's export. */
  cut(count: number, reason: "unfinished" | "deadline"): void;
  stats(): SpanBufferStats;
}

export interface SpanBufferOptions {
  maxQueueSize: number;
  maxBatchSize: number;
  maxConcurrentExports: number;
  exportTimeoutMs: number;
  /** Called with the number of spans dropped, as they are. */
  onDrop?: (count: number) => void;
  /** Called with the number of spans a tail decision discarded. */
  onTailDrop?: (count: number) => void;
  /** Called with the number of spans cut from an invocation's export, and why. */
  onCut?: (count: number, reason: "unfinished" | "deadline") => void;
  /**
   * The set of unfinished spans of the invocation a span started in `parent` belongs to:
   * the span is in it from its start to its end. Default: not tracked.
   */
  openSetOf?: (parent: Context) => Set<object> | undefined;
  /**
   * The group a span started in `parent` belongs to; only given when a tail sampler decides
   * per invocation. Default: no groups, every span is queued when it ends.
   */
  groupOf?: (parent: Context) => SpanGroup | undefined;
}

// Why not core's batch processor: in workerd a timer or a fetch belongs to the invocation that
// started it and dies with it, so a processor exporting on its own schedule would lose its
// batches. Here spans wait in a bounded per-isolate ring and each invocation exports them from
// its own waitUntil, with its own I/O.

/**
 * Creates the buffer. Spans that end are queued when sampled; when the ring is full they are
 * dropped and counted.
 */
export function createSpanBuffer(
  exporter: SpanExporter | undefined,
  options: SpanBufferOptions,
): SpanBuffer {
  const { maxQueueSize, maxBatchSize, maxConcurrentExports, exportTimeoutMs } = options;
  const ring: (ReadableSpan | undefined)[] = new Array(maxQueueSize);
  let head = 0;
  let length = 0;
  const counters = { queued: 0, exported: 0, failed: 0, dropped: 0, tailDropped: 0, cut: 0 };
  const groupOf = options.groupOf;
  const openSetOf = options.openSetOf;
  const openSets = new WeakMap<object, Set<object>>();
  // Span objects are the same from start to end, so a WeakMap ties them to their group
  // without keeping spans that never end.
  const groups = new WeakMap<object, SpanGroup>();
  // Exports in flight and when they are due. An export whose invocation was cut off never
  // settles, so one past its due time no longer counts against the limit.
  const inFlight = new Map<number, number>();
  let nextId = 0;

  function take(n: number): ReadableSpan[] {
    const count = Math.min(n, length);
    const batch: ReadableSpan[] = new Array(count);
    for (let i = 0; i < count; i++) {
      const index = (head + i) % maxQueueSize;
      batch[i] = ring[index] as ReadableSpan;
      ring[index] = undefined;
    }
    head = (head + count) % maxQueueSize;
    length -= count;
    return batch;
  }

  function busy(now: number): boolean {
    for (const [id, due] of inFlight) if (due < now) inFlight.delete(id);
    return inFlight.size >= maxConcurrentExports;
  }

  function exportBatch(target: SpanExporter, batch: ReadableSpan[], ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      let settled = false;
      const settle = (result: ExportResult): void => {
        if (settled) return;
        settled = true;
        clearTimer(timer);
        if (result.code === ExportResultCode.SUCCESS) counters.exported += batch.length;
        else counters.failed += batch.length;
        resolve();
      };
      const timer = setUnrefTimeout(
        () => settle({ code: ExportResultCode.FAILED, error: new Error("export timed out") }),
        ms,
      );
      // The exporter's own requests must not be traced by the instrumented fetch.
      context.with(suppressTracing(context.active()), () => {
        try {
          target.export(batch, settle);
        } catch (error) {
          settle({ code: ExportResultCode.FAILED, error: error as Error });
        }
      });
    });
  }

  function cut(count: number, reason: "unfinished" | "deadline"): void {
    if (count <= 0) return;
    counters.cut += count;
    options.onCut?.(count, reason);
  }

  async function exportPending(deadline: number): Promise<number> {
    if (exporter === undefined) return 0;
    // What the buffer holds now. Spans queued while this export is in flight belong to the
    // invocations that end meanwhile, which schedule the next export (see ExportWindow):
    // draining them here too would make one request per answer under steady load.
    let due = length;
    try {
      while (due > 0) {
        const now = Date.now();
        const left = Math.min(deadline - now, exportTimeoutMs);
        if (left <= 0) {
          cut(due, "deadline");
          return due;
        }
        if (busy(now)) return 0;
        const batch = take(Math.min(maxBatchSize, due));
        if (batch.length === 0) break;
        due -= batch.length;
        const id = nextId++;
        inFlight.set(id, now + left);
        try {
          await exportBatch(exporter, batch, left);
        } finally {
          inFlight.delete(id);
        }
      }
    } catch {
      // Telemetry never fails the invocation.
    }
    return 0;
  }

  function enqueue(span: ReadableSpan): void {
    if (length >= maxQueueSize) {
      counters.dropped++;
      options.onDrop?.(1);
      return;
    }
    ring[(head + length) % maxQueueSize] = span;
    length++;
    counters.queued++;
  }

  function discard(count: number): void {
    if (count === 0) return;
    counters.tailDropped += count;
    options.onTailDrop?.(count);
  }

  return {
    onStart(span, parent) {
      const open = openSetOf?.(parent);
      if (open !== undefined) {
        open.add(span);
        openSets.set(span, open);
      }
      if (groupOf === undefined || exporter === undefined) return;
      const group = groupOf(parent);
      if (group !== undefined) groups.set(span, group);
    },
    onEnd(span) {
      openSets.get(span)?.delete(span);
      if (exporter === undefined) return;
      if ((span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
      const group = groups.get(span);
      if (group === undefined || group.keep === true) enqueue(span);
      else if (group.keep === false) discard(1);
      else if (group.held.length < maxQueueSize) group.held.push(span);
      else {
        counters.dropped++;
        options.onDrop?.(1);
      }
    },
    adopt(span, group) {
      if (groupOf !== undefined) groups.set(span, group);
    },
    settle(group, keep) {
      if (group.keep !== undefined) return;
      group.keep = keep;
      const held = group.held;
      group.held = [];
      if (keep) for (const span of held) enqueue(span);
      else discard(held.length);
    },
    async forceFlush() {
      await exportPending(Date.now() + exportTimeoutMs);
    },
    async shutdown() {
      await exportPending(Date.now() + exportTimeoutMs);
    },
    exportPending,
    cut,
    stats: () => ({ ...counters, queueLength: length }),
  };
}

import type { LogRecord } from "@groundwork/core";
import { clearTimer, setUnrefTimeout } from "@groundwork/platform";
import { context } from "@opentelemetry/api";
import { suppressTracing } from "@opentelemetry/core";
import type { WorkerLogSend } from "../log-export";

/** Counters of an isolate's log export queue since the isolate started. */
export interface LogQueueStats {
  queued: number;
  exported: number;
  failed: number;
  /** Records refused because the queue was full. */
  dropped: number;
}

/** The log records of an isolate waiting for export, as the span buffer holds spans. */
export interface LogQueue {
  /** Queues the records of one invocation; what does not fit is dropped and counted. */
  enqueue(records: readonly LogRecord[]): void;
  /**
   * Sends the records the queue holds when called, batch by batch, until they are sent, the
   * deadline (a `Date.now()` value) passes, or the isolate has its maximum of sends in
   * flight. Records queued meanwhile wait for the next call. Never rejects.
   */
  exportPending(deadline: number): Promise<void>;
  stats(): LogQueueStats;
}

export interface LogQueueOptions {
  maxQueueSize: number;
  maxBatchSize: number;
  maxConcurrentExports: number;
  /** Called with the number of records dropped. */
  onDrop?: (count: number) => void;
}

/** Creates the queue of one isolate. */
export function createLogQueue(send: WorkerLogSend, options: LogQueueOptions): LogQueue {
  const { maxQueueSize, maxBatchSize, maxConcurrentExports } = options;
  let queue: LogRecord[] = [];
  const counters = { queued: 0, exported: 0, failed: 0, dropped: 0 };
  // Sends in flight and when they are due: one whose invocation was cut off never settles.
  const inFlight = new Map<number, number>();
  let nextId = 0;

  function busy(now: number): boolean {
    for (const [id, due] of inFlight) if (due < now) inFlight.delete(id);
    return inFlight.size >= maxConcurrentExports;
  }

  async function sendBatch(batch: LogRecord[], ms: number): Promise<void> {
    let timer: ReturnType<typeof setUnrefTimeout> | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setUnrefTimeout(() => resolve(false), ms);
    });
    // The exporter's own requests must not be traced by the instrumented fetch.
    const sent = context.with(suppressTracing(context.active()), () => {
      try {
        return send(batch, ms).catch(() => false);
      } catch {
        return Promise.resolve(false);
      }
    });
    const ok = await Promise.race([sent, timeout]);
    clearTimer(timer);
    if (ok) counters.exported += batch.length;
    else counters.failed += batch.length;
  }

  return {
    enqueue(records) {
      const room = maxQueueSize - queue.length;
      const taken = records.length <= room ? records : records.slice(0, Math.max(0, room));
      if (taken.length > 0) queue = queue.concat(taken);
      counters.queued += taken.length;
      const dropped = records.length - taken.length;
      if (dropped > 0) {
        counters.dropped += dropped;
        options.onDrop?.(dropped);
      }
    },
    async exportPending(deadline) {
      // What the queue holds now; records queued meanwhile go with the next export.
      let due = queue.length;
      try {
        while (due > 0 && queue.length > 0) {
          const now = Date.now();
          const left = deadline - now;
          if (left <= 0 || busy(now)) return;
          const batch = queue.slice(0, Math.min(maxBatchSize, due));
          queue = queue.slice(batch.length);
          due -= batch.length;
          const id = nextId++;
          inFlight.set(id, now + left);
          try {
            await sendBatch(batch, left);
          } finally {
            inFlight.delete(id);
          }
        }
      } catch {
        // Telemetry never fails the invocation.
      }
    },
    stats: () => ({ ...counters }),
  };
}

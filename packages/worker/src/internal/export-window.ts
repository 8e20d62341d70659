import { setUnrefTimeout } from "@groundwork/platform";

/** Counters of an isolate's export windows since the isolate started. */
export interface ExportWindowStats {
  /** Exports run (one per window, plus those of invocations that could not wait). */
  exports: number;
  /** Invocations that left their data to an export another invocation had scheduled. */
  joined: number;
}

/**
 * Gathers the invocations of an isolate that end close together into one export.
 *
 * Only plain data is shared between invocations: the per-isolate buffers and a note of the
 * export scheduled next. Each export runs in the `waitUntil` of the invocation that
 * scheduled it, with that invocation's own timer and I/O; no promise of one invocation is
 * awaited or resolved by another (workerd cancels such continuations).
 */
export interface ExportWindow {
  /**
   * Called by an invocation once its spans, metric changes and log records are in the
   * isolate's buffers. When an export is scheduled and has not taken its snapshot yet, the
   * data goes with it and this resolves at once. Otherwise this invocation schedules the
   * next export: it waits `delayMs` (gathering the invocations that end meanwhile), then
   * runs `run`, and resolves when that settles.
   */
  join(delayMs: number, run: () => Promise<void>): Promise<void>;
  stats(): ExportWindowStats;
}

export interface ExportWindowOptions {
  /**
   * How long after its due time a scheduled export still counts, in milliseconds: an
   * invocation that is cut off before its export starts never clears its note, so past this
   * the next invocation to end schedules an export of its own.
   */
  graceMs: number;
}

/** Creates the export window of one isolate. */
export function createExportWindow(options: ExportWindowOptions): ExportWindow {
  // The export scheduled next, and when it takes its snapshot (a Date.now() value).
  let scheduled: { due: number } | undefined;
  const counters = { exports: 0, joined: 0 };

  return {
    async join(delayMs, run) {
      const now = Date.now();
      if (scheduled !== undefined && now <= scheduled.due + options.graceMs) {
        counters.joined++;
        return;
      }
      if (delayMs > 0) {
        const mine = { due: now + delayMs };
        scheduled = mine;
        await new Promise<void>((resolve) => {
          setUnrefTimeout(resolve, delayMs);
        });
        // The snapshot is taken now: an invocation ending from here on schedules the next.
        if (scheduled === mine) scheduled = undefined;
      }
      counters.exports++;
      await run();
    },
    stats: () => ({ ...counters }),
  };
}

import { monotonicNow, setUnrefTimeout } from "@groundwork/platform";

/** What a {@link deadlines} queue tracks for each pending operation. */
export interface Ticket {
  /** Monotonic time (`monotonicNow()`) after which the operation has timed out: its start plus the shared duration. */
  deadline: number;
  done: boolean;
}

/**
 * Timeouts for many concurrent operations that all share one duration,
 * with a single timer. Equal durations mean deadlines expire in insertion
 * order, so a FIFO queue suffices; a timer per call would cost more than
 * the rest of a Redis check's client-side work.
 *
 * @param timeoutMs - the shared duration.
 * @param onTimeout - called once for each ticket not settled in time.
 */
export function deadlines<T extends Ticket>(timeoutMs: number, onTimeout: (ticket: T) => void) {
  // Slots before `head` are cleared, so settled tickets are not kept alive
  // until the timer fires: most operations settle in order, within
  // microseconds, and their objects then die young instead of surviving
  // collections for a whole timeout.
  let queue: (T | undefined)[] = [];
  let head = 0;
  let armed = false;

  const fire = () => {
    armed = false;
    const now = monotonicNow();
    while (head < queue.length) {
      const t = queue[head]!;
      if (!t.done) {
        if (t.deadline > now) break;
        t.done = true;
        onTimeout(t);
      }
      queue[head++] = undefined;
    }
    if (head === queue.length) {
      queue = [];
      head = 0;
      return;
    }
    if (head > 1_024 && head * 2 > queue.length) {
      queue = queue.slice(head);
      head = 0;
    }
    arm(queue[head]!.deadline - now);
  };

  const arm = (ms: number) => {
    if (armed) return;
    armed = true;
    setUnrefTimeout(fire, Math.max(1, ms));
  };

  return {
    /** Starts watching a ticket. */
    watch(ticket: T): void {
      queue.push(ticket);
      arm(timeoutMs);
    },
    /** Marks a ticket finished; `false` when it had already timed out. */
    settle(ticket: T): boolean {
      if (ticket.done) return false;
      ticket.done = true;
      while (head < queue.length && queue[head]!.done) queue[head++] = undefined;
      if (head === queue.length) {
        queue.length = 0;
        head = 0;
      } else if (head > 1_024 && head * 2 > queue.length) {
        queue = queue.slice(head);
        head = 0;
      }
      return true;
    },
  };
}

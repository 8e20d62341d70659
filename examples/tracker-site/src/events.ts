import type { TrackerEvent } from "@groundwork/tracker";

/** The last tracker events the site received, oldest first, bounded. */
export interface EventStore {
  /** Adds one event, forgetting the oldest beyond the capacity. */
  add(event: TrackerEvent): void;
  /** The events kept, oldest first. */
  events(): TrackerEvent[];
  /** Events forgotten so far to stay within the capacity. */
  forgotten(): number;
}

/**
 * A ring buffer of tracker events: memory stays bounded however long the site runs.
 *
 * @param capacity - events kept; default 10 000
 * @returns the store
 */
export function createEventStore(capacity = 10_000): EventStore {
  if (!Number.isInteger(capacity) || capacity < 1) {
    throw new RangeError("capacity must be a positive integer");
  }
  const ring: (TrackerEvent | undefined)[] = new Array(capacity);
  let next = 0;
  let size = 0;
  let forgotten = 0;
  return {
    add(event) {
      if (size === capacity) forgotten++;
      else size++;
      ring[next] = event;
      next = (next + 1) % capacity;
    },
    events() {
      const start = (next - size + capacity) % capacity;
      return Array.from({ length: size }, (_, i) => ring[(start + i) % capacity] as TrackerEvent);
    },
    forgotten: () => forgotten,
  };
}

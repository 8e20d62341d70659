import { monotonicNow } from "@groundwork/platform";
import { describe, expect, it } from "vitest";
import { deadlines, type Ticket } from "./deadlines";

interface T extends Ticket {
  id: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("deadlines (one timer for many timeouts)", () => {
  it("times out only the tickets not settled in time, in order", async () => {
    const fired: number[] = [];
    const d = deadlines<T>(30, (t) => fired.push(t.id));
    const tickets: T[] = [];
    for (let id = 0; id < 5; id++) {
      const t: T = { id, deadline: monotonicNow() + 30, done: false };
      d.watch(t);
      tickets.push(t);
    }
    expect(d.settle(tickets[1]!)).toBe(true);
    expect(d.settle(tickets[3]!)).toBe(true);
    await sleep(80);
    expect(fired).toEqual([0, 2, 4]);
    // Settling after the timeout reports that the answer came too late.
    expect(d.settle(tickets[0]!)).toBe(false);
    expect(d.settle(tickets[1]!)).toBe(false);
  });

  it("keeps working across many tickets and later batches", async () => {
    const fired: number[] = [];
    const d = deadlines<T>(20, (t) => fired.push(t.id));
    for (let id = 0; id < 3_000; id++) {
      const t: T = { id, deadline: monotonicNow() + 20, done: false };
      d.watch(t);
      if (id % 3 !== 0) d.settle(t);
    }
    await sleep(60);
    expect(fired).toHaveLength(1_000);
    expect(fired.every((id) => id % 3 === 0)).toBe(true);
    const late: T = { id: -1, deadline: monotonicNow() + 20, done: false };
    d.watch(late);
    await sleep(60);
    expect(fired.at(-1)).toBe(-1);
  });
});

import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { monotonicNow } from "@groundwork/platform";
import { describe, expect, it } from "vitest";
import { deadlines, type Ticket } from "./deadlines";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;
const turn = () => new Promise((r) => setTimeout(r, 0));

describe("deadlines (memory)", () => {
  it("lets settled tickets be collected long before their deadline", async () => {
    const d = deadlines<Ticket & { payload: object }>(60_000, () => {});
    const refs: WeakRef<object>[] = [];
    const watchAndSettle = () => {
      for (let i = 0; i < 100; i++) {
        const payload = { i };
        refs.push(new WeakRef(payload));
        const t = { deadline: monotonicNow() + 60_000, done: false, payload };
        d.watch(t);
        d.settle(t);
      }
    };
    watchAndSettle();
    // A ticket still pending keeps itself alive, not the settled ones before it.
    const pending = { deadline: monotonicNow() + 60_000, done: false, payload: {} };
    d.watch(pending);
    await turn();
    gc();
    await turn();
    expect(refs.filter((r) => r.deref() !== undefined)).toHaveLength(0);
    expect(d.settle(pending)).toBe(true);
  });
});

// These tests need a clock that advances during synchronous code, which
// workerd does not have (it freezes time while a request runs), so they run
// on Node only.
import { describe, expect, it } from "vitest";
import { createLimiter } from "./memory";

describe("default clock", () => {
  it("still lets time pass inside a long synchronous loop", () => {
    // With a clock frozen for the whole loop only the burst (5) would pass.
    // Refusals re-read the clock, so the steady rate continues: ~1 per ms.
    const start = performance.now();
    const l = createLimiter({ rate: "1000/s", burst: 5 });
    let admitted = 0;
    while (admitted < 25) {
      if (l.allow("k")) admitted++;
      if (performance.now() - start > 5_000) throw new Error("the clock never advanced");
    }
    // 20 admissions beyond the burst need ~20 ms of refill; never fewer.
    expect(performance.now() - start).toBeGreaterThanOrEqual(19);
  });

  it("does not hang a caller spinning until allowed", () => {
    // The first admission may use a cached reading taken when the limiter was
    // built, so the 2 ms interval is measured from before that point: the
    // cached reading can be older than the call, never older than this.
    const start = performance.now();
    const l = createLimiter({ rate: "500/s", burst: 1 });
    expect(l.allow()).toBe(true);
    let spins = 0;
    while (!l.allow()) {
      spins++;
      if (spins > 50_000_000) throw new Error("spun forever");
    }
    expect(performance.now() - start).toBeGreaterThanOrEqual(1.99);
  });

  it("check reports on a fresh reading when refusing", () => {
    const l = createLimiter({ rate: "1/s", burst: 1 });
    l.check("k");
    const start = performance.now();
    while (performance.now() - start < 5);
    const refused = l.check("k");
    expect(refused.allowed).toBe(false);
    expect(refused.retryAfterMs).toBeLessThanOrEqual(995.5);
  });
});

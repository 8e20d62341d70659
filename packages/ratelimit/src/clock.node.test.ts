// The default clock is cached per microtask checkpoint. These tests need a
// clock that advances during synchronous code, which workerd does not have
// (it freezes time while a request runs), so they run on Node only.
import { describe, expect, it } from "vitest";
import { limiter } from "./memory";

describe("default (cached) clock", () => {
  it("still lets time pass inside a long synchronous loop", () => {
    const l = limiter({ rate: "1000/s", burst: 5 });
    let admitted = 0;
    const start = performance.now();
    while (performance.now() - start < 30) if (l.allow("k")) admitted++;
    const elapsed = performance.now() - start;
    // Refusals re-read the clock, so the steady rate continues: ~1 per ms.
    // The lower bound allows for the process being descheduled on a busy machine.
    expect(admitted).toBeGreaterThanOrEqual(Math.floor(elapsed) / 2);
    expect(admitted).toBeLessThanOrEqual(5 + Math.ceil(elapsed) + 1);
  });

  it("does not hang a caller spinning until allowed", () => {
    const l = limiter({ rate: "500/s", burst: 1 });
    expect(l.allow()).toBe(true);
    const start = performance.now();
    let spins = 0;
    while (!l.allow()) {
      spins++;
      if (spins > 50_000_000) throw new Error("spun forever");
    }
    expect(performance.now() - start).toBeGreaterThanOrEqual(1.5);
  });

  it("check reports on a fresh reading when refusing", () => {
    const l = limiter({ rate: "1/s", burst: 1 });
    l.check("k");
    const start = performance.now();
    while (performance.now() - start < 5);
    const refused = l.check("k");
    expect(refused.allowed).toBe(false);
    expect(refused.retryAfterMs).toBeLessThanOrEqual(995.5);
  });
});

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createLimiter } from "./memory";

// For GCRA with emission interval T and burst B, any window of length W
// admits at most floor(W / T) + B units: the theoretical arrival time
// advances by T per unit and may lead the clock by at most B × T.
const bound = (windowMs: number, intervalMs: number, burst: number) =>
  Math.floor(windowMs / intervalMs + 1e-9) + burst;

const scenario = fc.record({
  count: fc.integer({ min: 1, max: 50 }),
  periodMs: fc.constantFrom(100, 1_000, 3_000, 60_000),
  burst: fc.integer({ min: 1, max: 20 }),
  steps: fc.array(
    fc.record({
      gap: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 500, noNaN: true })),
      cost: fc.integer({ min: 0, max: 4 }),
    }),
    { minLength: 1, maxLength: 300 },
  ),
});

describe("GCRA properties", () => {
  it("admits in any window at most rate × window + burst", () => {
    fc.assert(
      fc.property(scenario, ({ count, periodMs, burst, steps }) => {
        let now = 10_000;
        const l = createLimiter({ rate: `${count}/${periodMs}ms`, burst, clock: () => now });
        const interval = periodMs / count;
        const admits: { t: number; cost: number }[] = [];
        for (const step of steps) {
          now += step.gap;
          if (l.allow("k", step.cost) && step.cost > 0) admits.push({ t: now, cost: step.cost });
        }
        // Every window [admits[i].t, admits[j].t] of admitted units.
        for (let i = 0; i < admits.length; i++) {
          let units = 0;
          for (let j = i; j < admits.length; j++) {
            units += admits[j]!.cost;
            const window = admits[j]!.t - admits[i]!.t;
            if (units > bound(window, interval, burst)) return false;
          }
        }
        return true;
      }),
      { numRuns: 300 },
    );
  });

  it("check and allow agree, and results are self-consistent", () => {
    fc.assert(
      fc.property(scenario, ({ count, periodMs, burst, steps }) => {
        let now = 10_000;
        const a = createLimiter({ rate: `${count}/${periodMs}ms`, burst, clock: () => now });
        const b = createLimiter({ rate: `${count}/${periodMs}ms`, burst, clock: () => now });
        const interval = periodMs / count;
        for (const step of steps) {
          now += step.gap;
          const r = a.check("k", { cost: step.cost });
          expect(b.allow("k", step.cost)).toBe(r.allowed);
          expect(r.remaining).toBeGreaterThanOrEqual(0);
          expect(r.remaining).toBeLessThanOrEqual(burst);
          expect(r.resetAfterMs).toBeGreaterThanOrEqual(0);
          expect(r.resetAfterMs).toBeLessThanOrEqual(burst * interval + 1e-6);
          if (r.allowed) expect(r.retryAfterMs).toBe(0);
          else expect(r.retryAfterMs).toBeGreaterThan(0);
        }
      }),
      { numRuns: 200 },
    );
  });

  it("a refused request is admitted exactly at retry-after", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100 }),
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 1, max: 10 }),
        (count, burst, cost) => {
          fc.pre(cost <= burst);
          let now = 0;
          const l = createLimiter({ rate: `${count}/s`, burst, clock: () => now });
          while (l.allow("k", 1));
          const refused = l.check("k", { cost });
          expect(refused.allowed).toBe(false);
          now += refused.retryAfterMs - 0.01;
          expect(l.allow("k", cost)).toBe(false);
          now += 0.01;
          expect(l.allow("k", cost)).toBe(true);
        },
      ),
    );
  });
});

import { describe, expect, it } from "vitest";
import type { RateLimitError } from "./errors";
import { createLimiter } from "./memory";

function fakeClock(start = 1_000) {
  let now = start;
  return {
    now: () => now,
    advance(ms: number) {
      now += ms;
    },
  };
}

describe("limiter (in-memory GCRA)", () => {
  it("admits the burst, then one request per interval", () => {
    const clock = fakeClock();
    const l = createLimiter({ rate: "10/s", burst: 3, clock: clock.now });
    expect([l.allow("k"), l.allow("k"), l.allow("k"), l.allow("k")]).toEqual([
      true,
      true,
      true,
      false,
    ]);
    clock.advance(99);
    expect(l.allow("k")).toBe(false);
    clock.advance(1);
    expect(l.allow("k")).toBe(true);
    expect(l.allow("k")).toBe(false);
  });

  it("reports exact remaining, retry-after and reset-after", () => {
    const clock = fakeClock();
    const l = createLimiter({ rate: "10/s", burst: 3, clock: clock.now });
    expect(l.check("k")).toEqual({
      allowed: true,
      remaining: 2,
      retryAfterMs: 0,
      resetAfterMs: 100,
    });
    expect(l.check("k")).toEqual({
      allowed: true,
      remaining: 1,
      retryAfterMs: 0,
      resetAfterMs: 200,
    });
    expect(l.check("k")).toEqual({
      allowed: true,
      remaining: 0,
      retryAfterMs: 0,
      resetAfterMs: 300,
    });
    expect(l.check("k")).toEqual({
      allowed: false,
      remaining: 0,
      retryAfterMs: 100,
      resetAfterMs: 300,
    });
    clock.advance(40);
    expect(l.check("k")).toEqual({
      allowed: false,
      remaining: 0,
      retryAfterMs: 60,
      resetAfterMs: 260,
    });
    clock.advance(260);
    expect(l.check("k", { cost: 0 })).toEqual({
      allowed: true,
      remaining: 3,
      retryAfterMs: 0,
      resetAfterMs: 0,
    });
  });

  it("defaults the burst to the rate's count", () => {
    const l = createLimiter({ rate: "5/s", clock: fakeClock().now });
    expect(l.policy).toEqual({ count: 5, periodMs: 1_000, burst: 5 });
    let admitted = 0;
    for (let i = 0; i < 10; i++) if (l.allow()) admitted++;
    expect(admitted).toBe(5);
    expect(createLimiter({ rate: "0.5/s" }).policy.burst).toBe(1);
  });

  it("handles intervals that do not add up exactly in floating point", () => {
    const clock = fakeClock(1_700_000_000_000.123);
    const l = createLimiter({ rate: "3/s", burst: 3, clock: clock.now });
    expect([l.allow(), l.allow(), l.allow(), l.allow()]).toEqual([true, true, true, false]);
    clock.advance(1_000 / 3);
    expect(l.check()).toMatchObject({ allowed: true, remaining: 0 });
  });

  it("keeps the shared bucket apart from keyed buckets, including the empty key", () => {
    const l = createLimiter({ rate: "1/s", burst: 1, clock: fakeClock().now });
    expect(l.allow()).toBe(true);
    expect(l.allow()).toBe(false);
    expect(l.allow("")).toBe(true);
    expect(l.allow("a")).toBe(true);
    expect(l.allow("a")).toBe(false);
    expect(l.size).toBe(2);
  });

  it("refuses a cost no bucket can hold instead of throwing", () => {
    const l = createLimiter({ rate: "1/s", burst: 2, clock: fakeClock().now });
    for (const cost of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(l.check("k", { cost })).toMatchObject({
        allowed: false,
        remaining: 2,
        retryAfterMs: Number.POSITIVE_INFINITY,
      });
      expect(l.allow("k", cost)).toBe(false);
    }
    // Nothing was consumed.
    expect(l.check("k", { cost: 2 }).allowed).toBe(true);
  });

  it("throws ERR_INVALID_OPTION at construction for every bad option", () => {
    const bad = [
      { rate: "often" },
      { rate: "1/s", burst: 0.5 },
      { rate: "1/s", maxKeys: 0 },
      { rate: "1/s", sweepIntervalMs: 0 },
      { rate: "1/s", clock: 5 as unknown as () => number },
    ];
    for (const options of bad) {
      expect(() => createLimiter(options)).toThrowError(
        expect.objectContaining({ name: "RateLimitError", code: "ERR_INVALID_OPTION" }),
      );
    }
    try {
      createLimiter({ rate: "often" });
    } catch (err) {
      expect((err as RateLimitError).cause).toMatchObject({ code: "ERR_INVALID_RATE" });
    }
    expect.assertions(bad.length + 1);
  });

  it("schedules nothing per check with the default clock (awaited checks stay cheap)", () => {
    // One check per tick, as a request handler makes them: a microtask (or
    // timer) per check would cost more than the decision itself.
    const scope = globalThis as unknown as { queueMicrotask: (cb: () => void) => void };
    const original = scope.queueMicrotask;
    let queued = 0;
    scope.queueMicrotask = (cb) => {
      queued++;
      original(cb);
    };
    try {
      const l = createLimiter({ rate: "1000/s", burst: 10 });
      for (let i = 0; i < 20; i++) {
        l.check(`k${i % 3}`);
        l.allow();
      }
    } finally {
      scope.queueMicrotask = original;
    }
    expect(queued).toBe(0);
  });

  it("reset and clear forget state", () => {
    const l = createLimiter({ rate: "1/s", burst: 1, clock: fakeClock().now });
    l.allow("a");
    l.allow("b");
    l.allow();
    l.reset("a");
    expect(l.allow("a")).toBe(true);
    expect(l.allow("b")).toBe(false);
    l.reset();
    expect(l.allow()).toBe(true);
    l.clear();
    expect(l.size).toBe(0);
    expect(l.allow("b")).toBe(true);
  });

  describe("bounded memory", () => {
    it("sweeps idle keys on the sweep interval", () => {
      const clock = fakeClock();
      const l = createLimiter({ rate: "10/s", burst: 1, clock: clock.now, sweepIntervalMs: 1_000 });
      for (let i = 0; i < 100; i++) l.allow(`k${i}`);
      expect(l.size).toBe(100);
      clock.advance(500);
      l.allow("fresh");
      expect(l.size).toBe(101);
      clock.advance(600);
      l.allow("fresh");
      // All keys went idle 100 ms after use; the sweep dropped them.
      expect(l.size).toBe(1);
    });

    it("never holds more than maxKeys under a flood of distinct keys", () => {
      const clock = fakeClock();
      const l = createLimiter({ rate: "1/min", burst: 1, clock: clock.now, maxKeys: 1_000 });
      let peak = 0;
      let refused = 0;
      for (let i = 0; i < 50_000; i++) {
        if (!l.allow(`flood:${i}`)) refused++;
        if (l.size > peak) peak = l.size;
      }
      expect(refused).toBe(0);
      expect(peak).toBe(1_000);
    });

    it("keeps enforcing limits for recent keys while evicting the oldest", () => {
      const clock = fakeClock();
      const l = createLimiter({ rate: "1/min", burst: 1, clock: clock.now, maxKeys: 100 });
      for (let i = 0; i < 150; i++) l.allow(`k${i}`);
      expect(l.allow("k149")).toBe(false);
      // The oldest keys were forgotten and start over with a full burst.
      expect(l.allow("k0")).toBe(true);
    });

    it("prefers dropping idle keys over active ones when full", () => {
      const clock = fakeClock();
      const l = createLimiter({ rate: "1/s", burst: 1, clock: clock.now, maxKeys: 10 });
      for (let i = 0; i < 5; i++) l.allow(`old${i}`);
      clock.advance(2_000);
      for (let i = 0; i < 5; i++) l.allow(`new${i}`);
      l.allow("one-more");
      expect(l.size).toBe(6);
      for (let i = 0; i < 5; i++) expect(l.allow(`new${i}`)).toBe(false);
    });

    it("reuses slots after keys are dropped", () => {
      const clock = fakeClock();
      const l = createLimiter({ rate: "10/s", burst: 1, clock: clock.now, maxKeys: 64 });
      for (let round = 0; round < 20; round++) {
        for (let i = 0; i < 64; i++) expect(l.allow(`r${round}:${i}`)).toBe(true);
        clock.advance(200);
      }
      expect(l.size).toBeLessThanOrEqual(64);
    });
  });
});

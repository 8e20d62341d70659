import { describe, expect, it } from "vitest";
import { formatPolicy, formatRateLimit, formatRetryAfter } from "./headers";

describe("rate-limit header formatting", () => {
  it("formats RateLimit-Policy from the steady rate", () => {
    expect(formatPolicy("default", { count: 100, periodMs: 60_000, burst: 20 })).toBe(
      '"default";q=100;w=60',
    );
    expect(formatPolicy("api", { count: 10, periodMs: 1_000, burst: 10 })).toBe('"api";q=10;w=1');
  });

  it("keeps q and w integers for sub-second and fractional rates", () => {
    expect(formatPolicy("p", { count: 1, periodMs: 500, burst: 1 })).toBe('"p";q=2;w=1');
    expect(formatPolicy("p", { count: 0.5, periodMs: 1_000, burst: 1 })).toBe('"p";q=1;w=1');
  });

  it("quotes the policy name as a structured-field string", () => {
    expect(formatPolicy('a"b\\c', { count: 1, periodMs: 1_000, burst: 1 })).toBe(
      '"a\\"b\\\\c";q=1;w=1',
    );
    expect(formatPolicy("é", { count: 1, periodMs: 1_000, burst: 1 })).toBe('"?";q=1;w=1');
  });

  it("formats RateLimit with t, the time until the next unit, in whole seconds rounded up", () => {
    // 10 per 10 s, burst 10: one unit per second; 2.001 s until full means
    // 7.999 s of credit, 7 whole units usable and the 8th in 1 ms.
    const policy = { count: 10, periodMs: 10_000, burst: 10 };
    expect(
      formatRateLimit(
        "default",
        { allowed: true, remaining: 7, retryAfterMs: 0, resetAfterMs: 2_001 },
        policy,
      ),
    ).toBe('"default";r=7;t=1');
    // A slow rate: the next unit is 40 s away (1 per minute, half a minute spent).
    expect(
      formatRateLimit(
        "default",
        { allowed: false, remaining: 0, retryAfterMs: 30_000, resetAfterMs: 90_000 },
        { count: 1, periodMs: 60_000, burst: 2 },
      ),
    ).toBe('"default";r=0;t=30');
    // Full: nothing more to accrue.
    expect(
      formatRateLimit(
        "default",
        { allowed: true, remaining: 10, retryAfterMs: 0, resetAfterMs: 0 },
        policy,
      ),
    ).toBe('"default";r=10;t=0');
  });

  it("formats Retry-After as at least one second, and not at all for never", () => {
    expect(formatRetryAfter(1)).toBe("1");
    expect(formatRetryAfter(1_000)).toBe("1");
    expect(formatRetryAfter(1_001)).toBe("2");
    expect(formatRetryAfter(Number.POSITIVE_INFINITY)).toBeUndefined();
  });
});

describe("rounding", () => {
  it("does not let float noise add a second", () => {
    expect(formatRetryAfter(60_000.0000001)).toBe("60");
    expect(formatRetryAfter(60_000.002)).toBe("61");
    expect(
      formatRateLimit(
        "d",
        { allowed: true, remaining: 1, retryAfterMs: 0, resetAfterMs: 30_000.001 },
        { count: 1, periodMs: 30_000, burst: 2 },
      ),
    ).toBe('"d";r=1;t=30');
  });
});

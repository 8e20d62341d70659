import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  backoffDelayMs,
  DEFAULT_RETRY_POLICY,
  isRetryableStatus,
  parseRetryAfterMs,
  resolveRetryPolicy,
} from "./retry";

describe("resolveRetryPolicy", () => {
  it("fills in the defaults", () => {
    expect(resolveRetryPolicy()).toEqual({
      maxAttempts: 5,
      initialBackoffMs: 1000,
      maxBackoffMs: 5000,
      maxElapsedMs: 30_000,
    });
  });

  it("clamps nonsense to something usable", () => {
    expect(resolveRetryPolicy({ maxAttempts: 0 }).maxAttempts).toBe(1);
    expect(resolveRetryPolicy({ maxAttempts: 2.7 }).maxAttempts).toBe(2);
    expect(resolveRetryPolicy({ maxAttempts: Number.NaN }).maxAttempts).toBe(5);
    expect(resolveRetryPolicy({ initialBackoffMs: -1 }).initialBackoffMs).toBe(1000);
    expect(resolveRetryPolicy({ maxElapsedMs: Number.POSITIVE_INFINITY }).maxElapsedMs).toBe(
      30_000,
    );
    expect(resolveRetryPolicy({ initialBackoffMs: 800, maxBackoffMs: 100 }).maxBackoffMs).toBe(800);
  });
});

describe("backoffDelayMs", () => {
  const policy = resolveRetryPolicy({ initialBackoffMs: 100, maxBackoffMs: 1000 });

  it("grows exponentially up to the cap (at the top of the jitter range)", () => {
    const top = () => 0.999_999;
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelayMs(n, policy, top))).toEqual([
      99, 199, 399, 799, 999, 999,
    ]);
  });

  it("applies full jitter: anywhere from 0 to the ceiling", () => {
    expect(backoffDelayMs(3, policy, () => 0)).toBe(0);
    expect(backoffDelayMs(3, policy, () => 0.5)).toBe(200);
    expect(backoffDelayMs(3, DEFAULT_RETRY_POLICY, () => 0.5)).toBe(2000);
  });

  it("stays within [0, min(cap, initial * 2^(n-1))] for any retry and random value", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -5, max: 10_000 }),
        fc.double({ noNaN: false }),
        fc.integer({ min: 0, max: 60_000 }),
        fc.integer({ min: 0, max: 120_000 }),
        (retry, random, initialBackoffMs, maxBackoffMs) => {
          const p = resolveRetryPolicy({ initialBackoffMs, maxBackoffMs });
          const delay = backoffDelayMs(retry, p, () => random);
          const growth = p.initialBackoffMs * 2 ** Math.max(0, retry - 1);
          const ceiling = p.initialBackoffMs === 0 ? 0 : Math.min(p.maxBackoffMs, growth);
          return Number.isInteger(delay) && delay >= 0 && delay <= ceiling;
        },
      ),
    );
  });

  it("spreads retries out with the default random source", () => {
    const delays = new Set(Array.from({ length: 50 }, () => backoffDelayMs(4, policy)));
    expect(delays.size).toBeGreaterThan(10);
  });
});

describe("parseRetryAfterMs", () => {
  const now = Date.parse("2026-01-10T12:00:00Z");

  it("reads delay-seconds", () => {
    expect(parseRetryAfterMs("0", now)).toBe(0);
    expect(parseRetryAfterMs("3", now)).toBe(3000);
    expect(parseRetryAfterMs(" 120 ", now)).toBe(120_000);
  });

  it("reads an HTTP date relative to now, and a past date as 0", () => {
    expect(parseRetryAfterMs("Sat, 10 Jan 2026 12:00:30 GMT", now)).toBe(30_000);
    expect(parseRetryAfterMs("Saturday, 10-Jan-26 12:01:00 GMT", now)).toBe(60_000);
    expect(parseRetryAfterMs("Fri, 09 Jan 2026 12:00:00 GMT", now)).toBe(0);
  });

  it("ignores what is absent or malformed", () => {
    for (const value of [
      null,
      undefined,
      "",
      "soon",
      "-1",
      "1.5",
      "+3",
      "3s",
      "2026-01-10",
      "Tuesday",
    ]) {
      expect(parseRetryAfterMs(value, now)).toBeUndefined();
    }
    expect(parseRetryAfterMs("9".repeat(30), now)).toBeUndefined();
  });

  it("never throws and never returns a negative or non-finite delay", () => {
    fc.assert(
      fc.property(fc.string(), (value) => {
        const ms = parseRetryAfterMs(value, now);
        return ms === undefined || (Number.isFinite(ms) && ms >= 0);
      }),
    );
  });
});

describe("isRetryableStatus", () => {
  it("retries throttling and transient gateway errors only", () => {
    const retried = [];
    for (let status = 100; status < 600; status++)
      if (isRetryableStatus(status)) retried.push(status);
    expect(retried).toEqual([429, 502, 503, 504]);
  });
});

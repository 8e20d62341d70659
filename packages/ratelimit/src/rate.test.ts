import { describe, expect, it } from "vitest";
import { RateLimitError } from "./errors";
import { parseRate } from "./rate";

describe("parseRate", () => {
  it.each([
    ["10/s", 10, 1_000],
    ["10/second", 10, 1_000],
    ["600/min", 600, 60_000],
    ["600 / minute", 600, 60_000],
    ["5000/h", 5_000, 3_600_000],
    ["5000/hour", 5_000, 3_600_000],
    ["3/10s", 3, 10_000],
    ["1/500ms", 1, 500],
    ["0.5/s", 0.5, 1_000],
    ["100/day", 100, 86_400_000],
  ])("parses %s", (input, count, periodMs) => {
    expect(parseRate(input)).toEqual({ count, periodMs, intervalMs: periodMs / count });
  });

  it("parses the object form", () => {
    expect(parseRate({ per: "minute", count: 120 })).toEqual({
      count: 120,
      periodMs: 60_000,
      intervalMs: 500,
    });
  });

  it.each(["", "10", "ten/s", "10/fortnight", "0/s", "-1/s", "10/0s", "/s", "10/s/s"])(
    "rejects %j with ERR_INVALID_RATE",
    (input) => {
      expect(() => parseRate(input)).toThrowError(RateLimitError);
      try {
        parseRate(input);
      } catch (err) {
        expect((err as RateLimitError).code).toBe("ERR_INVALID_RATE");
      }
    },
  );

  it("rejects bad object forms", () => {
    expect(() => parseRate({ per: "week" as "hour", count: 1 })).toThrowError(/period/);
    expect(() => parseRate({ per: "second", count: 0 })).toThrowError(RateLimitError);
    expect(() => parseRate({ per: "second", count: Number.NaN })).toThrowError(RateLimitError);
  });
});

import { describe, expect, it } from "vitest";
import { WorkerError } from "./errors";
import { createTailSampler, type InvocationSummary } from "./sampling";

const base: InvocationSummary = {
  api: "a",
  resource: "/",
  method: "GET",
  status: "200",
  outcome: "ok",
  durationMs: 10,
  traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
  spans: 1,
};

describe("createTailSampler", () => {
  it("keeps failures and slow invocations, and a share of the rest by trace id", () => {
    const sample = createTailSampler({ slowMs: 100, ratio: 0 });
    expect(sample(base)).toBe(false);
    expect(sample({ ...base, outcome: "error", status: "503" })).toBe(true);
    expect(sample({ ...base, outcome: "exception", status: "500" })).toBe(true);
    expect(sample({ ...base, durationMs: 100 })).toBe(true);
    expect(createTailSampler({ ratio: 1 })(base)).toBe(true);
    expect(createTailSampler({ keepErrors: false, ratio: 0 })({ ...base, outcome: "error" })).toBe(
      false,
    );
    // The same trace gets the same answer everywhere; about `ratio` of traces are kept.
    const half = createTailSampler({ ratio: 0.5 });
    let kept = 0;
    for (let i = 0; i < 2000; i++) {
      const traceId = i.toString(16).padStart(32, "0").replace(/^0/, "a");
      const random = `${traceId.slice(0, 16)}${Math.floor(Math.random() * 2 ** 52)
        .toString(16)
        .padStart(16, "0")}`;
      const decision = half({ ...base, traceId: random });
      expect(half({ ...base, traceId: random })).toBe(decision);
      if (decision) kept++;
    }
    expect(kept).toBeGreaterThan(800);
    expect(kept).toBeLessThan(1200);
  });

  it("throws ERR_INVALID_OPTION for a bad ratio or threshold", () => {
    expect(() => createTailSampler({ ratio: 2 })).toThrow(WorkerError);
    expect(() => createTailSampler({ slowMs: -1 })).toThrow(WorkerError);
  });
});

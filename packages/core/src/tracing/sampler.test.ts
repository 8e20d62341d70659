import { ROOT_CONTEXT, SpanKind, TraceFlags, trace } from "@opentelemetry/api";
import { SamplingDecision } from "@opentelemetry/sdk-trace-base";
import { describe, expect, it } from "vitest";
import { CoreError } from "../errors";
import { FORK_KEY } from "./context-keys";
import { createSampler, traceIdUnderRatio } from "./sampler";
import { setSamplingRatio } from "./sampling-ratio";

const SAMPLED = SamplingDecision.RECORD_AND_SAMPLED;
const DROPPED = SamplingDecision.NOT_RECORD;

function randomTraceId(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function decide(
  sampler: ReturnType<typeof createSampler>,
  ctx = ROOT_CONTEXT,
  id = randomTraceId(),
) {
  return sampler.shouldSample(ctx, id, "s", SpanKind.INTERNAL, {}, []).decision;
}

function withParent(sampled: boolean, isRemote: boolean) {
  return trace.setSpanContext(ROOT_CONTEXT, {
    traceId: "0af7651916cd43dd8448eb211c80319c",
    spanId: "b7ad6b7169203331",
    traceFlags: sampled ? TraceFlags.SAMPLED : TraceFlags.NONE,
    isRemote,
  });
}

describe("traceIdUnderRatio", () => {
  it("is deterministic and close to the ratio over many ids", () => {
    const ids = Array.from({ length: 20_000 }, randomTraceId);
    for (const ratio of [0.1, 0.5, 0.9]) {
      const n = ids.filter((id) => traceIdUnderRatio(id, ratio)).length;
      expect(Math.abs(n / ids.length - ratio)).toBeLessThan(0.02);
    }
    const id = ids[0]!;
    expect(traceIdUnderRatio(id, 0.5)).toBe(traceIdUnderRatio(id, 0.5));
    expect(traceIdUnderRatio(id, 1)).toBe(true);
    expect(traceIdUnderRatio(id, 0)).toBe(false);
  });

  it("is monotonic in the ratio: sampled at r stays sampled at any larger r", () => {
    const ids = Array.from({ length: 1000 }, randomTraceId);
    const under = ids.filter((id) => traceIdUnderRatio(id, 0.3));
    // About 300 ids fall under 0.3; the check below must not pass on an empty set.
    expect(under.length).toBeGreaterThan(200);
    expect(under.filter((id) => !traceIdUnderRatio(id, 0.6))).toEqual([]);
    expect(ids.filter((id) => traceIdUnderRatio(id, 0.6)).length).toBeGreaterThan(under.length);
  });
});

describe("createSampler", () => {
  it("follows a local parent whatever the ratio", () => {
    const s = createSampler({ samplingRatio: 0 });
    expect(decide(s, withParent(true, false))).toBe(SAMPLED);
    const all = createSampler({ samplingRatio: 1 });
    expect(decide(all, withParent(false, false))).toBe(DROPPED);
    expect(decide(all, setSamplingRatio(withParent(false, false), 1))).toBe(DROPPED);
  });

  it("follows a remote parent; a branch ratio may sample an unsampled one", () => {
    const s = createSampler({ samplingRatio: 0 });
    expect(decide(s, withParent(true, true))).toBe(SAMPLED);
    expect(decide(s, withParent(false, true))).toBe(DROPPED);
    expect(decide(s, setSamplingRatio(withParent(false, true), 1))).toBe(SAMPLED);
  });

  it("samples roots by the configured ratio, or the branch ratio when set", () => {
    expect(decide(createSampler({ samplingRatio: 1 }))).toBe(SAMPLED);
    expect(decide(createSampler({ samplingRatio: 0 }))).toBe(DROPPED);
    expect(decide(createSampler(), setSamplingRatio(ROOT_CONTEXT, 0))).toBe(DROPPED);
    expect(decide(createSampler({ samplingRatio: 0 }), setSamplingRatio(ROOT_CONTEXT, 1))).toBe(
      SAMPLED,
    );
  });

  it("decides fork roots from the parent's flag, then the fork's own ratio", () => {
    const s = createSampler({ samplingRatio: 0 });
    const fork = (parentSampled: boolean, ratio?: number) =>
      ROOT_CONTEXT.setValue(FORK_KEY, { parentSampled, ratio });
    expect(decide(s, fork(true))).toBe(SAMPLED);
    expect(decide(createSampler({ samplingRatio: 1 }), fork(false))).toBe(DROPPED);
    expect(decide(s, fork(false, 1))).toBe(SAMPLED);
    expect(decide(createSampler({ samplingRatio: 1 }), fork(false, 0))).toBe(DROPPED);
  });

  it("caps new sampled traces per second but never a sampled parent's children", () => {
    let now = 0;
    const s = createSampler({
      rateLimit: { maxTracesPerSecond: 2, burst: 2, clock: () => now },
    });
    const roots = () => Array.from({ length: 5 }, () => decide(s));
    expect(roots()).toEqual([SAMPLED, SAMPLED, DROPPED, DROPPED, DROPPED]);
    // Children and forks of sampled spans are not counted against the cap.
    expect(decide(s, withParent(true, false))).toBe(SAMPLED);
    expect(decide(s, withParent(true, true))).toBe(SAMPLED);
    expect(decide(s, ROOT_CONTEXT.setValue(FORK_KEY, { parentSampled: true }))).toBe(SAMPLED);
    now += 500; // one more token at 2/s
    expect(roots()).toEqual([SAMPLED, DROPPED, DROPPED, DROPPED, DROPPED]);
    now += 10_000;
    expect(roots().filter((d) => d === SAMPLED)).toHaveLength(2);
  });

  it("does not spend rate-limit tokens on traces the ratio drops", () => {
    const now = 0;
    const s = createSampler({
      samplingRatio: 1,
      rateLimit: { maxTracesPerSecond: 1, burst: 1, clock: () => now },
    });
    expect(decide(s, setSamplingRatio(ROOT_CONTEXT, 0))).toBe(DROPPED);
    expect(decide(s)).toBe(SAMPLED);
  });

  it("rejects invalid configuration with coded errors", () => {
    for (const bad of [-0.1, 1.5, Number.NaN]) {
      expect(() => createSampler({ samplingRatio: bad })).toThrowError(
        expect.objectContaining({ code: "ERR_INVALID_OPTION" }),
      );
    }
    expect(() => createSampler({ rateLimit: { maxTracesPerSecond: 0 } })).toThrow(CoreError);
    expect(() => createSampler({ rateLimit: { maxTracesPerSecond: 5, burst: 0 } })).toThrowError(
      expect.objectContaining({ code: "ERR_INVALID_OPTION" }),
    );
  });

  it("clamps per-branch ratios instead of throwing", () => {
    expect(decide(createSampler({ samplingRatio: 0 }), setSamplingRatio(ROOT_CONTEXT, 7))).toBe(
      SAMPLED,
    );
    expect(decide(createSampler(), setSamplingRatio(ROOT_CONTEXT, -3))).toBe(DROPPED);
    expect(decide(createSampler(), setSamplingRatio(ROOT_CONTEXT, Number.NaN))).toBe(SAMPLED);
  });
});

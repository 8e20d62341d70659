import { createLimiter, type MemoryLimiter } from "@groundwork/ratelimit";
import { type Context, isSpanContextValid, TraceFlags, trace } from "@opentelemetry/api";
import { type Sampler, SamplingDecision, type SamplingResult } from "@opentelemetry/sdk-trace-base";
import { CoreError } from "../errors";
import { FORK_KEY, type ForkMarker, SAMPLING_RATIO_KEY } from "./context-keys";

/** Limits how many new traces per second are sampled. */
export interface TraceRateLimit {
  /** New sampled traces allowed per second at the steady rate. */
  maxTracesPerSecond: number;
  /** Traces allowed at once after an idle period. Default: `maxTracesPerSecond` rounded up. */
  burst?: number;
  /** Monotonic clock in milliseconds, for tests. Default `performance.now()`. */
  clock?: () => number;
}

/** Options of {@link createSampler}. */
export interface GroundworkSamplerOptions {
  /** Probability in [0, 1] that a new trace is sampled. Default 1. */
  samplingRatio?: number;
  /** Optional cap on new sampled traces per second (GCRA, in memory). */
  rateLimit?: TraceRateLimit;
}

const RECORD_AND_SAMPLE: SamplingResult = Object.freeze({
  decision: SamplingDecision.RECORD_AND_SAMPLED,
});
const DROP: SamplingResult = Object.freeze({ decision: SamplingDecision.NOT_RECORD });

// 13 hex digits = 52 random bits, exactly representable in a double.
const RATIO_BITS = 2 ** 52;

/**
 * Whether a trace id falls under `ratio`. Deterministic in the trace id, so
 * every service that samples the same trace at the same ratio agrees, and it
 * reads the id's rightmost bits, which W3C Trace Context level 2 asks
 * generators to make random.
 *
 * @param traceId - 32 lowercase hex digits.
 * @param ratio - probability in [0, 1].
 * @returns `true` when a trace with this id is sampled at this ratio.
 * @example
 * ```ts
 * traceIdUnderRatio("4bf92f3577b34da6a3ce929d0e0e4736", 0.5); // same answer everywhere
 * ```
 */
export function traceIdUnderRatio(traceId: string, ratio: number): boolean {
  if (ratio >= 1) return true;
  if (ratio <= 0) return false;
  const low = Number.parseInt(traceId.slice(-13), 16);
  return Number.isFinite(low) && low < ratio * RATIO_BITS;
}

/**
 * Creates Groundwork's sampler. Decisions, in order:
 * 1. a child of a local span follows its parent;
 * 2. a continuation of a sampled remote parent is sampled; of an unsampled
 *    one, sampled only when a branch ratio was set (`startTrace({ samplingRatio })`);
 * 3. the root of a forked trace is sampled when the span it forks from was
 *    (Foundations semantics); otherwise only by the fork's own ratio;
 * 4. any other root is sampled with the branch ratio if set, else the
 *    configured ratio.
 * A rate limit, when configured, caps the traces sampled by a ratio (steps
 * 2–4); it never breaks up a trace that is already sampled.
 *
 * @param options - `samplingRatio` (default 1) and optional `rateLimit`.
 * @returns an OpenTelemetry `Sampler` for a `BasicTracerProvider`.
 * @throws {CoreError} `ERR_INVALID_OPTION` for an invalid ratio or rate limit.
 * @example
 * ```ts
 * const provider = new BasicTracerProvider({
 *   sampler: createSampler({ samplingRatio: 0.1, rateLimit: { maxTracesPerSecond: 50 } }),
 * });
 * ```
 */
export function createSampler(options: GroundworkSamplerOptions = {}): Sampler {
  const ratio = options.samplingRatio ?? 1;
  if (typeof ratio !== "number" || !(ratio >= 0 && ratio <= 1)) {
    throw new CoreError(
      "ERR_INVALID_OPTION",
      `samplingRatio must be a number in [0, 1], got ${String(ratio)}`,
    );
  }
  const gate = options.rateLimit ? createGate(options.rateLimit) : undefined;
  const description = `GroundworkSampler{ratio=${ratio}${
    options.rateLimit ? `, maxTracesPerSecond=${options.rateLimit.maxTracesPerSecond}` : ""
  }}`;

  const byRatio = (traceId: string, r: number): SamplingResult =>
    traceIdUnderRatio(traceId, r) && (gate === undefined || gate.allow())
      ? RECORD_AND_SAMPLE
      : DROP;

  return {
    shouldSample(ctx: Context, traceId: string): SamplingResult {
      const parent = trace.getSpanContext(ctx);
      if (parent !== undefined && isSpanContextValid(parent)) {
        if ((parent.traceFlags & TraceFlags.SAMPLED) !== 0) return RECORD_AND_SAMPLE;
        if (parent.isRemote !== true) return DROP;
        const branch = ctx.getValue(SAMPLING_RATIO_KEY) as number | undefined;
        return branch === undefined ? DROP : byRatio(traceId, branch);
      }
      const fork = ctx.getValue(FORK_KEY) as ForkMarker | undefined;
      if (fork !== undefined) {
        if (fork.parentSampled) return RECORD_AND_SAMPLE;
        return fork.ratio === undefined ? DROP : byRatio(traceId, fork.ratio);
      }
      const branch = ctx.getValue(SAMPLING_RATIO_KEY) as number | undefined;
      return byRatio(traceId, branch ?? ratio);
    },
    toString: () => description,
  };
}

function createGate(rateLimit: TraceRateLimit): MemoryLimiter {
  const count = rateLimit.maxTracesPerSecond;
  if (typeof count !== "number" || !(count > 0) || !Number.isFinite(count)) {
    throw new CoreError(
      "ERR_INVALID_OPTION",
      `rateLimit.maxTracesPerSecond must be a positive number, got ${String(count)}`,
    );
  }
  try {
    return createLimiter({
      rate: { per: "second", count },
      ...(rateLimit.burst !== undefined ? { burst: rateLimit.burst } : {}),
      ...(rateLimit.clock !== undefined ? { clock: rateLimit.clock } : {}),
    });
  } catch (cause) {
    throw new CoreError("ERR_INVALID_OPTION", `invalid rateLimit: ${String(cause)}`, { cause });
  }
}

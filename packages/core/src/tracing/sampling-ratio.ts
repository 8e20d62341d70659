import { type Context, context } from "@opentelemetry/api";
import { ensureContextManager } from "../context/manager";
import { setContextValue } from "../context/otel-context";
import { SAMPLING_RATIO_KEY } from "./context-keys";

/**
 * Normalises a sampling ratio: clamps to [0, 1]; `undefined` for anything
 * that is not a number (NaN included), so a bad per-call value never throws
 * and simply leaves the default in force.
 */
export function normaliseRatio(ratio: unknown): number | undefined {
  if (typeof ratio !== "number" || Number.isNaN(ratio)) return undefined;
  return ratio <= 0 ? 0 : ratio >= 1 ? 1 : ratio;
}

/**
 * Returns a context in which new traces (roots and continuations of
 * unsampled remote parents) are sampled with `ratio` instead of the
 * configured default. Children of local spans always follow their parent,
 * and forks follow the span they fork from unless given their own ratio.
 *
 * @param ctx - the context to extend.
 * @param ratio - a probability in [0, 1]; values outside are clamped, NaN is ignored.
 * @returns a new context; `ctx` is unchanged.
 * @example
 * ```ts
 * context.with(setSamplingRatio(context.active(), 0.01), () => startTrace("batch", run));
 * ```
 */
export function setSamplingRatio(ctx: Context, ratio: number): Context {
  const r = normaliseRatio(ratio);
  return r === undefined ? ctx : setContextValue(ctx, SAMPLING_RATIO_KEY, r);
}

/**
 * Runs `fn` with new traces started inside it sampled with `ratio` instead of
 * the configured default (see {@link setSamplingRatio} for what it applies to).
 *
 * @param ratio - a probability in [0, 1]; values outside are clamped, NaN is ignored.
 * @param fn - the code to run; sync or async.
 * @returns what `fn` returns.
 * @example
 * ```ts
 * await withSamplingRatio(0.01, () => startTrace("nightly batch", () => runBatch()));
 * ```
 */
export function withSamplingRatio<R>(ratio: number, fn: () => R): R {
  ensureContextManager();
  return context.with(setSamplingRatio(context.active(), ratio), fn);
}
